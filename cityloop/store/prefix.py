"""`column starts with prefix` in a form an index serves.

Region and category codes nest by prefix (GB/T 30428.1 regions, 一级/二级/三级 categories). A
LIKE 'prefix%' uses a btree index only in the C collation; for a code of digits the same test is
the range [prefix, prefix + 1) of codes of that length and longer, which any collation orders
like numbers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_


def upper_bound(prefix: str) -> str | None:
    """The first code of the prefix's length after its range, or None where there is no such
    range (not digits, or 99…9, whose successor is longer)."""
    if not prefix.isdigit():
        return None
    upper = str(int(prefix) + 1).zfill(len(prefix))
    return upper if len(upper) == len(prefix) else None


def starts_with(column: Any, prefix: str) -> Any:
    upper = upper_bound(prefix)
    if upper is not None:
        return and_(column >= prefix, column < upper)
    return column.startswith(prefix, autoescape=True)


ESCAPE = "/"


def like_pattern(prefix: str) -> str:
    """`prefix%` for LIKE … ESCAPE '/', the prefix's own %, _ and / taken literally (for a
    statement built once, with the prefix as a parameter)."""
    for ch in (ESCAPE, "%", "_"):
        prefix = prefix.replace(ch, ESCAPE + ch)
    return prefix + "%"
