"""The second reader of danger: linear models over character n-grams, for the phrasings the
cues do not know ("晕过去了，怎么叫都叫不醒", "屋头还有人").

Two heads share the analyzer: the urgent head (urgent or life safety vs calm) and the
life-safety head (life safety vs the rest), each with its own threshold. The cues name a
hazard and are exact; the model only adds what they miss: it raises to urgent or life safety
where no cue fired, and to life safety where only an urgent cue fired, and it speaks only
about a sentence (or a few clauses of a long one) that mood.py does not set aside (past,
feared, denied, asked about). Its weights are data (data/danger_words.json, written by
bench/urgency_train.py from the tuning parts of bench/data); scoring is plain Python, the
same arithmetic as the TF-IDF + logistic regression it was trained as, so the domain stays
free of the learning library and a text costs a few hundred microseconds at most.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cityloop.domain.urgency import mood

WEIGHTS = Path(__file__).with_name("data") / "danger_words.json"
NGRAMS = (1, 3)
_SENTENCE = re.compile(r"[^。！？!?\n]+")
_CLAUSE = re.compile(r"[^，,；;\s]+")
# A rambling call is often one long sentence of commas with the danger in its middle: such a
# sentence is also read as windows of a few clauses, the length of the texts trained on.
LONG_SENTENCE = 30
WINDOW_CLAUSES = 3


# Phone, ID and account numbers say nothing about danger, but their digits spell 110, 119 or
# 120 by chance: a streetlight call giving a phone and an ID number read as life safety. Long
# digit runs are left out of the n-grams (the emergency numbers themselves are three digits).
_LONG_NUMBER = re.compile(r"\d{5,}[\dXx]*")
_GAP = "\x00"


def ngrams(text: str) -> list[str]:
    """Character n-grams of the text (the analyzer the model is trained with)."""
    if _LONG_NUMBER.search(text):
        text = _LONG_NUMBER.sub(lambda m: _GAP * len(m.group()), text)
        grams = ngrams(text)
        return [g for g in grams if _GAP not in g]
    lo, hi = NGRAMS
    return [text[i : i + n] for n in range(lo, hi + 1) for i in range(len(text) - n + 1)]


@lru_cache(maxsize=256)
def _counts(text: str) -> tuple[tuple[str, int], ...]:
    """Each n-gram of a span with its count (counted in C): both heads read the same spans."""
    return tuple(Counter(ngrams(text)).items())


@dataclass(frozen=True)
class DangerWords:
    weights: dict[str, tuple[float, float]]  # n-gram → (idf, coefficient)
    intercept: float
    threshold: float  # chosen on the tuning parts by cross-validation, never on unseen text

    def probability(self, text: str) -> float:
        # The logarithm only for an n-gram seen twice or more: the model is read several
        # times per appeal (sentences, windows), by two heads that share the counts.
        weights = self.weights
        dot = norm = 0.0
        hit = False
        for g, tf in _counts(text):
            w = weights.get(g)
            if w is None:
                continue
            hit = True
            v = w[0] if tf == 1 else (1 + math.log(tf)) * w[0]
            dot += w[1] * v
            norm += v * v
        if not hit:
            return 1 / (1 + math.exp(-self.intercept))
        z = dot / math.sqrt(norm) + self.intercept
        return 1 / (1 + math.exp(-z))

    def danger(self, norm_text: str) -> tuple[float, int, int] | None:
        """(probability, start, end) of the sentence that shows danger now, or None. The
        whole text's score caps each sentence's, so one alarming clause in a calm letter
        does not carry it alone."""
        sentences = list(_SENTENCE.finditer(norm_text))
        if not sentences:
            return None
        whole = self.probability(norm_text)
        best: tuple[float, int, int] | None = None
        for m in sentences:
            p = self.probability(m.group())
            if len(sentences) > 1:
                p = min(p, whole)
            if p > self.threshold and not _set_aside(m.group()) and (best is None or p > best[0]):
                best = (p, m.start(), m.end())
            if len(m.group()) > LONG_SENTENCE:
                # Capped like the sentences: a window of a letter of many sentences does not
                # carry it alone (uncapped, they flagged a third of real message-board letters).
                cap = whole if len(sentences) > 1 else 1.0
                found = self._window(norm_text, m.start(), m.end(), cap)
                if found is not None and (best is None or found[0] > best[0]):
                    best = found
        return best

    def _window(
        self, text: str, start: int, end: int, cap: float
    ) -> tuple[float, int, int] | None:
        clauses = list(_CLAUSE.finditer(text, start, end))
        best: tuple[float, int, int] | None = None
        for i in range(len(clauses)):
            w0, w1 = clauses[i].start(), clauses[min(i + WINDOW_CLAUSES, len(clauses)) - 1].end()
            window = text[w0:w1]
            p = min(self.probability(window), cap)
            if p > self.threshold and not _set_aside(window) and (best is None or p > best[0]):
                best = (p, w0, w1)
        return best


def _set_aside(sentence: str) -> bool:
    """A sentence about a fear, a question, the past or a denial is no danger now."""
    return bool(
        mood.HYPOTHESIS_RE.search(sentence)
        or mood.INQUIRY_RE.search(sentence)
        or (not mood.NOW_RE.search(sentence) and mood.PAST_BEFORE_RE.search(sentence))
        or mood.NEGATION_RE.search(sentence[:6])
    )


def from_json(doc: dict[str, object]) -> DangerWords:
    raw = doc["weights"]
    assert isinstance(raw, dict)
    return DangerWords(
        {g: (float(v[0]), float(v[1])) for g, v in raw.items()},
        float(doc["intercept"]),  # type: ignore[arg-type]
        float(doc["threshold"]),  # type: ignore[arg-type]
    )


@lru_cache(maxsize=1)
def _shipped_doc() -> dict[str, object] | None:
    if not WEIGHTS.exists():
        return None
    doc = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@lru_cache(maxsize=1)
def shipped() -> DangerWords | None:
    """The urgent head shipped with the package; None when the file is absent (rules alone)."""
    doc = _shipped_doc()
    return None if doc is None else from_json(doc)


@lru_cache(maxsize=1)
def shipped_life() -> DangerWords | None:
    """The life-safety head shipped with the package; None when absent."""
    doc = _shipped_doc()
    if doc is None or not isinstance(doc.get("life"), dict):
        return None
    return from_json(doc["life"])  # type: ignore[arg-type]
