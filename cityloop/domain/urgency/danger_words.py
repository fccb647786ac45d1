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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
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


SpanScore = Callable[[int, int], float]  # the probability of text[start:end]


@dataclass(frozen=True)
class DangerWords:
    weights: dict[str, tuple[float, float]]  # n-gram → (idf, coefficient)
    intercept: float
    threshold: float  # chosen on the tuning parts by cross-validation, never on unseen text
    # Given a whole text, how to score its spans: the shipped heads share one reading of the
    # text (`_Pair`); a head built alone scores each span's own n-grams.
    scorer: Callable[[str], SpanScore] | None = field(default=None, compare=False, repr=False)

    def probability(self, text: str) -> float:
        # The logarithm only for an n-gram seen twice or more.
        weights = self.weights
        dot = norm = 0.0
        hit = False
        for g, tf in Counter(ngrams(text)).items():
            w = weights.get(g)
            if w is None:
                continue
            hit = True
            v = w[0] if tf == 1 else (1 + math.log(tf)) * w[0]
            dot += w[1] * v
            norm += v * v
        if not hit:
            return _sigmoid(self.intercept)
        return _sigmoid(dot / math.sqrt(norm) + self.intercept)

    def danger(self, norm_text: str) -> tuple[float, int, int] | None:
        """(probability, start, end) of the sentence that shows danger now, or None. The
        whole text's score caps each sentence's, so one alarming clause in a calm letter
        does not carry it alone."""
        sentences = list(_SENTENCE.finditer(norm_text))
        if not sentences:
            return None
        if self.scorer is None:
            score: SpanScore = lambda a, b: self.probability(norm_text[a:b])  # noqa: E731
        else:
            score = self.scorer(norm_text)
        whole = score(0, len(norm_text))
        best: tuple[float, int, int] | None = None
        for m in sentences:
            p = score(m.start(), m.end())
            if len(sentences) > 1:
                p = min(p, whole)
            if p > self.threshold and not _set_aside(m.group()) and (best is None or p > best[0]):
                best = (p, m.start(), m.end())
            if len(m.group()) > LONG_SENTENCE:
                # Capped like the sentences: a window of a letter of many sentences does not
                # carry it alone (uncapped, they flagged a third of real message-board letters).
                cap = whole if len(sentences) > 1 else 1.0
                found = self._window(norm_text, m.start(), m.end(), cap, score)
                if found is not None and (best is None or found[0] > best[0]):
                    best = found
        return best

    def _window(
        self, text: str, start: int, end: int, cap: float, score: SpanScore
    ) -> tuple[float, int, int] | None:
        clauses = list(_CLAUSE.finditer(text, start, end))
        best: tuple[float, int, int] | None = None
        for i in range(len(clauses)):
            w0, w1 = clauses[i].start(), clauses[min(i + WINDOW_CLAUSES, len(clauses)) - 1].end()
            p = min(score(w0, w1), cap)
            if p > self.threshold and not _set_aside(text[w0:w1]) and (best is None or p > best[0]):
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


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


class _Pair:
    """Both shipped heads over one table (they share the analyzer and the IDF). A text is read
    once: each n-gram position is looked up once, and every span (the whole text, its
    sentences, their clause windows; a long letter has some twenty) is scored for both heads
    from the positions it covers, instead of cutting and counting its n-grams again per head.
    The same arithmetic as `DangerWords.probability`."""

    def __init__(self, urgent: DangerWords, life: DangerWords) -> None:
        grams = sorted(urgent.weights.keys() | life.weights.keys())
        self.index = {g: i for i, g in enumerate(grams)}
        none = (0.0, 0.0)  # an n-gram one head does not know adds nothing to it
        self.urgent = [urgent.weights.get(g, none) for g in grams]
        self.life = [life.weights.get(g, none) for g in grams]
        self.intercepts = (urgent.intercept, life.intercept)
        self.reading = lru_cache(maxsize=32)(self._reading)

    def _reading(self, text: str) -> Callable[[int, int], tuple[float, float]]:
        if _LONG_NUMBER.search(text):  # as `ngrams`: no n-gram across a long digit run
            text = _LONG_NUMBER.sub(lambda m: _GAP * len(m.group()), text)
        get = self.index.get
        lo, hi = NGRAMS
        ids = [
            [get(text[i : i + n], -1) for i in range(len(text) - n + 1)] for n in range(lo, hi + 1)
        ]

        @cache
        def scores(start: int, end: int) -> tuple[float, float]:
            counts = Counter(ids[0][start:end])
            for n, positions in enumerate(ids[1:], lo + 1):
                counts.update(positions[start : max(start, end - n + 1)])
            counts.pop(-1, None)
            return self._scores(counts)

        return scores

    def _scores(self, counts: Counter[int]) -> tuple[float, float]:
        urgent, life = self.urgent, self.life
        dot_u = norm_u = dot_l = norm_l = 0.0
        for g, tf in counts.items():
            f = 1.0 if tf == 1 else 1 + math.log(tf)
            idf, coef = urgent[g]
            v = f * idf
            dot_u += coef * v
            norm_u += v * v
            idf, coef = life[g]
            v = f * idf
            dot_l += coef * v
            norm_l += v * v
        iu, il = self.intercepts
        zu = dot_u / math.sqrt(norm_u) if norm_u > 0 else 0.0
        zl = dot_l / math.sqrt(norm_l) if norm_l > 0 else 0.0
        return _sigmoid(zu + iu), _sigmoid(zl + il)

    def scorer(self, head: int) -> Callable[[str], SpanScore]:
        def for_text(text: str) -> SpanScore:
            scores = self.reading(text)
            return lambda start, end: scores(start, end)[head]

        return for_text


@lru_cache(maxsize=1)
def _shipped_heads() -> tuple[DangerWords | None, DangerWords | None]:
    doc = _shipped_doc()
    if doc is None:
        return None, None
    urgent = from_json(doc)
    if not isinstance(doc.get("life"), dict):
        return urgent, None
    life = from_json(doc["life"])  # type: ignore[arg-type]
    pair = _Pair(urgent, life)
    return replace(urgent, scorer=pair.scorer(0)), replace(life, scorer=pair.scorer(1))


def shipped() -> DangerWords | None:
    """The urgent head shipped with the package; None when the file is absent (rules alone)."""
    return _shipped_heads()[0]


def shipped_life() -> DangerWords | None:
    """The life-safety head shipped with the package; None when absent."""
    return _shipped_heads()[1]
