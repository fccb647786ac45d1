"""Urgency (紧急程度) and life safety (生命安全): who says the appeal cannot wait, and why.

Three sources, the highest wins: the operator's choice, the category's default urgency
(the taxonomy carries one: 燃气泄漏, 电梯困人 …) and what the text says. The text is read by
rules first (cues.py for the dangers, mood.py for tense and mood), so that a decision names the
caller's words that made it and a dispatcher can see why; the danger-words model
(danger_words.py) reads behind them, for the wordings they miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from cityloop.domain.statuses import Urgency
from cityloop.domain.urgency import danger_words, mood
from cityloop.domain.urgency.cues import CUES, Cue
from cityloop.domain.urgency.text import normalise

__all__ = [
    "CategoryUrgency",
    "TextReading",
    "UrgencyAssessment",
    "assess_urgency",
    "detect_urgency",
    "parse_category_urgency",
    "raise_by_category",
    "read_text",
    "read_text_rules",
]

EVIDENCE_MAX = 60  # characters of the caller's words shown to the dispatcher


class CategoryUrgency(StrEnum):
    """A category's default (分类默认紧急程度), as the taxonomy import accepts it."""

    NORMAL = "normal"
    URGENT = "urgent"
    LIFE_SAFETY = "life_safety"


CATEGORY_URGENCY_LABELS: dict[CategoryUrgency, str] = {
    CategoryUrgency.NORMAL: "一般",
    CategoryUrgency.URGENT: "紧急",
    CategoryUrgency.LIFE_SAFETY: "生命安全",
}
_CATEGORY_URGENCY_WORDS: dict[str, CategoryUrgency] = {
    **{u.value: u for u in CategoryUrgency},
    **{label: u for u, label in CATEGORY_URGENCY_LABELS.items()},
}


def parse_category_urgency(text: str) -> CategoryUrgency | None:
    """'urgent', '紧急', 'life_safety', '生命安全', 'normal', '一般'; blank is None. Raises
    ValueError naming what is allowed."""
    word = text.strip().lower()
    if not word:
        return None
    found = _CATEGORY_URGENCY_WORDS.get(word)
    if found is None:
        allowed = "、".join(f"{u.value}/{CATEGORY_URGENCY_LABELS[u]}" for u in CategoryUrgency)
        raise ValueError(f"'{text}' is not one of {allowed}")
    return found


class _Rank(IntEnum):
    NORMAL = 0
    URGENT = 1
    LIFE_SAFETY = 2


@dataclass(frozen=True)
class UrgencyAssessment:
    level: Urgency
    life_safety: bool
    source: str | None  # "operator" | "category" | "text" | None: who set the level
    evidence: str | None = None  # the caller's words that show the danger (or its near-miss)
    reason: str | None = None  # hazard code ("gas_leak") or why a cue was set aside ("past")

    @property
    def urgent(self) -> bool:
        return self.level is Urgency.URGENT


@dataclass(frozen=True)
class TextReading:
    """What the text alone shows (read_text): the bench measures this."""

    rank: _Rank
    evidence: str | None
    reason: str | None

    @property
    def urgent(self) -> bool:
        return self.rank >= _Rank.URGENT

    @property
    def life_safety(self) -> bool:
        return self.rank is _Rank.LIFE_SAFETY


