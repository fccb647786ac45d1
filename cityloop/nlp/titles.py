"""A work order's title from the appeal text when the channel sent none: the first sentence,
cut on a word boundary (jieba) so that a title never ends in half a word."""

from __future__ import annotations

import re

from cityloop.nlp.segment import get_segmenter

__all__ = ["title_from"]

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_TRAILING = "，,、：:（(“\"‘' "


def title_from(content: str, limit: int = 30) -> str:
    """At most ``limit`` characters of ``content``: its first sentence when that fits, else
    the longest run of whole words that fits, with "…" when something was left off."""
    text = " ".join(content.split())
    if limit < 2:
        raise ValueError("a title needs at least two characters")
    end = _SENTENCE_END.search(text)
    first = text[: end.start()] if end else text
    if first and len(first) <= limit:
        return first.rstrip(_TRAILING) or first
    # Only the head is segmented: intake is a hot path and a title never needs more.
    head = first[: limit + 12]
    out = ""
    for word in get_segmenter().cut(head, hmm=False):
        if len(out) + len(word) > limit - 1:
            break
        out += word
    out = out.rstrip(_TRAILING)
    if not out:  # one word longer than the limit: cut it, there is nothing better
        out = first[: limit - 1]
    return out + "…"
