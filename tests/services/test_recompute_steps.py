"""`cityloop deadlines recompute` also moves the open step timers on the working clock."""

from __future__ import annotations

from datetime import date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from cityloop.services.holidays import DayEntry, seed_from_package, set_days
from cityloop.services.recompute import recompute_deadlines
from cityloop.store.models import WorkOrderRow
from cityloop.store.steps import OrderStepRow
from tests.conftest import TZ, WEST, Users, category


def _local(value: datetime) -> str:
    return value.astimezone(TZ).isoformat()


def test_open_working_clock_steps_follow_the_calendar(
    ctx: CityLoop, client: TestClient, users: Users, clock: ManualClock
) -> None:
    seed_from_package(ctx, None)
    clock.set(datetime(2026, 10, 8, 10, 0, tzinfo=TZ))  # Thursday
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "市民来电：幸福小区3栋停水一天了，没有任何通知，请尽快恢复供水。",
            "lon": WEST[0],
            "lat": WEST[1],
            "category_code": category(ctx, "城乡建设/供水/停水"),
        },
        headers=users.headers("operator"),
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["work_order_id"]

    def steps() -> dict[str, OrderStepRow]:
        with ctx.uow() as uow:
            rows = uow.session.execute(
                select(OrderStepRow).where(OrderStepRow.work_order_id == order_id)
            ).scalars()
            return {s.step: s for s in rows if s.finished_at is None}

    before = steps()
    assert before["respond"].clock == "working"
    set_days(ctx, None, [DayEntry(date(2026, 10, 9), "holiday", "临时放假")])
    result = recompute_deadlines(ctx, None)
    assert result["steps_changed"] >= 1
    after = steps()
    assert after["respond"].due_at > before["respond"].due_at
    with ctx.uow() as uow:
        order = uow.session.get(WorkOrderRow, order_id)
        assert order is not None
        if "complete" in after:  # the completion timer follows the order's own deadline
            assert after["complete"].due_at == order.due_at
        assert _local(order.due_at) == "2026-10-13T18:00:00+08:00"
