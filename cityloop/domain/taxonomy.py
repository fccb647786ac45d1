"""The appeal taxonomy (诉求分类): three levels, codes that stay stable across re-imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_LEVEL = 3


@dataclass(frozen=True)
class Category:
    code: str  # "01", "0103", "010302": two digits per level
    name: str
    level: int
    parent_code: str | None

    @property
    def ancestry(self) -> list[str]:
        """Codes from the first level down to this one."""
        return [self.code[: 2 * i] for i in range(1, self.level + 1)]


def path_key(names: Iterable[str]) -> str:
    return "/".join(n.strip() for n in names)


def build_categories(
    paths: Iterable[tuple[str, ...]], existing: Mapping[str, str] | None = None
) -> list[Category]:
    """Turn name paths (一级, 二级, 三级) into categories.

    `existing` maps a name path ("城乡建设/安全生产") to the code it already has, so that a
    re-import keeps every code that work orders and rules refer to; new names get the next free
    number under their parent.
    """
    known: dict[str, str] = dict(existing or {})
    used: set[str] = set(known.values())
    out: dict[str, Category] = {}
    for path in paths:
        parent: str | None = None
        for depth in range(1, len(path) + 1):
            key = path_key(path[:depth])
            code = known.get(key)
            if code is None:
                prefix = parent or ""
                n = 1
                while f"{prefix}{n:02d}" in used:
                    n += 1
                if n > 99:
                    raise ValueError(f"more than 99 categories under '{path_key(path[:-1])}'")
                code = f"{prefix}{n:02d}"
                known[key] = code
                used.add(code)
            if code not in out:
                out[code] = Category(code, path[depth - 1].strip(), depth, parent)
            parent = code
    return sorted(out.values(), key=lambda c: c.code)
