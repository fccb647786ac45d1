from __future__ import annotations

from cityloop.nlp.segment import Segmenter, load_stopwords


def test_user_word_kept_whole() -> None:
    seg = Segmenter()
    text = "月湖大市场附近传销猖獗"
    assert "月湖大市场" not in seg.tokenize(text)
    assert seg.add_words(["月湖大市场", "月湖大市场", " "]) == 1
    assert "月湖大市场" in seg.tokenize(text)


def test_words_added_before_first_use_are_applied() -> None:
    seg = Segmenter()
    seg.add_words(["暮云街道办"])  # queued: the dictionary is not loaded yet
    assert seg._tokenizer is None
    assert "暮云街道办" in seg.tokenize("暮云街道办不作为")


def test_stopwords_and_punctuation_dropped() -> None:
    seg = Segmenter()
    tokens = seg.tokenize("我们的小区，噪音！")
    assert "的" not in tokens and "我们" not in tokens
    assert "，" not in tokens and "！" not in tokens
    assert "噪音" in tokens
    assert "的" in load_stopwords()
