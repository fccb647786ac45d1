"""Recompute stored deadlines after the holiday calendar changed (`cityloop deadlines recompute`).

Deadlines are stored when a step starts, so a calendar edit changes only those computed after
it. This replays, for each open order whose deadline lies at or after `since`, how its deadline
came about — the event that started it (dispatch, a rejected reply, a reopening, a raised
urgency …) with the order's limit, then each approved extension — on today's calendar, exactly
as services/orders.py computed it, and stores the result where it differs. Open step timers
(order_step_deadlines) on the working clock are recomputed by services/steps.recompute_open.
Closed orders keep the deadlines they were judged by. One audit row lists every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.domain.orders import Actor
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import TERMINAL, Action
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline, extend
from cityloop.store.models import OrderEventRow, WorkOrderRow
from cityloop.store.repositories import add_audit

__all__ = ["recompute_deadlines"]

_AUDIT_LISTED = 200  # changes named one by one in the audit row; the rest are counted


def _replayed(
    ctx: CityLoop, row: WorkOrderRow, events: list[OrderEventRow]
) -> tuple[datetime, datetime] | None:
    """(due_at, warn_at) as the order's history gives them on the current calendar."""
    if not row.time_limit:
        return None
    try:
        limit = TimeLimit.parse(row.time_limit)
    except ValueError:
        return None
    anchor = None
    for i, e in enumerate(events):
        if (e.data or {}).get("due_at") and e.action != Action.APPROVE_EXTENSION.value:
            anchor = i
    if anchor is None:
        return None
    due, warn = deadline(ctx, events[anchor].at, limit)
    requested: str | None = None
    warn_from = row.dispatched_at or events[anchor].at
    for e in events[anchor + 1 :]:
        if e.action == Action.REQUEST_EXTENSION.value:
            requested = (e.data or {}).get("extension")
        elif e.action == Action.APPROVE_EXTENSION.value and requested:
            try:
                due, warn = extend(ctx, warn_from, due, TimeLimit.parse(requested))
            except ValueError:
                return None
            requested = None
    return due, warn


def _open_orders(s: Session, since: datetime) -> list[WorkOrderRow]:
    return list(
        s.execute(
            select(WorkOrderRow)
            .where(
                WorkOrderRow.due_at.is_not(None),
                WorkOrderRow.due_at >= since,
                WorkOrderRow.status.not_in([t.value for t in TERMINAL]),
            )
            .order_by(WorkOrderRow.id)
        ).scalars()
    )


def _events(s: Session, order_ids: list[int]) -> dict[int, list[OrderEventRow]]:
    out: dict[int, list[OrderEventRow]] = {i: [] for i in order_ids}
    for chunk in range(0, len(order_ids), 500):
        ids = order_ids[chunk : chunk + 500]
        for e in s.execute(
            select(OrderEventRow)
            .where(OrderEventRow.work_order_id.in_(ids))
            .order_by(OrderEventRow.work_order_id, OrderEventRow.at, OrderEventRow.id)
        ).scalars():
            out[e.work_order_id].append(e)
    return out


def _recompute_steps(
    ctx: CityLoop, s: Session, since: datetime, new_due: dict[int, tuple[datetime, datetime]]
) -> int:
    """Open working-clock step timers (services/steps.recompute_open): dispatch and response from
    their own start and limit, completion following the order's recomputed deadline, co-feedback
    its share of it. Returns how many timers changed."""
    from cityloop.domain.sla import LimitClock
    from cityloop.services.steps import recompute_open
    from cityloop.store.steps import OrderStepRow

    with_open_steps = set(
        s.execute(
            select(OrderStepRow.work_order_id).where(
                OrderStepRow.finished_at.is_(None),
                OrderStepRow.due_at >= since,
                OrderStepRow.clock == LimitClock.WORKING.value,
            )
        ).scalars()
    )
    now = ctx.clock.now()
    conn = s.connection()
    return sum(
        len(recompute_open(conn, ctx, order_id, now, complete=new_due.get(order_id)))
        for order_id in sorted(with_open_steps | set(new_due))
    )


def recompute_deadlines(
    ctx: CityLoop, actor: Actor | None, since: datetime | None = None, *, dry_run: bool = False
) -> dict[str, Any]:
    """Recompute open deadlines at or after `since` (default: now); returns the changes."""
    since = since or ctx.clock.now()
    changes: list[dict[str, Any]] = []
    with ctx.uow() as uow:
        s = uow.session
        orders = _open_orders(s, since)
        history = _events(s, [o.id for o in orders])
        new_due: dict[int, tuple[datetime, datetime]] = {}
        for row in orders:
            replayed = _replayed(ctx, row, history[row.id])
            if replayed is None:
                continue
            new_due[row.id] = replayed
            if replayed == (row.due_at, row.warn_at):
                continue
            changes.append(
                {
                    "order_id": row.id,
                    "ticket_no": row.ticket_no,
                    "due_at": [
                        row.due_at.isoformat() if row.due_at else None,
                        replayed[0].isoformat(),
                    ],
                }
            )
            if not dry_run:
                row.due_at, row.warn_at = replayed
        steps = 0 if dry_run else _recompute_steps(ctx, s, since, new_due)
        summary = {
            "since": since.isoformat(),
            "checked": len(orders),
            "changed": len(changes),
            "steps_changed": steps,
            "dry_run": dry_run,
        }
        if not dry_run:
            add_audit(
                s,
                actor,
                "deadlines_recompute",
                f"since {since.date().isoformat()}",
                {**summary, "changes": changes[:_AUDIT_LISTED]},
            )
            uow.commit()
    return {**summary, "changes": changes}
