"""After the demo load, a row inserted with the database's default id lands in every table the
demo fills (issue 13: explicit ids from bulk loads left PostgreSQL sequences at 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, String, inspect, select, text
from sqlalchemy.exc import IntegrityError

from cityloop.demo.load import build_demo
from cityloop.services.clock import ManualClock
from cityloop.services.context import build_context
from cityloop.settings import Settings
from cityloop.store.db import make_engine
from cityloop.store.sequences import sequenced_columns
from tests.conftest import START
from tests.databases import own_database

SUFFIX = "·seq"


def _id_tables(engine: Engine) -> list[tuple[str, str]]:
    """(table, id column) for every table whose id the database hands out, found in the schema
    itself rather than listed here: sequence-fed columns on PostgreSQL, rowid aliases on SQLite."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return [(t, c) for t, c, _ in sequenced_columns(conn)]
        found = []
        insp = inspect(conn)
        for table in insp.get_table_names():
            pk = insp.get_pk_constraint(table)["constrained_columns"]
            cols = {c["name"]: c for c in insp.get_columns(table)}
            if len(pk) == 1 and str(cols[pk[0]]["type"]).upper() == "INTEGER":
                found.append((table, pk[0]))
        return found


def _unique_columns(conn: Connection, table: str) -> set[str]:
    insp = inspect(conn)
    cols: set[str] = set()
    for u in insp.get_unique_constraints(table):
        cols.update(u["column_names"])
    for ix in insp.get_indexes(table):
        if ix.get("unique"):
            cols.update(c for c in ix["column_names"] if c)
    return cols


def _copy_with_default_id(conn: Connection, table: str, id_col: str) -> tuple[int, int]:
    """Insert a copy of the table's newest row, leaving the id to the database; text columns under
    a unique constraint get a suffix. Return (largest id before, id the database gave)."""
    from sqlalchemy import MetaData, Table

    t = Table(table, MetaData(), autoload_with=conn)
    top = conn.execute(select(t.c[id_col]).order_by(t.c[id_col].desc()).limit(1)).scalar_one()
    row: dict[str, Any] = dict(conn.execute(select(t).where(t.c[id_col] == top)).mappings().one())
    row.pop(id_col)
    for name in _unique_columns(conn, table) - {id_col}:
        if isinstance(t.c[name].type, String) and row.get(name) is not None:
            length = t.c[name].type.length
            value = str(row[name]) + SUFFIX
            row[name] = value[-length:] if length else value
    new_id = conn.execute(t.insert().values(**row).returning(t.c[id_col])).scalar_one()
    return int(top), int(new_id)


def test_every_table_the_demo_fills_takes_a_default_id(tmp_path: Path) -> None:
    with own_database(tmp_path, "demo_sequences") as url:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            secret_key="test-secret-key-for-tokens-0123456789",
            incident_linking=False,
            _env_file=None,  # type: ignore[call-arg]
        )
        ctx = build_context(settings, clock=ManualClock(START))
        build_demo(ctx, appeals=60, progress=lambda _: None, train_model=False)
        engine = make_engine(settings)
        filled, unchecked = [], []
        try:
            for table, id_col in _id_tables(engine):
                with engine.connect() as conn:
                    if conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() == 0:
                        continue
                    filled.append(table)
                    conn.rollback()  # end the count's implicit transaction; the copy has its own
                    tx = conn.begin()
                    try:
                        top, new_id = _copy_with_default_id(conn, table, id_col)
                    except IntegrityError as exc:
                        # A collision on the id is the bug; on another column (a unique pair of
                        # numbers the copy repeats), the sequence is checked directly below.
                        assert "pkey" not in str(exc.orig) and "PRIMARY" not in str(exc.orig), (
                            table,
                            str(exc.orig),
                        )
                        unchecked.append(table)
                    else:
                        assert new_id > top, (table, top, new_id)
                    finally:
                        tx.rollback()
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    for table, column, seq in sequenced_columns(conn):
                        if table not in unchecked:
                            continue
                        top = conn.execute(text(f'SELECT max("{column}") FROM "{table}"')).scalar()
                        upcoming = conn.execute(text(f"SELECT nextval('{seq}')")).scalar_one()
                        assert upcoming > top, (table, top, upcoming)
        finally:
            engine.dispose()
            ctx.engine.dispose()
        # The demo fills the community database as well as the core (13 of its tables were the
        # ones left behind): the enumeration found them, it is not an empty loop.
        assert {"community_care_tags", "community_point_accounts", "work_orders"} <= set(filled), (
            filled
        )
        assert len(filled) >= 20, filled
