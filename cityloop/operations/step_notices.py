"""Notices from the step sweeper (services/step_sweeper.py, per-step deadlines): each step
that entered 预警 or 超时 in this sweep is told once — the sweeper's UPDATE … RETURNING hands
out each transition to one caller, and the message keys make a repeat harmless.

派单 overdue → the dispatchers; 签收 (respond) overdue → 签收超时 to the department; 办结
(complete) warning → 预警, overdue → 超期 to the department and the supervisors over the
place (and the screens); 协办反馈 (co_feedback) overdue → 超期 to the co-department."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cityloop.domain.steps import Step
from cityloop.operations.notify.templates import Event, Notice
from cityloop.operations.tails import _depts, _first_address, live_order, order_notice, place_of
from cityloop.services.context import CityLoop
from cityloop.store.models import WorkOrderRow
from cityloop.store.steps import OrderStepRow


def step_notices(
    ctx: CityLoop, warned: list[int], overdue: list[int]
) -> tuple[list[Notice], list[tuple[WorkOrderRow, str]]]:
    """(notices, orders whose completion just went overdue, with their place)."""
    ids = [*warned, *overdue]
    if not ids:
        return [], []
    ref = ctx.reference.get()
    late = set(overdue)
    notices: list[Notice] = []
    live: list[tuple[WorkOrderRow, str]] = []
    with ctx.uow() as uow:
        s = uow.session
        rows = s.execute(
            select(OrderStepRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == OrderStepRow.work_order_id)
            .where(OrderStepRow.id.in_(ids))
        ).all()
        addresses = _first_address(s, [w.id for _, w in rows])
        for step, w in rows:
            addr = addresses.get(w.id, "")
            state = "overdue" if step.id in late else "warning"
            key = f"step{step.id}:{state}"
            dept = (step.department_code,) if step.department_code else _depts(w)
            kind = Step(step.step)
            n: Notice | None = None
            if kind is Step.DISPATCH and state == "overdue":
                n = order_notice(
                    ctx, ref, w, Event.OVERDUE, key, "派单超时", addr, to_dispatchers=True
                )
            elif kind is Step.RESPOND and state == "overdue":
                n = order_notice(
                    ctx,
                    ref,
                    w,
                    Event.ACCEPT_TIMEOUT,
                    key,
                    "",
                    addr,
                    departments=dept,
                    region_code=w.grid_code,
                )
            elif kind is Step.COMPLETE and state == "warning":
                n = order_notice(ctx, ref, w, Event.WARNING, key, "", addr, departments=dept)
            elif kind is Step.COMPLETE:
                n = order_notice(
                    ctx,
                    ref,
                    w,
                    Event.OVERDUE,
                    key,
                    addr,
                    addr,
                    departments=dept,
                    region_code=w.grid_code,
                )
                live.append((w, place_of(ref, addr, w.grid_code)))
            elif kind is Step.CO_FEEDBACK and state == "overdue":
                n = order_notice(
                    ctx, ref, w, Event.OVERDUE, key, "协办反馈超时", addr, departments=dept
                )
            if n is not None:
                notices.append(n)
    return notices, live


def publish_overdue(ctx: CityLoop, live: list[tuple[WorkOrderRow, str]]) -> None:
    for w, place in live:
        due: Any = w.due_at.isoformat() if w.due_at else None
        live_order(ctx, "overdue", w, place, due_at=due)
