"""The step sweeper: marks open steps as warning or overdue, and gives a timer to every open
order whose current step has none (orders from before migration k0001, or written by a path
that skipped them). A plain function: the job runner schedules it (every minute is plenty,
the watch lists themselves read due and warning times, not these marks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select, update

from cityloop.domain.statuses import WITH_DEPARTMENT, OrderStatus
from cityloop.domain.steps import Step, StepState, StepTimer
from cityloop.services import steps
from cityloop.services.context import CityLoop
from cityloop.store.models import OrderEventRow, WorkOrderRow
from cityloop.store.steps import STEPS, save_timers

log = logging.getLogger("cityloop.steps")

W = WorkOrderRow
_QUEUED = [OrderStatus.RECEIVED.value, OrderStatus.PENDING_DISPATCH.value, "returned"]
_HELD = [s.value for s in WITH_DEPARTMENT]


@dataclass
class SweepResult:
    started: int = 0  # timers given to orders that had none for their current step
    warned: list[int] = field(default_factory=list)  # step ids that entered 预警 now
    overdue: list[int] = field(default_factory=list)  # step ids that became 超时 now

    def as_dict(self) -> dict[str, Any]:
        return {"started": self.started, "warned": len(self.warned), "overdue": len(self.overdue)}


def _open_step(step: Step) -> Any:
    return exists().where(
        STEPS.c.work_order_id == W.id,
        STEPS.c.step == step.value,
        STEPS.c.finished_at.is_(None),
    )


def _queued_since(session: Any, order_id: int, received_at: datetime) -> datetime:
    """When the order last entered the dispatch queue (received, submitted or returned)."""
    at = session.execute(
        select(OrderEventRow.at)
        .where(
            OrderEventRow.work_order_id == order_id,
            OrderEventRow.to_status.in_(_QUEUED),
        )
        .order_by(OrderEventRow.id.desc())
        .limit(1)
    ).scalar()
    return at or received_at


def start_missing(ctx: CityLoop, now: datetime, batch: int = 500) -> int:
    """Timers for open orders whose current step has none: a dispatch timer from when the
    order entered the queue; for orders held by a department, the completion timer from their
    stored deadline. Committed `batch` orders at a time, so a backlog (a migration, an import)
    never holds the database's write lock for long: intake and logins go on meanwhile."""
    started = 0
    while True:
        queued, held = _start_batch(ctx, batch)
        started += queued + held
        if queued < batch and held < batch:
            return started


def _start_batch(ctx: CityLoop, batch: int) -> tuple[int, int]:
    with ctx.uow() as uow:
        s = uow.session
        conn = s.connection()
        queued = s.execute(
            select(W.id, W.received_at, W.urgency, W.life_safety)
            .where(W.status.in_(_QUEUED), ~_open_step(Step.DISPATCH))
            .limit(batch)
        ).all()
        for oid, received, urgency, life in queued:
            limits = steps.step_limits(ctx, steps.is_urgent(urgency, bool(life)))
            since = _queued_since(s, oid, received)
            due, warn = steps.CityCalendar(ctx).deadline(since, limits.dispatch)
            timer = StepTimer(Step.DISPATCH, limits.dispatch, since, due, warn)
            # Stored as it stood when it started, so the marking pass reports it.
            save_timers(conn, oid, [timer], since)
        held = s.execute(
            select(
                W.id,
                W.dispatched_at,
                W.due_at,
                W.warn_at,
                W.time_limit,
                W.lead_department,
                W.urgency,
                W.life_safety,
            )
            .where(
                W.status.in_(_HELD),
                W.due_at.is_not(None),
                W.warn_at.is_not(None),
                ~_open_step(Step.COMPLETE),
            )
            .limit(batch)
        ).all()
        for oid, dispatched, due_at, warn_at, limit_text, lead, urgency, life in held:
            limits = steps.step_limits(ctx, steps.is_urgent(urgency, bool(life)))
            limit = steps.parse_limit_or(limit_text, limits.complete)
            if due_at is None or warn_at is None:  # excluded by the query; for the checker
                continue
            begin = min(dispatched or warn_at, warn_at)
            timer = StepTimer(Step.COMPLETE, limit, begin, due_at, warn_at, lead)
            save_timers(conn, oid, [timer], begin)
        uow.commit()
    return len(queued), len(held)


def sweep_steps(ctx: CityLoop, now: datetime | None = None) -> SweepResult:
    """One pass: start missing timers, then mark open steps warning/overdue as of `now`.
    Returns what changed, so a caller can notify the people concerned."""
    at = now or ctx.clock.now()
    result = SweepResult(started=start_missing(ctx, at))
    open_ = STEPS.c.finished_at.is_(None)
    with ctx.uow() as uow:
        conn = uow.session.connection()
        result.overdue = list(
            conn.execute(
                update(STEPS)
                .where(open_, STEPS.c.due_at < at, STEPS.c.state != StepState.OVERDUE.value)
                .values(state=StepState.OVERDUE.value)
                .returning(STEPS.c.id)
            ).scalars()
        )
        result.warned = list(
            conn.execute(
                update(STEPS)
                .where(
                    and_(open_, STEPS.c.warn_at <= at, STEPS.c.due_at >= at),
                    STEPS.c.state == StepState.RUNNING.value,
                )
                .values(state=StepState.WARNING.value)
                .returning(STEPS.c.id)
            ).scalars()
        )
        uow.commit()
    if result.started or result.warned or result.overdue:
        log.info("step sweep: %s", result.as_dict(), extra=result.as_dict())
    return result
