"""`starts_with`: the same rows as a prefix test, as a range for digit codes."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from cityloop.store.prefix import starts_with

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
    None,
]


@pytest.mark.parametrize("prefix", ["990101", "990101001", "990102", "9", "99", "999", "A01", "A_"])
def test_same_rows_as_a_prefix_test(prefix: str) -> None:
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), Column("code", String(20)))
    engine = create_engine("sqlite://")
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"code": c} for c in CODES])
        got = {r[0] for r in conn.execute(select(t.c.code).where(starts_with(t.c.code, prefix)))}
    assert got == {c for c in CODES if c is not None and c.startswith(prefix)}


def test_digit_prefixes_become_a_range() -> None:
    t = Table("t", MetaData(), Column("code", String(20)))
    assert ">=" in str(starts_with(t.c.code, "990101")) and "LIKE" not in str(
        starts_with(t.c.code, "990101")
    )
    assert "LIKE" in str(starts_with(t.c.code, "999"))  # 999 + 1 has another length
