from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cityloop.nlp.classifier import AppealClassifier, threshold_for_precision
from tests.nlp.synthetic import HELD_OUT, make_corpus


@pytest.fixture(scope="module")
def fitted() -> AppealClassifier:
    texts, labels = make_corpus()
    return AppealClassifier().fit(texts, labels)


def test_learns_held_out(fitted: AppealClassifier) -> None:
    texts = [t for t, _ in HELD_OUT]
    assert fitted.predict(texts) == [lab for _, lab in HELD_OUT]


def test_proba_shape_and_classes(fitted: AppealClassifier) -> None:
    proba = fitted.predict_proba([t for t, _ in HELD_OUT])
    assert proba.shape == (len(HELD_OUT), 4)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(fitted.classes_) == sorted({lab for _, lab in HELD_OUT})
    assert fitted.predict_proba([]).shape == (0, 4)


def test_top_k(fitted: AppealClassifier) -> None:
    top = fitted.top_k("医院挂号难", k=3)
    assert len(top) == 3
    assert top[0][0] == "卫生计生"
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_explain_returns_discriminative_term(fitted: AppealClassifier) -> None:
    terms = [t for t, _ in fitted.explain("A市A9区医院挂号难，排队很久", k=8)]
    assert any("医院" in t or "挂号" in t for t in terms[:4])
    weights = [w for _, w in fitted.explain("A市A9区医院挂号难")]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    # Explaining a label other than the predicted one still works (and names that class's terms).
    other = [t for t, _ in fitted.explain("医院挂号难，公交车太少", label="交通运输")]
    assert any("公交" in t for t in other)
    with pytest.raises(ValueError):
        fitted.explain("x", label="不存在")


def test_save_load_round_trip(fitted: AppealClassifier, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / "m")
    assert (folder / "model.json").is_file()
    loaded = AppealClassifier.load(folder)
    texts = [t for t, _ in HELD_OUT]
    assert np.array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))


def test_binary_problem() -> None:
    texts, labels = make_corpus()
    keep = [i for i, lab in enumerate(labels) if lab in ("交通运输", "教育文体")]
    model = AppealClassifier(word_features="none").fit(
        [texts[i] for i in keep], [labels[i] for i in keep]
    )
    assert model.predict(["公交车太少", "学校老师"]) == ["交通运输", "教育文体"]
    assert model.explain("学校老师", k=3)


def test_fit_validates() -> None:
    with pytest.raises(ValueError):
        AppealClassifier().fit(["a", "b"], ["x"])
    with pytest.raises(ValueError):
        AppealClassifier().fit(["a", "b"], ["x", "x"])


def test_threshold_for_precision() -> None:
    # Sorted by confidence: correct, correct, wrong, correct, wrong.
    proba = np.array([[0.99, 0.01], [0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    y = np.array([0, 0, 0, 0, 1])  # row 2 predicts 1 but is 0; row 4 predicts 1 and is 1
    # conf: .99 ok, .9 ok, .8 wrong, .7 ok, .6 ok -> precision 1, 1, 2/3, 3/4, 4/5
    assert threshold_for_precision(proba, y, target=0.95) == pytest.approx(0.9)
    assert threshold_for_precision(proba, y, target=0.8) == pytest.approx(0.6)
    assert threshold_for_precision(proba, y, target=0.75) == pytest.approx(0.6)
    # Labels instead of indices.
    labels = np.array(["a", "a", "a", "a", "b"])
    assert threshold_for_precision(proba, labels, 0.95, classes=["a", "b"]) == pytest.approx(0.9)


def test_threshold_nothing_reaches_target() -> None:
    proba = np.array([[0.9, 0.1], [0.8, 0.2]])
    assert threshold_for_precision(proba, np.array([1, 1]), 0.95) == 1.0
    assert threshold_for_precision(np.zeros((0, 2)), np.array([]), 0.95) == 1.0


def test_threshold_ties_admitted_together() -> None:
    # Two predictions share confidence 0.9; one is wrong -> the tie cannot be split.
    proba = np.array([[0.95, 0.05], [0.9, 0.1], [0.9, 0.1]])
    y = np.array([0, 0, 1])
    assert threshold_for_precision(proba, y, 0.95) == pytest.approx(0.95)


def test_head_block_and_cnb_member() -> None:
    texts, labels = make_corpus()
    model = AppealClassifier(head_chars=12, members=("svm", "nbsvm", "cnb")).fit(texts, labels)
    held = [t for t, _ in HELD_OUT]
    assert model.predict(held) == [lab for _, lab in HELD_OUT]
    assert len(model.feature_names()) == model.n_features_
    assert model.decision_function(held).shape == (len(held), 3 * 4)
    terms = [t for t, _ in model.explain("医院挂号难，排队很久", k=8)]
    assert any("医院" in t or "挂号" in t for t in terms[:4])
    heavy = AppealClassifier(head_chars=12, head_weight=2.0).fit(texts, labels)
    assert heavy.predict(held) == [lab for _, lab in HELD_OUT]
    assert AppealClassifier(head_chars=0).fit(texts, labels).head_vectorizer_ is None


def test_members_validated() -> None:
    texts, labels = make_corpus(per_class=4)
    with pytest.raises(ValueError):
        AppealClassifier(members=("svm", "bert")).fit(texts, labels)
    with pytest.raises(ValueError):
        AppealClassifier(members=()).fit(texts, labels)


def test_unlabeled_and_self_training(tmp_path: Path) -> None:
    texts, labels = make_corpus()
    unlabeled, _ = make_corpus(per_class=6, seed=1)
    model = AppealClassifier(
        unlabeled_texts=unlabeled, self_training_threshold=0.5, stacker_class_weight="balanced"
    ).fit(texts, labels)
    assert 0 < model.n_pseudo_ <= len(unlabeled)
    assert model.n_train_ == len(texts)
    held = [t for t, _ in HELD_OUT]
    assert model.predict(held) == [lab for _, lab in HELD_OUT]
    meta = (model.save(tmp_path / "m") / "model.json").read_text("utf-8")
    assert unlabeled[0] not in meta  # metadata records how many, not the texts
