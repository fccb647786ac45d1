"""`starts_with`: the same rows as a prefix test, as a range for digit codes; and the same with
the prefix as a parameter of a statement built once (`upper_bound`, `like_pattern`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    insert,
    select,
)

from cityloop.store.prefix import ESCAPE, like_pattern, starts_with, upper_bound

CODES = [
    "990101",
    "990101001",
    "990101001001001",
    "990101002001001",
    "990102001001001",
    "99",
    "999",
    "9999001",
    "A01",
    "A01B",
    "A1",
    "A_1",
    "A%1",
    "A/1",
    "A/%",
    None,
]


PREFIXES = ["990101", "990101001", "990102", "9", "99", "999", "A01", "A_", "A%", "A/", "A/%"]


def _codes_where(test: Callable[[Any], Any], params: dict[str, str] | None = None) -> set[str]:
    """The CODES that `test(code column)` selects, on a fresh SQLite table."""
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), Column("code", String(20)))
    engine = create_engine("sqlite://")
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"code": c} for c in CODES])
        return {r[0] for r in conn.execute(select(t.c.code).where(test(t.c.code)), params or {})}


def _prefixed(prefix: str) -> set[str]:
    return {c for c in CODES if c is not None and c.startswith(prefix)}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_same_rows_as_a_prefix_test(prefix: str) -> None:
    assert _codes_where(lambda code: starts_with(code, prefix)) == _prefixed(prefix)


def test_digit_prefixes_become_a_range() -> None:
    t = Table("t", MetaData(), Column("code", String(20)))
    assert ">=" in str(starts_with(t.c.code, "990101")) and "LIKE" not in str(
        starts_with(t.c.code, "990101")
    )
    assert "LIKE" in str(starts_with(t.c.code, "999"))  # 999 + 1 has another length


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_same_rows_with_the_prefix_as_a_parameter(prefix: str) -> None:
    upper = upper_bound(prefix)
    if upper is not None:
        got = _codes_where(
            lambda code: and_(code >= bindparam("prefix"), code < bindparam("upper")),
            {"prefix": prefix, "upper": upper},
        )
    else:
        got = _codes_where(
            lambda code: code.like(bindparam("pattern"), escape=ESCAPE),
            {"pattern": like_pattern(prefix)},
        )
    assert got == _prefixed(prefix)