def assess_urgency(
    text: str,
    *,
    operator_choice: Urgency | None = None,
    category_default: CategoryUrgency | None = None,
) -> UrgencyAssessment:
    """Judge urgency from the three sources; the highest wins, the text's evidence is kept
    whichever source won (the dispatcher sees the words either way)."""
    read = read_text(text)
    candidates: list[tuple[_Rank, str]] = []
    if operator_choice is not None:
        rank = _Rank.URGENT if operator_choice is Urgency.URGENT else _Rank.NORMAL
        candidates.append((rank, "operator"))
    if category_default is not None:
        candidates.append((_Rank[category_default.name], "category"))
    if read.rank > _Rank.NORMAL:
        candidates.append((read.rank, "text"))
    if not candidates:
        return UrgencyAssessment(Urgency.NORMAL, False, None, read.evidence, read.reason)
    # max() keeps the first of equals: the operator's word stands when it is as high.
    rank, source = max(candidates, key=lambda c: c[0])
    level = Urgency.URGENT if rank >= _Rank.URGENT else Urgency.NORMAL
    evidence, reason = read.evidence, read.reason
    if level is Urgency.URGENT and read.rank is _Rank.NORMAL:
        # Urgent by the operator or the category: a near-miss in the text explains nothing.
        evidence, reason = None, _source_reason(source, rank)
    elif reason is None and source != "text":
        reason = _source_reason(source, rank)
    life = rank is _Rank.LIFE_SAFETY or read.rank is _Rank.LIFE_SAFETY
    return UrgencyAssessment(level, life, source, evidence, reason)


def raise_by_category(
    assessment: UrgencyAssessment, category_default: CategoryUrgency | None
) -> UrgencyAssessment:
    """The assessment once a category is known later (the model's, after the text): raised
    to the category's default when that is higher, else unchanged."""
    if category_default is None:
        return assessment
    rank = _Rank[category_default.name]
    if rank <= _rank_of(assessment):
        return assessment
    keep = assessment.urgent  # the text's or operator's evidence still explains an urgent level
    return UrgencyAssessment(
        Urgency.URGENT if rank >= _Rank.URGENT else Urgency.NORMAL,
        assessment.life_safety or rank is _Rank.LIFE_SAFETY,
        "category",
        assessment.evidence if keep else None,
        assessment.reason if keep else _source_reason("category", rank),
    )


def _rank_of(a: UrgencyAssessment) -> _Rank:
    if a.life_safety:
        return _Rank.LIFE_SAFETY
    return _Rank.URGENT if a.urgent else _Rank.NORMAL


def _source_reason(source: str, rank: _Rank) -> str:
    return f"{source}_{rank.name.lower()}"


def detect_urgency(text: str) -> tuple[Urgency, str | None]:
    """The text's urgency alone and the words that made it urgent (kept for callers that
    preview an appeal before it has an operator or a category)."""
    read = read_text(text)
    if read.rank > _Rank.NORMAL:
        return Urgency.URGENT, read.evidence
    return Urgency.NORMAL, None


def read_text(text: str) -> TextReading:
    """The danger the text shows now: the cues first, then the danger-words model where no
    cue fired (or only an urgent one: its life-safety head may raise it); failing both, the
    first near-miss and why it is one."""
    norm = normalise(text)
    handled, consumer, drill = _whole_text_moods(norm)
    read = _read_rules(text, norm, handled, consumer, drill)
    if read.rank is _Rank.LIFE_SAFETY:
        return read
    urgent_head, life_head = danger_words.shipped(), danger_words.shipped_life()
    if urgent_head is None:
        return read
    if handled or consumer or drill or mood.denies_any(norm):
        return read
    life = life_head.danger(norm) if life_head is not None else None
    if read.rank is _Rank.URGENT:
        # The cue named the hazard; the model only says a life is at stake in it.
        return TextReading(_Rank.LIFE_SAFETY, read.evidence, read.reason) if life else read
    found = life or urgent_head.danger(norm)
    if found is None:
        return read
    _, start, end = found
    rank = _Rank.LIFE_SAFETY if life else _Rank.URGENT
    return TextReading(rank, text[start:end].strip()[:EVIDENCE_MAX], "danger_words")


def read_text_rules(text: str) -> TextReading:
    """What the cues alone read in the text (the model is trained beside them)."""
    norm = normalise(text)
    return _read_rules(text, norm, *_whole_text_moods(norm))


def _whole_text_moods(norm: str) -> tuple[bool, bool, bool]:
    """Whether the whole text says the matter is over, a product complaint, or a drill."""
    return mood.text_handled(norm), mood.text_consumer(norm), mood.text_drill(norm)


