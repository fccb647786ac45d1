"""`column starts with prefix` in a form an index serves.

Region and category codes nest by prefix (GB/T 30428.1 regions, 一级/二级/三级 categories). A
LIKE 'prefix%' uses a btree index only in the C collation; for a code of digits the same test is
the range [prefix, prefix + 1) of codes of that length and longer, which any collation orders
like numbers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_


def starts_with(column: Any, prefix: str) -> Any:
    if prefix.isdigit():
        upper = str(int(prefix) + 1).zfill(len(prefix))
        if len(upper) == len(prefix):  # 99…9 + 1 would be longer: fall back below
            return and_(column >= prefix, column < upper)
    return column.startswith(prefix, autoescape=True)
