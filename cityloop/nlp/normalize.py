"""Text normalisation for citizen appeals.

The classifier, the gazetteer matcher and deduplication all see the same canonical text, so
full-width/half-width, traditional/simplified and greeting boilerplate never change a decision.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import zhconv
import zhconv.zhconv

# Greetings and closings that carry no information about the appeal's topic. Longest first is
# not required here: the pattern builder sorts them so that "此致敬礼" wins over "此致".
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    "尊敬的各位领导",
    "尊敬的市长",
    "尊敬的领导",
    "尊敬的书记",
    "领导同志",
    "各位领导",
    "领导您好",
    "领导你好",
    "您好",
    "你好",
    "谢谢您",
    "谢谢",
    "万分感谢",
    "非常感谢",
    "此致敬礼",
    "此致",
    "敬礼",
    "望领导重视",
    "望领导予以重视",
    "恳请领导重视",
    "请领导重视",
    "盼复",
    "望回复",
    "望尽快回复",
)

_WS_RE = re.compile(r"\s+")


@lru_cache(maxsize=32)
def _boilerplate_re(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not cleaned:
        return None
    # Phrases are normalised like the text so that a full-width or traditional entry still matches.
    alts = "|".join(re.escape(_basic(p)) for p in cleaned)
    # Swallow trailing punctuation of the greeting too ("您好！", "谢谢。").
    return re.compile(rf"(?:{alts})[!！,，.。:：;；~～]*")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    # Characters zhconv rewrites on their own. Text without any of them is already simplified;
    # skipping zhconv then saves ~70% of normalisation time and leaves mainland wording as
    # written (zhconv's zh-cn table also rewrites some regional phrases in simplified text).
    table = zhconv.zhconv.getdict("zh-cn")
    return frozenset(k for k, v in table.items() if len(k) == 1 and k != v)


def _basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if not _traditional_chars().isdisjoint(text):
        text = zhconv.convert(text, "zh-cn")
    return text.lower()


def normalize(text: str | None, boilerplate: Iterable[str] | None = DEFAULT_BOILERPLATE) -> str:
    """Return the canonical form of ``text``.

    NFKC (full-width to half-width), traditional to simplified Chinese, Latin lowercased,
    greeting/closing boilerplate removed, whitespace collapsed to single spaces.
    ``boilerplate=None`` or an empty tuple keeps greetings.
    """
    if not text:
        return ""
    out = _basic(text)
    if boilerplate:
        pattern = _boilerplate_re(tuple(boilerplate))
        if pattern is not None:
            out = pattern.sub(" ", out)
    return _WS_RE.sub(" ", out).strip()