def _read_rules(text: str, norm: str, handled: bool, consumer: bool, drill: bool) -> TextReading:
    found: list[tuple[Cue, int, int]] = []
    set_aside: tuple[str, int, int] | None = None
    for cue in CUES:
        for m in cue.pattern.finditer(norm):
            if m.end() == m.start() or _about_else(cue, norm, m.start()):
                continue
            why = (
                mood.HANDLED
                if handled
                else mood.CONSUMER
                if consumer
                else mood.INQUIRY
                if drill
                else mood.NEGATED
                if mood.denied(cue.hazard, norm)
                else mood.blocked(norm, m.start(), m.end(), outage=cue.outage)
            )
            if why is None:
                found.append((cue, m.start(), m.end()))
            elif set_aside is None or m.start() < set_aside[1]:
                set_aside = (why, m.start(), m.end())
    strong = [f for f in found if not f[0].weak]
    accepted = strong or [f for f in found if _weak_holds(f[0], norm, found)]
    if accepted:
        cue, start, end = min(accepted, key=lambda f: (not f[0].life_safety, f[1]))
        rank = _Rank.LIFE_SAFETY if cue.life_safety else _Rank.URGENT
        return TextReading(rank, _evidence(text, norm, start, end), cue.hazard)
    if set_aside is not None:
        why, start, end = set_aside
        return TextReading(_Rank.NORMAL, _evidence(text, norm, start, end), why)
    return TextReading(_Rank.NORMAL, None, None)


# Smoke from a barbecue, a ritual or a field fire is a nuisance, not a danger to people.
_BENIGN_SMOKE = (
    "烧烤",
    "烧纸",
    "焚烧",
    "秸秆",
    "做饭",
    "炒菜",
    "鞭炮",
    "演练",
    "烧香",
    "雾霾",
    "熏腊",
    "熏肉",
    "蚊香",
)
_INDOORS = (
    "楼道",
    "地下室",
    "窗",
    "屋里",
    "家里",
    "楼里",
    "电梯",
    "配电",
    "仓库",
    "楼上",
    "房间",
    "车库",
    "厂",
    "山",
    "林",
    "充电",
    "电动车",
    "楼梯",
)
_FUMES = ("烟", "气味", "味道", "烧炭", "炭", "煤", "熏", "毒", "刺鼻", "气体", "燃气", "烤火")


# A smell or a cough every day for a month is a nuisance to inspect, not a danger now.
_CHRONIC = re.compile(r"每天|天天|每晚|每到|经常|老是|长期|持续|几个月|一个月|好久了")


def _weak_holds(cue: Cue, text: str, found: list[tuple[Cue, int, int]]) -> bool:
    """A weak cue stands when the rest of the text makes the danger plain."""
    if cue.hazard in ("smoke", "irritant", "symptoms") and _CHRONIC.search(text):
        return False
    if cue.hazard == "smoke":
        return not any(w in text for w in _BENIGN_SMOKE) and any(w in text for w in _INDOORS)
    if cue.hazard == "irritant":
        return not any(w in text for w in _BENIGN_SMOKE)
    if cue.hazard == "symptoms":
        return any(w in text for w in _FUMES)
    return len(found) > 1


def _about_else(cue: Cue, text: str, start: int) -> bool:
    if cue.unless is None:
        return False
    s0 = mood.sentence_start(text, start)
    return bool(cue.unless.search(text, s0, mood.sentence_end(text, start)))


def _evidence(original: str, norm: str, start: int, end: int) -> str:
    """The clause(s) around the cue in the caller's own words (same positions as `norm`)."""
    c0 = mood.clause_start(norm, start)
    c1 = mood.clause_end(norm, end)
    words = original[c0:c1].strip()
    if len(words) > EVIDENCE_MAX:
        lo = max(c0, start - 20)
        words = original[lo : lo + EVIDENCE_MAX].strip()
    return words
