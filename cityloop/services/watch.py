"""Watch lists (督办视图): the orders someone must act on now, and their counts for the menu.

预警 (warning), 超期 (overdue, per step), 待审批延期, 已督办, 重办, 待回访, 待派单超时 and
生命安全, each scoped to the caller's jurisdiction by the same visibility clause as every list.
Step conditions are read from `order_step_deadlines` through its (finished_at, due_at) and
(finished_at, warn_at) indexes, so an open-steps probe never scans finished history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, select

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import OPEN, OrderStatus
from cityloop.domain.steps import Step
from cityloop.services.context import CityLoop
from cityloop.services.order_scope import visibility_clause
from cityloop.store.models import WorkOrderRow
from cityloop.store.steps import STEPS

W = WorkOrderRow


class Watch(StrEnum):
    WARNING = "warning"  # 预警
    OVERDUE = "overdue"  # 超期 (any step, or the one named by overdue_step)
    EXTENSION_PENDING = "extension_pending"  # 待审批延期
    URGED = "urged"  # 已督办
    REWORK = "rework"  # 重办
    AWAITING_VISIT = "awaiting_visit"  # 待回访
    DISPATCH_OVERDUE = "dispatch_overdue"  # 待派单超时
    LIFE_SAFETY = "life_safety"  # 生命安全


WATCH_LABELS: dict[Watch, tuple[str, str]] = {
    Watch.WARNING: ("预警", "warning"),
    Watch.OVERDUE: ("超期", "overdue"),
    Watch.EXTENSION_PENDING: ("待审批延期", "extension pending"),
    Watch.URGED: ("已督办", "urged"),
    Watch.REWORK: ("重办", "rework"),
    Watch.AWAITING_VISIT: ("待回访", "awaiting return visit"),
    Watch.DISPATCH_OVERDUE: ("待派单超时", "dispatch overdue"),
    Watch.LIFE_SAFETY: ("生命安全", "life safety"),
}

_OPEN = [s.value for s in OPEN]


def _open_steps(cond: Any, step: Step | None = None) -> Any:
    """Orders with an open step meeting `cond` (of that step, when named)."""
    where = [STEPS.c.finished_at.is_(None), cond]
    if step is not None:
        where.append(STEPS.c.step == step.value)
    return W.id.in_(select(STEPS.c.work_order_id).where(*where))


def watch_clause(watch: Watch, now: datetime, overdue_step: Step | None = None) -> Any:
    """The SQL condition for one watch list at `now`."""
    if watch is Watch.WARNING:
        return and_(
            W.status.in_(_OPEN),
            _open_steps(and_(STEPS.c.warn_at <= now, STEPS.c.due_at >= now), overdue_step),
        )
    if watch is Watch.OVERDUE:
        return and_(W.status.in_(_OPEN), _open_steps(STEPS.c.due_at < now, overdue_step))
    if watch is Watch.DISPATCH_OVERDUE:
        return and_(W.status.in_(_OPEN), _open_steps(STEPS.c.due_at < now, Step.DISPATCH))
    if watch is Watch.EXTENSION_PENDING:
        working = [OrderStatus.ACCEPTED.value, OrderStatus.IN_PROGRESS.value]
        return and_(W.status.in_(working), W.pending_extension.is_not(None))
    if watch is Watch.URGED:
        return and_(W.status.in_(_OPEN), W.urge_count > 0)
    if watch is Watch.REWORK:
        return W.status == OrderStatus.REOPENED.value
    if watch is Watch.AWAITING_VISIT:
        return W.status == OrderStatus.REPLIED.value
    if watch is Watch.LIFE_SAFETY:
        return and_(W.status.in_(_OPEN), W.life_safety.is_(True))
    raise ValueError(f"unknown watch list {watch}")  # pragma: no cover - enum is closed


def life_safety_first() -> Any:
    """Sort key: open life-safety orders before everything else (never left in a queue)."""
    return case((and_(W.life_safety.is_(True), W.status.in_(_OPEN)), 0), else_=1)


def watch_counts(ctx: CityLoop, actor: Actor) -> dict[str, int]:
    """Every watch list's count within the actor's jurisdiction, in one query over the open
    orders (and the replied ones, which 待回访 counts)."""
    now = ctx.clock.now()
    columns = [
        func.coalesce(func.sum(case((watch_clause(w, now), 1), else_=0)), 0).label(w.value)
        for w in Watch
    ]
    stmt = select(*columns).select_from(W).where(W.status.in_(_OPEN))
    visible = visibility_clause(actor)
    if visible is not None:
        stmt = stmt.where(visible)
    with ctx.uow() as uow:
        row = uow.session.execute(stmt).one()
    return {w.value: int(getattr(row, w.value) or 0) for w in Watch}
