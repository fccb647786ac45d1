"""The demo city's orders carry step timers: nothing waits in a queue without one."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from cityloop.demo.load import build_demo
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.watch import watch_counts
from cityloop.store.models import WorkOrderRow
from cityloop.store.steps import STEPS


def test_every_open_demo_order_has_a_running_step_and_the_queue_shows_overdue(ctx):
    build_demo(ctx, appeals=600, reset=True, progress=lambda _: None, train_model=False)
    W = WorkOrderRow
    open_step = exists().where(STEPS.c.work_order_id == W.id, STEPS.c.finished_at.is_(None))
    with ctx.uow() as uow:
        s = uow.session
        untimed = s.execute(
            select(func.count())
            .select_from(W)
            .where(W.status.in_(["pending_dispatch", "dispatched", "accepted"]), ~open_step)
        ).scalar_one()
        pending = s.execute(
            select(func.count()).select_from(W).where(W.status == "pending_dispatch")
        ).scalar_one()
        states = dict(
            s.execute(
                select(STEPS.c.state, func.count())
                .where(STEPS.c.step == "dispatch", STEPS.c.finished_at.is_(None))
                .group_by(STEPS.c.state)
            ).all()
        )
    assert untimed == 0
    assert pending > 0 and sum(states.values()) == pending
    # Waiting since weeks: the sweep at the end of the build marked them overdue.
    assert states.get("overdue", 0) > 0
    counts = watch_counts(ctx, Actor(None, "派单员", Role.DISPATCHER))
    assert counts["dispatch_overdue"] == states["overdue"]
    assert counts["overdue"] >= counts["dispatch_overdue"]
    assert counts["awaiting_visit"] > 0
