"""Sealing new records into each log's chain, and verifying the chains.

Writers only insert (with their seal); this step numbers the records in the order it finds
them (by id) and links each to the one before. One sealer at a time per log: the log's
`audit_chain_state` row is its lock, so several workers can run it and the chain order is the
order of that single step. A record whose transaction commits late, after higher ids were
sealed, simply gets the next number.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, update
from sqlalchemy.exc import IntegrityError

from cityloop.audit.keys import current
from cityloop.audit.records import LOGS, Log, anchor_of, chain_record, content
from cityloop.domain.audit_chain import GENESIS, Verification, link, seal, verify
from cityloop.store.models import AuditChainStateRow, AuditRow, OrderEventRow

log = logging.getLogger("cityloop.audit")

STATE: Table = AuditChainStateRow.__table__  # type: ignore[assignment]
TABLES: dict[str, Table] = {
    "audit_log": AuditRow.__table__,  # type: ignore[dict-item]
    "order_events": OrderEventRow.__table__,  # type: ignore[dict-item]
}
SEAL_BATCH = 5000


def _lock_state(conn: Connection, name: str) -> Any:
    """Take the log's lock row (creating it on a fresh database) and return it."""
    if conn.dialect.name == "postgresql":
        row = conn.execute(select(STATE).where(STATE.c.log == name).with_for_update()).first()
    else:  # SQLite: the first write takes the database's one write lock
        conn.execute(update(STATE).where(STATE.c.log == name).values(log=STATE.c.log))
        row = conn.execute(select(STATE).where(STATE.c.log == name)).first()
    if row is None:
        conn.execute(STATE.insert().values(log=name, legacy_below=0, purged_seq=0))
        row = conn.execute(select(STATE).where(STATE.c.log == name)).one()
    return row


def _head(conn: Connection, table: Table, state: Any) -> tuple[int, str]:
    top = conn.execute(
        select(table.c.chain_seq, table.c.chain_hash)
        .where(table.c.chain_seq.is_not(None))
        .order_by(table.c.chain_seq.desc())
        .limit(1)
    ).first()
    if top is None:
        return int(state.purged_seq), str(state.purged_hash)
    return int(top.chain_seq), str(top.chain_hash)


def seal_log(engine: Engine, target: Log, batch: int = SEAL_BATCH) -> int:
    """Seal up to `batch` new records of one log; the number sealed."""
    table = TABLES[target.table]
    k = current()
    try:
        with engine.begin() as conn:
            state = _lock_state(conn, target.table)
            # Only what the chain covers: the seal, the id and the anchor (reading whole rows,
            # their texts and payloads, was most of the sealer's time under load).
            rows = (
                conn.execute(
                    select(*_chain_columns(table, target))
                    .where(table.c.chain_seq.is_(None))
                    .order_by(table.c.id)
                    .limit(batch)
                )
                .mappings()
                .all()
            )
            if not rows:
                return 0
            seq, previous = _head(conn, table, state)
            changes = []
            for row in rows:
                r = dict(row)
                mac = r["mac"]
                if mac is None and r["id"] <= state.legacy_below:
                    # Written before tamper evidence existed: sealed as found.
                    whole = conn.execute(select(table).where(table.c.id == r["id"])).mappings()
                    mac = seal(k.key, k.algorithm, content(target, dict(whole.one())))
                seq += 1
                chained = link(
                    k.key, k.algorithm, previous, seq, r["id"], anchor_of(target, r), mac or ""
                )
                changes.append({"rid": r["id"], "s": seq, "h": chained, "m": mac})
                previous = chained
            conn.execute(
                update(table)
                .where(table.c.id == _bind("rid"), table.c.chain_seq.is_(None))
                .values(chain_seq=_bind("s"), chain_hash=_bind("h"), mac=_bind("m")),
                changes,
            )
    except IntegrityError:  # two sealers created the lock row at once; the next round seals
        return 0
    log.info("audit chain sealed", extra={"action": f"seal {target.table} {len(rows)} → {seq}"})
    return len(rows)


def _chain_columns(table: Table, target: Log) -> list[Any]:
    columns = [table.c.id, table.c.mac]
    if target.anchor is not None:
        columns.append(table.c[target.anchor])
    return columns


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def seal_all(engine: Engine) -> dict[str, int]:
    """Seal everything pending in every log."""
    sealed: dict[str, int] = {}
    for target in LOGS:
        total = 0
        while n := seal_log(engine, target):
            total += n
        sealed[target.table] = total
    return sealed


def _stream(conn: Connection, query: Any) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
    yield from result.mappings()


def verify_log(engine: Engine, target: Log) -> Verification:
    table = TABLES[target.table]
    k = current()
    with engine.connect() as conn:
        state = conn.execute(select(STATE).where(STATE.c.log == target.table)).first()
        start_seq = int(state.purged_seq) if state else 0
        start_hash = str(state.purged_hash) if state else GENESIS
        legacy_below = int(state.legacy_below) if state else 0
        sealed = (
            chain_record(target, r)
            for r in _stream(
                conn,
                select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq),
            )
        )
        # Records older than tamper evidence wait for their first seal without one.
        unsealed = (
            chain_record(target, r)
            for r in _stream(
                conn,
                select(table)
                .where(table.c.chain_seq.is_(None), table.c.id > legacy_below)
                .order_by(table.c.id),
            )
        )
        return verify(k.key, sealed, unsealed, start_seq, start_hash)


def verify_all(engine: Engine) -> dict[str, Verification]:
    return {target.table: verify_log(engine, target) for target in LOGS}


class Sealer:
    """A worker's background thread sealing every few seconds (off the request path)."""

    def __init__(self, engine: Engine, every: float) -> None:
        self.engine, self.every = engine, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cityloop-audit-sealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                seal_all(self.engine)
            except Exception:  # a database hiccup: the next round retries
                log.exception("audit sealing failed")
