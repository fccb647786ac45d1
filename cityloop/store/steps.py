"""Stored step timers (环节时限, `order_step_deadlines`, migration k0001) and their mapping.

A row is written when its step starts and updated when it finishes, is recomputed (urgency
raised, extension approved) or is swept into warning/overdue. Repositories never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.domain.sla import LimitClock, TimeLimit
from cityloop.domain.steps import Step, StepState, StepTimer
from cityloop.store.models import Base

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class OrderStepRow(Base):
    """One step's timer: limit, clock, start, due and warning times, and how it ended."""

    __tablename__ = "order_step_deadlines"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    step: Mapped[str] = mapped_column(String(12))
    department_code: Mapped[str | None] = mapped_column(String(40))
    limit_text: Mapped[str] = mapped_column(String(24))
    clock: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | warning | overdue while open (kept by the sweeper); the outcome once finished.
    state: Mapped[str] = mapped_column(String(12))

    __table_args__ = (
        # Watch lists and the sweeper read open steps by due or warning time; finished ones
        # are skipped by the leading column.
        Index("ix_step_deadlines_open_due", "finished_at", "due_at"),
        Index("ix_step_deadlines_open_warn", "finished_at", "warn_at"),
        # Step KPIs (派单/签收及时率) read finished steps by step and time.
        Index("ix_step_deadlines_step_started", "step", "started_at"),
    )


STEPS: Table = cast(Table, OrderStepRow.__table__)


def timer_from_row(row: Any) -> StepTimer:
    finished = row.finished_at
    return StepTimer(
        step=Step(row.step),
        limit=TimeLimit.parse(row.limit_text, LimitClock(row.clock)),
        started_at=row.started_at,
        due_at=row.due_at,
        warn_at=row.warn_at,
        department_code=row.department_code,
        finished_at=finished,
        outcome=StepState(row.state) if finished is not None else None,
        id=row.id,
    )


def _values(order_id: int, t: StepTimer, now: datetime) -> dict[str, Any]:
    return {"work_order_id": order_id, **timer_values(t, now)}


def timer_values(t: StepTimer, now: datetime) -> dict[str, Any]:
    """A timer's columns but its order (the one-statement intake fills that in)."""
    return {
        "step": t.step.value,
        "department_code": t.department_code,
        "limit_text": str(t.limit),
        "clock": t.limit.clock.value,
        "started_at": t.started_at,
        "due_at": t.due_at,
        "warn_at": t.warn_at,
        "finished_at": t.finished_at,
        "state": t.state(now).value,
    }


def load_timers(conn: Connection, order_id: int) -> list[StepTimer]:
    rows = conn.execute(
        select(STEPS).where(STEPS.c.work_order_id == order_id).order_by(STEPS.c.id)
    ).all()
    return [timer_from_row(r) for r in rows]


def timers_by_order(conn: Connection, order_ids: Sequence[int]) -> dict[int, list[StepTimer]]:
    out: dict[int, list[StepTimer]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    rows = conn.execute(
        select(STEPS).where(STEPS.c.work_order_id.in_(list(order_ids))).order_by(STEPS.c.id)
    ).all()
    for r in rows:
        out[r.work_order_id].append(timer_from_row(r))
    return out


_UPDATE = (
    update(STEPS)
    .where(STEPS.c.id == bindparam("_id"))
    .values(
        limit_text=bindparam("limit_text"),
        clock=bindparam("clock"),
        due_at=bindparam("due_at"),
        warn_at=bindparam("warn_at"),
        finished_at=bindparam("finished_at"),
        state=bindparam("state"),
    )
)


def save_timers(
    conn: Connection,
    order_id: int,
    timers: Iterable[StepTimer],
    now: datetime,
    before: Iterable[StepTimer] = (),
) -> None:
    """Insert the new timers and update the changed ones (compared with `before`)."""
    old = {t.id: t for t in before if t.id is not None}
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for t in timers:
        if t.id is None:
            new_rows.append(_values(order_id, t, now))
        elif old.get(t.id) != t:
            values = _values(order_id, t, now)
            changed.append(
                {
                    "_id": t.id,
                    **{k: values[k] for k in ("limit_text", "clock", "due_at", "warn_at")},
                    "finished_at": values["finished_at"],
                    "state": values["state"],
                }
            )
    if new_rows:
        conn.execute(insert(STEPS), new_rows)
    if changed:
        conn.execute(_UPDATE, changed)
