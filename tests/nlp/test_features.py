from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from cityloop.nlp.features import CharNgramTfidf
from tests.nlp.synthetic import make_corpus


def test_matches_sklearn_char_tfidf() -> None:
    texts, _ = make_corpus(per_class=8)
    train, test = texts[:24], [*texts[24:], "全新的文本：没见过的字", ""]
    ours = CharNgramTfidf(ngram_range=(1, 3), min_df=2).fit(train)
    ref = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, lowercase=False
    )
    ref.fit(train)
    assert sorted(ours.get_feature_names_out()) == sorted(ref.get_feature_names_out())
    a, b = ours.transform(test), ref.transform(test)
    names = ref.get_feature_names_out()
    for r in range(len(test)):
        ours_row = {ours.terms_[j]: a[r, j] for j in a[r].indices}
        ref_row = {names[j]: b[r, j] for j in b[r].indices}
        assert ours_row.keys() == ref_row.keys()
        for term, value in ref_row.items():
            assert ours_row[term] == pytest.approx(value)


def test_lexicon_restricts_vocabulary() -> None:
    vec = CharNgramTfidf(ngram_range=(2, 4), min_df=1, lexicon=frozenset({"公交车", "医院"}))
    x = vec.fit_transform(["公交车太少", "医院太远", "公交车和医院"])
    assert sorted(vec.terms_) == ["公交车", "医院"]
    assert np.allclose(np.asarray(x.multiply(x).sum(axis=1)).ravel(), 1.0)


def test_lookup_many_keys_round_trip() -> None:
    texts = [f"第{i}号文本{i * 7919 % 10007}" for i in range(3000)]
    vec = CharNgramTfidf(ngram_range=(1, 3), min_df=1).fit(texts)
    cols = vec._lookup(vec.keys_)
    assert np.array_equal(cols, np.arange(len(vec.keys_)))
