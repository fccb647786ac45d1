"""The danger-words model: the pure scorer is the trained model's arithmetic, it speaks only
where no cue fired and the sentence is a danger now, and the shipped weights load."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from cityloop.domain.urgency import danger_words, read_text, read_text_rules
from cityloop.domain.urgency.danger_words import DangerWords, ngrams

DANGER = ["老人晕过去了叫不醒", "屋头还有人出不来", "有人在水里扑腾", "电线掉地上冒火"]
CALM = ["路灯坏了两盏", "垃圾好几天没清运", "广场舞太吵", "想咨询燃气开户"]


def trained() -> tuple[DangerWords, TfidfVectorizer, LogisticRegression]:
    vec = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True)
    x = vec.fit_transform(DANGER + CALM)
    clf = LogisticRegression(C=10).fit(x, [1] * len(DANGER) + [0] * len(CALM))
    weights = {g: (float(vec.idf_[i]), float(clf.coef_[0][i])) for g, i in vec.vocabulary_.items()}
    return DangerWords(weights, float(clf.intercept_[0]), 0.5), vec, clf


@pytest.mark.parametrize("text", ["老人叫不醒了", "路灯坏了", "有人在河里扑腾救命", "火车站", "x"])
def test_the_pure_scorer_is_the_trained_models_probability(text: str) -> None:
    model, vec, clf = trained()
    expected = clf.predict_proba(vec.transform([text]))[0, 1]
    assert model.probability(text) == pytest.approx(expected, abs=1e-9)


def test_a_sentence_about_a_fear_or_the_past_is_set_aside() -> None:
    model, _, _ = trained()
    assert model.danger("老人晕过去了叫不醒") is not None
    assert model.danger("万一老人晕过去了叫不醒怎么办") is None
    assert model.danger("去年老人晕过去了叫不醒") is None


def test_the_shipped_model_reads_what_the_cues_miss_and_names_the_sentence() -> None:
    assert danger_words.shipped() is not None
    text = "我们这边好多人被困住了"
    assert read_text_rules(text).urgent  # a cue: the model is not asked
    assert read_text(text).reason == read_text_rules(text).reason
    calm = "小区路灯坏了两盏，晚上走路有点黑，希望尽快修一下。"
    assert not read_text(calm).urgent


def test_the_shipped_threshold_was_chosen_not_defaulted() -> None:
    model = danger_words.shipped()
    assert model is not None
    assert 0.3 <= model.threshold < 0.96
    assert len(model.weights) > 1000 and np.isfinite(model.intercept)


def test_every_reason_code_has_a_console_label() -> None:
    # The dispatcher reads the reason in words; a code without a label would show raw.
    import re
    from pathlib import Path

    from cityloop.domain.urgency import mood
    from cityloop.domain.urgency.cues import CUES

    ts = (Path(__file__).resolve().parents[2] / "web/src/lib/urgency.ts").read_text("utf-8")
    labelled = set(re.findall(r"^\s+(\w+): \['", ts, flags=re.M))
    codes = {c.hazard for c in CUES} | {"danger_words"}
    codes |= {getattr(mood, n) for n in ("NEGATED", "HYPOTHETICAL", "PAST", "HANDLED", "INQUIRY")}
    assert codes - labelled == set()


def test_the_life_safety_head_ships_with_its_own_threshold() -> None:
    urgent, life = danger_words.shipped(), danger_words.shipped_life()
    assert urgent is not None and life is not None
    assert 0.3 <= life.threshold < 0.96
    assert life.weights != urgent.weights


def test_a_long_rambling_sentence_is_read_in_windows_of_a_few_clauses() -> None:
    model, _, _ = trained()
    calm = "我跟你说我们这个小区物业就不怎么管，垃圾也堆在楼道，停车也乱，"
    text = calm + "今天老人晕过去了叫不醒，" + calm
    assert len(text) > danger_words.LONG_SENTENCE
    whole_only = DangerWords(model.weights, model.intercept, model.probability(text))
    found = whole_only.danger(text)  # the whole sentence's score does not pass; a window does
    assert found is not None
    _, start, end = found
    assert "叫不醒" in text[start:end] and end - start < len(text)
    feared = calm + "万一老人晕过去了叫不醒，" + calm
    assert whole_only.danger(feared) is None  # every window holding the clause holds 万一


class _Head:
    """A stand-in head: fires on the sentence that holds its word."""

    def __init__(self, word: str) -> None:
        self.word = word

    def danger(self, text: str) -> tuple[float, int, int] | None:
        at = text.find(self.word)
        return None if at < 0 else (0.99, at, at + len(self.word))


def test_the_life_head_raises_an_urgent_cue_or_a_quiet_text_to_life_safety(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(danger_words, "shipped", lambda: _Head("没有的词"))
    monkeypatch.setattr(danger_words, "shipped_life", lambda: _Head("老人"))
    manhole = "井盖被偷了，有个老人在旁边转悠"
    assert read_text_rules(manhole).urgent and not read_text_rules(manhole).life_safety
    raised = read_text(manhole)
    assert raised.life_safety and raised.reason == "manhole_open"  # the cue still names it
    quiet = "楼下有个老人"
    read = read_text(quiet)
    assert read.life_safety and read.reason == "danger_words" and read.evidence == "老人"
    handled = "井盖被偷了，有个老人在旁边，现在已经补上了"
    assert not read_text(handled).life_safety  # a handled matter is not raised


def test_phone_and_id_numbers_are_no_evidence_of_danger() -> None:
    """Their digits spell 110/119/120 by chance: a routine call that gives a phone and an ID
    number stays routine, while the emergency numbers themselves still count."""
    assert ngrams("电话13987654321好") == ["电", "话", "好", "电话"]
    assert "120" in ngrams("快打120")
    for text in (
        "东区标记：路灯不亮，我是欧阳娜娜，电话13987654321，身份证11010519491231002X。",
        "我是王芳，电话13900001111，身份证110105194912310021，小区门口垃圾没人清运。",
    ):
        read = read_text(text)
        assert not read.urgent and not read.life_safety, (text, read)


LETTER = (
    "您好，我是住在东风路12号院的居民，电话13912345678，身份证号码110101199001011234。"
    "昨天晚上我下班回家的时候闻到楼道里有很重的煤气味，敲了好几家门都没有人应，"
    "楼上老人一个人住，平时身体也不好，怀疑是灶台没有关，现在味道越来越大，赶紧派人来看看！"
    "另外小区门口的路灯坏了一个多月，晚上走路很不方便。"
)


@pytest.mark.parametrize("text", [LETTER, "老人晕过去了叫不醒", "路灯坏了", "。。", "x"])
def test_the_shipped_heads_read_together_what_each_reads_alone(text: str) -> None:
    """The shipped heads share one reading of a text; every span scores exactly as the head's
    own probability of that span, and the sentence each head names is the same."""
    urgent, life = danger_words.shipped(), danger_words.shipped_life()
    assert urgent is not None and life is not None and urgent.scorer is not None
    alone = [DangerWords(h.weights, h.intercept, h.threshold) for h in (urgent, life)]
    for head, solo in zip((urgent, life), alone, strict=True):
        assert head.scorer is not None
        score = head.scorer(text)
        spans = (
            [(0, len(text))]
            + [(m.start(), m.end()) for m in danger_words._SENTENCE.finditer(text)]
            + [(m.start(), m.end()) for m in danger_words._CLAUSE.finditer(text)]
        )
        for start, end in spans:
            assert score(start, end) == solo.probability(text[start:end])
        assert head.danger(text) == solo.danger(text)
