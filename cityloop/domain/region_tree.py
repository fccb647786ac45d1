"""The region hierarchy as a tree (市 → 区 → 街道 → 社区 → 网格), for pickers that choose a
region by name instead of typing its code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Region(Protocol):
    code: str
    name: str
    level: str
    parent_code: str | None


def region_tree(regions: Iterable[Region], root: str | None = None) -> list[dict[str, Any]]:
    """Nested nodes {value, label, level, children}, children in code order. With a root, the
    tree under (and including) that region only — a street supervisor picks inside their
    street; an unknown root gives nothing. Without one, every region whose parent is not a
    region itself is a top node."""
    by_code = {r.code: r for r in regions}
    children: dict[str | None, list[Region]] = {}
    for r in by_code.values():
        parent = r.parent_code if r.parent_code in by_code else None
        children.setdefault(parent, []).append(r)

    def node(r: Region) -> dict[str, Any]:
        kids = sorted(children.get(r.code, []), key=lambda c: c.code)
        out: dict[str, Any] = {"value": r.code, "label": r.name, "level": r.level}
        if kids:
            out["children"] = [node(k) for k in kids]
        return out

    if root is not None:
        return [node(by_code[root])] if root in by_code else []
    return [node(r) for r in sorted(children.get(None, []), key=lambda c: c.code)]
