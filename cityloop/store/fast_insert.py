"""One-statement insert of a new order with its assignments, events, step timers and appeal
(PostgreSQL).

Intake is the hottest path, and per-statement driver overhead dominates its cost: this takes the
day's ticket number (store/tickets.py) and writes the four tables with data-modifying CTEs in
a single round trip, so the number commits or rolls back with the appeal it names, and the
order never exists without the timers of its first steps. The SQL is
generated from the table metadata, so a migration that adds a column changes it too. Other
databases use the plain statements (cityloop.services.intake.save_draft).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Table, text

from cityloop.store.models import AppealRow, AssignmentRow, OrderEventRow, WorkOrderRow
from cityloop.store.steps import STEPS
from cityloop.store.tickets import ensure_day_sequence


class AlreadyReceived(Exception):
    """The channel's external id names an appeal already stored (as the unique key would say)."""


def _cols(table: Table, skip: tuple[str, ...]) -> list[Any]:
    return [c for c in table.columns if c.key not in skip]


@lru_cache(maxsize=1)
def _statement() -> Any:
    orders: Table = WorkOrderRow.__table__  # type: ignore[assignment]
    appeals: Table = AppealRow.__table__  # type: ignore[assignment]
    assigns: Table = AssignmentRow.__table__  # type: ignore[assignment]
    events: Table = OrderEventRow.__table__  # type: ignore[assignment]

    def names(cols: list[Any]) -> str:
        return ", ".join(c.key for c in cols)

    # Each row travels as one JSON parameter: nine parameters in all, and the rows take their
    # column types from the table itself (jsonb_populate_record), so the statement stays short
    # enough for psycopg to cache its conversion (at most 50 parameters and 4,096 bytes).
    def record(table: Table, param: str, fn: str = "jsonb_populate_record") -> str:
        return f"{fn}(NULL::{table.name}, CAST(:{param} AS jsonb)) AS x"

    o_cols = _cols(orders, ("id", "ticket_no"))
    a_cols = _cols(appeals, ("id", "work_order_id", "ticket_no"))
    s_cols = _cols(assigns, ("id", "work_order_id"))
    e_cols = _cols(events, ("id", "work_order_id"))
    t_cols = _cols(STEPS, ("id", "work_order_id"))
    many = "jsonb_populate_recordset"
    # The day's sequence (store/tickets.py), consumed only when the appeal is new: a channel's
    # repeated external id takes no number. Past 999 999 the number grows a digit (lpad would
    # cut it), as format_ticket does.
    ticket = (
        "CAST(:day AS varchar) || '-' || "
        "CASE WHEN value < 1000000 THEN lpad(value::text, 6, '0') ELSE value::text END"
    )
    return text(f"""
    WITH n AS (
        SELECT nextval(CAST(:seq AS regclass)) AS value
        WHERE NOT EXISTS (
            SELECT 1 FROM appeals
            WHERE channel = CAST(:channel AS varchar)
              AND external_id = CAST(:external_id AS varchar)
        )
    ), t AS (
        SELECT {ticket} AS ticket_no FROM n
    ), o AS (
        INSERT INTO work_orders (ticket_no, {names(o_cols)})
        SELECT t.ticket_no, {names(o_cols)} FROM t, {record(orders, "order")}
        RETURNING id, ticket_no
    ), s AS (
        INSERT INTO assignments (work_order_id, {names(s_cols)})
        SELECT o.id, {names(s_cols)} FROM o, {record(assigns, "assignments", many)}
    ), e AS (
        INSERT INTO order_events (work_order_id, {names(e_cols)})
        SELECT o.id, {names(e_cols)} FROM o, {record(events, "events", many)}
    ), st AS (
        INSERT INTO {STEPS.name} (work_order_id, {names(t_cols)})
        SELECT o.id, {names(t_cols)} FROM o, {record(STEPS, "timers", many)}
    ), a AS (
        INSERT INTO appeals (work_order_id, ticket_no, {names(a_cols)})
        SELECT o.id, o.ticket_no, {names(a_cols)} FROM o, {record(appeals, "appeal")} RETURNING id
    )
    SELECT o.id, a.id, o.ticket_no FROM o, a
    """)


def _json(value: Any) -> str:
    # orjson writes datetimes as ISO 8601 itself, several times faster than json.dumps here.
    return orjson.dumps(value).decode()


def insert_order(
    conn: Connection,
    day: str,
    order: dict[str, Any],
    appeal: dict[str, Any],
    assignments: list[dict[str, Any]],
    events: list[dict[str, Any]],
    timers: list[dict[str, Any]],
) -> tuple[int, int, str]:
    """Insert everything, numbered as `day`'s next ticket; return (work order id, appeal id,
    ticket number). Raises AlreadyReceived, having written nothing, when the channel's external
    id is already taken."""
    params = {
        "day": day,
        "seq": ensure_day_sequence(conn.engine, day),
        "channel": appeal["channel"],
        "external_id": appeal.get("external_id"),
        "order": _json(order),
        "appeal": _json(appeal),
        "assignments": _json(assignments),
        "events": _json(events),
        "timers": _json(timers),
    }
    row = conn.execute(_statement(), params).one_or_none()
    if row is None:
        raise AlreadyReceived(appeal["channel"], appeal.get("external_id"))
    return int(row[0]), int(row[1]), str(row[2])
