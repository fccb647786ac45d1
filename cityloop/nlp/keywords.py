"""Category suggestions from the category names themselves, for a city without a trained model
yet (or a text the model has nothing to say about): the words of a category's name and its
parents' found in the text, each suggestion with the words behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["KeywordSuggestion", "keyword_categories", "shared_words"]


def shared_words(name: str, text: str) -> list[str]:
    """The longest runs (two characters or more) of ``name`` that ``text`` contains, left to
    right: "路灯不亮" in "路灯坏了" gives ["路灯"]. Short category names segment badly (jieba
    reads 路灯不亮 as 路/灯不亮), so runs of characters are compared instead of words."""
    out: list[str] = []
    i = 0
    while i < len(name) - 1:
        j = i + 2
        if name[i:j] not in text:
            i += 1
            continue
        while j < len(name) and name[i : j + 1] in text:
            j += 1
        out.append(name[i:j])
        i = j
    return out


@dataclass(frozen=True)
class KeywordSuggestion:
    category_code: str
    probability: float  # share of the best score, 0..1: a ranking, not a calibrated chance
    words: tuple[str, ...]


def keyword_categories(
    text: str, names: Mapping[str, str], leaves: set[str] | None = None, limit: int = 3
) -> list[KeywordSuggestion]:
    """Categories (code → name path "一级/二级/三级") whose name words appear in ``text``, best
    first. The leaf's own words count double: "路灯" says 路灯损坏 more than 市政设施 does."""
    if not text.strip():
        return []
    scored: list[tuple[float, str, tuple[str, ...]]] = []
    for code, path in names.items():
        if leaves is not None and code not in leaves:
            continue
        parts = [p for p in path.split("/") if p]
        if not parts:
            continue
        found: list[str] = []
        score = 0.0
        # The leaf first, so that a word it shares with its parent counts as the leaf's.
        for depth, part in reversed(list(enumerate(parts))):
            weight = 2.0 if depth == len(parts) - 1 else 1.0
            for word in shared_words(part, text):
                if word not in found:
                    found.append(word)
                    score += weight * len(word)
        if score > 0:
            scored.append((score, code, tuple(found)))
    if not scored:
        return []
    scored.sort(key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    # Half the best or less is a stray shared word ("工作" of 非法加工作坊 in "来本市工作").
    kept = [x for x in scored if x[0] > best / 2][:limit]
    return [KeywordSuggestion(c, round(s / best, 4), w) for s, c, w in kept]
