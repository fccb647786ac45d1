"""The deadline sweep and the live events it and the tails publish; every job of the
catalogue runs on the fixture city."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from cityloop.operations import events
from cityloop.operations.jobs.catalogue import jobs
from cityloop.operations.jobs.engine import run_job
from cityloop.operations.jobs.work import deadlines as sweep_deadlines
from cityloop.operations.store import MessageRow
from cityloop.operations.tails import tail_order_events
from cityloop.store.models import WorkOrderRow
from tests.conftest import WEST, category


def _appeal(client, ctx, text="幸福路路灯坏了，晚上很黑。"):
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "web",
            "content": text,
            "reporter_phone": "13512345678",
            "address": "幸福路18号",
            "lon": WEST[0],
            "lat": WEST[1],
            "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def _events(ctx, event):
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(MessageRow).where(MessageRow.event == event)))


def test_warning_then_overdue_each_told_once(client, ctx, clock, users):
    oid = _appeal(client, ctx)["work_order_id"]
    client.post(f"/api/v1/work-orders/{oid}/actions/accept", json={}, headers=users.headers("cg"))
    with ctx.uow() as uow:
        w = uow.session.get(WorkOrderRow, oid)
        warn_at, due_at = w.warn_at, w.due_at
    clock.set(warn_at + timedelta(minutes=1))
    assert sweep_deadlines(ctx)["warned"] == 1
    assert sweep_deadlines(ctx)["messages"] == 0  # told once
    warn = [m for m in _events(ctx, "warning") if m.channel == "inbox"]
    assert {m.user_id for m in warn} >= {users.id("cg")}
    assert "即将超期" in warn[0].body and "幸福路18号" in warn[0].body
    clock.set(due_at + timedelta(minutes=1))
    got = sweep_deadlines(ctx)
    assert got["overdue"] == 1 and got["messages"] > 0
    over = {m.user_id for m in _events(ctx, "overdue") if m.channel == "inbox"}
    # the handler and the supervisor over the place, not the other street's supervisor
    assert users.id("cg") in over and users.id("sup_west") in over
    assert users.id("sup_east") not in over
    assert sweep_deadlines(ctx)["messages"] == 0


def test_accept_timeout_is_told_when_a_dispatched_order_waits(client, ctx, clock, users):
    _appeal(client, ctx)
    # the respond step (1 working day) runs past the National Day holiday
    clock.set(clock.now() + timedelta(days=12))
    assert sweep_deadlines(ctx)["overdue"] >= 1
    [m] = [m for m in _events(ctx, "accept_timeout") if m.user_id == users.id("cg")]
    assert "超时未签收" in m.body


def test_live_events_reach_a_subscriber_of_the_process(client, ctx, users):
    async def scenario() -> list[dict]:
        got: list[dict] = []
        sub = events.bus(ctx.settings).subscribe()
        first = asyncio.ensure_future(sub.__anext__())
        await asyncio.sleep(0.05)  # subscribed
        tail_order_events(ctx)
        await asyncio.to_thread(_appeal, client, ctx, "幸福路3号楼燃气泄漏，闻到很浓的煤气味")
        await asyncio.to_thread(tail_order_events, ctx)
        got.append(await asyncio.wait_for(first, 2.0))
        await sub.aclose()
        return got

    [event] = asyncio.run(scenario())
    assert event["kind"] in ("urgent_order", "life_safety")
    assert event["urgency"] == "urgent" and "燃气" in event["title"] + event.get("place", "")


@pytest.mark.parametrize(
    "name", ["notify", "deadlines", "kpi-rollup", "community-sweep", "sensing-check", "retention"]
)
def test_every_scheduled_job_runs_on_the_city(ctx, name):
    spec = next(s for s in jobs(ctx.settings) if s.name == name)
    result = run_job(ctx, spec, "p")
    assert "seconds" in result
