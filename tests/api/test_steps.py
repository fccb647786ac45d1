"""Clocks and steps over HTTP: urgent limits on the natural clock, a timer on every step, watch
lists and their counts, the two refusal rules, urgency raised by a linked appeal, life safety."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from cityloop.domain.orders import Actor
from cityloop.services.clock import ManualClock
from cityloop.services.escalation import raise_urgency
from cityloop.services.step_sweeper import start_missing, sweep_steps
from cityloop.store.models import AppealRow, WorkOrderRow
from cityloop.store.steps import STEPS, load_timers
from tests.conftest import EAST, WEST, Users, category

SH = ZoneInfo("Asia/Shanghai")
LAMP = "城乡建设/市政设施/路灯损坏"  # lead D-CG, co D-HX; urgent 2h, normal 5d
WATER = "城乡建设/供水/停水"  # lead D-SW, no co; urgent 2h, normal 3d
GAS = "公共安全/燃气安全/燃气泄漏"


def _appeal(client: TestClient, users: Users, ctx, path: str | None = LAMP, **over) -> dict:
    body = {
        "channel": "hotline",
        "content": "小区里停水了，一整天没有水用，请尽快处理。",
        "reporter_name": "王五",
        "reporter_phone": "13900002222",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    if path:
        body["category_code"] = category(ctx, path)
    body.update(over)
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, users, who, oid, action, expect=200, **body) -> dict:
    r = client.post(
        f"/api/v1/work-orders/{oid}/actions/{action}", json=body, headers=users.headers(who)
    )
    assert r.status_code == expect, (action, who, r.text)
    return r.json()


def _order(client, users, oid, who="dispatcher") -> dict:
    r = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers(who))
    assert r.status_code == 200, r.text
    return r.json()


def _steps(order: dict) -> dict[tuple[str, str | None], dict]:
    return {(s["step"], s["department_code"]): s for s in order["steps"]}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_urgent_two_hours_received_tuesday_17_01_is_due_19_01(client, users, ctx, clock):
    tuesday = datetime(2026, 12, 1, 17, 1, tzinfo=SH)
    clock.set(tuesday)
    body = _appeal(client, users, ctx, WATER, urgency="urgent")
    assert body["status"] == "dispatched"
    assert _at(body["due_at"]) == tuesday + timedelta(hours=2)
    order = _order(client, users, body["work_order_id"])
    assert order["time_limit"] == "2h@natural"
    complete = _steps(order)[("complete", "D-SW")]
    assert complete["clock"] == "natural" and complete["limit"] == "2h@natural"
    assert _at(complete["due_at"]) == tuesday + timedelta(hours=2)
    assert _at(complete["warn_at"]) == tuesday + timedelta(minutes=96)  # 80 % of two hours
    assert complete["remaining_text"]["zh"] == "剩余 2小时"
    # The answer to the caller: being handled now, no date days away.
    assert "立即处置" in body["next_step"] and "前答复" not in body["next_step"]


def test_urgent_on_a_public_holiday_is_due_the_same_two_hours_later(client, users, ctx, clock):
    national_day = datetime(2026, 10, 1, 17, 1, tzinfo=SH)
    clock.set(national_day)
    body = _appeal(client, users, ctx, WATER, urgency="urgent")
    assert _at(body["due_at"]) == national_day + timedelta(hours=2)


def test_normal_limits_stay_on_the_working_clock(client, users, ctx, clock):
    tuesday = datetime(2026, 12, 1, 17, 1, tzinfo=SH)
    clock.set(tuesday)
    body = _appeal(client, users, ctx, WATER)
    # Three working days after receipt, at the close of office.
    assert _at(body["due_at"]) == datetime(2026, 12, 4, 18, 0, tzinfo=SH)
    order = _order(client, users, body["work_order_id"])
    respond = _steps(order)[("respond", "D-SW")]
    assert respond["clock"] == "working" and respond["limit"] == "1d"
    assert _at(respond["due_at"]) == datetime(2026, 12, 2, 18, 0, tzinfo=SH)


def test_every_step_has_a_timer(client, users, ctx, clock: ManualClock):
    start = clock.now()
    oid = _appeal(client, users, ctx, None)["work_order_id"]
    order = _order(client, users, oid)
    [dispatch] = order["steps"]
    assert dispatch["step"] == "dispatch" and dispatch["limit"] == "2h"
    assert dispatch["state"] == "running" and dispatch["clock"] == "working"
    clock.set(start + timedelta(hours=3))  # 10:00 → 13:00: 2 working hours used by 12:00
    order = _order(client, users, oid)
    assert order["steps"][0]["state"] == "overdue"
    assert order["step_state"] == "overdue" and order["next_due"]["step"] == "dispatch"
    order = _act(client, users, "dispatcher", oid, "dispatch", category_code=category(ctx, LAMP))
    by = _steps(order)
    assert by[("dispatch", None)]["state"] == "done_late"
    assert by[("respond", "D-CG")]["state"] == "running"
    assert by[("complete", "D-CG")]["due_at"] == order["due_at"]
    co = by[("co_feedback", "D-HX")]
    assert _at(co["due_at"]) < _at(order["due_at"])  # a share of the lead's time
    _act(client, users, "cg", oid, "accept")
    by = _steps(_order(client, users, oid))
    assert by[("respond", "D-CG")]["state"] == "done"
    # The timers are stored: a fresh read (as after a restart) gives the same.
    with ctx.engine.connect() as conn:
        stored = load_timers(conn, oid)
    assert {t.step.value for t in stored} == {"dispatch", "respond", "complete", "co_feedback"}


def test_urgent_order_waiting_for_manual_dispatch_gets_a_deadline(client, users, ctx, clock):
    start = clock.now()
    oid = _appeal(client, users, ctx, None, urgency="urgent")["work_order_id"]
    [dispatch] = _order(client, users, oid)["steps"]
    assert dispatch["limit"] == "10m@natural"
    assert _at(dispatch["due_at"]) == start + timedelta(minutes=10)
    clock.set(start + timedelta(minutes=11))
    listed = client.get(
        "/api/v1/work-orders?watch=dispatch_overdue", headers=users.headers("dispatcher")
    ).json()
    assert [o["id"] for o in listed["items"]] == [oid]
    assert listed["items"][0]["next_due"]["remaining_text"]["zh"] == "超时 1分钟"
    counts = client.get(
        "/api/v1/work-orders/watch-counts", headers=users.headers("dispatcher")
    ).json()
    assert counts["dispatch_overdue"] == 1 and counts["overdue"] == 1


def test_watch_lists_and_counts_are_scoped(client, users, ctx, clock: ManualClock):
    start = clock.now()
    west = _appeal(client, users, ctx, LAMP)["work_order_id"]
    east = _appeal(client, users, ctx, LAMP, lon=EAST[0], lat=EAST[1])["work_order_id"]
    _act(client, users, "leader", west, "urge", note="请加快")
    _act(client, users, "cg", west, "accept")
    _act(client, users, "cg", west, "request_extension", extension="2d", note="材料未到")
    # 5 working days from 2026-09-30 end on 2026-10-13 (National Day in between); the
    # respond step (1 working day) is long overdue by then, the completion in warning.
    clock.set(datetime(2026, 10, 13, 15, 0, tzinfo=SH))
    dispatcher = client.get(
        "/api/v1/work-orders/watch-counts", headers=users.headers("dispatcher")
    ).json()
    assert dispatcher["urged"] == 1 and dispatcher["extension_pending"] == 1
    # East (3 working days, D-HD) is past due and was never accepted; west's co-handler is
    # past its half of the time; west's own completion (5 working days) is in warning.
    assert dispatcher["overdue"] == 2
    assert dispatcher["warning"] == 1
    sup_east = client.get(
        "/api/v1/work-orders/watch-counts", headers=users.headers("sup_east")
    ).json()
    assert sup_east["urged"] == 0 and sup_east["extension_pending"] == 0
    assert sup_east["overdue"] == 1
    listed = client.get(
        "/api/v1/work-orders?watch=overdue&overdue_step=respond",
        headers=users.headers("sup_west"),
    ).json()
    assert listed["total"] == 0  # west accepted in time; east is not in its jurisdiction
    listed = client.get(
        "/api/v1/work-orders?watch=overdue&overdue_step=respond",
        headers=users.headers("dispatcher"),
    ).json()
    assert [o["id"] for o in listed["items"]] == [east]
    bad = client.get("/api/v1/work-orders?watch=soon", headers=users.headers("dispatcher"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert start < clock.now()


def test_reply_with_a_pending_extension_is_refused(client, users, ctx):
    oid = _appeal(client, users, ctx, WATER)["work_order_id"]
    _act(client, users, "sw", oid, "accept")
    _act(client, users, "sw", oid, "request_extension", extension="2d", note="需协调")
    problem = _act(client, users, "sw", oid, "reply", expect=409, note="已恢复供水")
    assert problem["code"] == "extension_pending"
    assert problem["params"]["extension"] == "2d"
    assert set(problem["params"]["resolve_with"]) == {"approve_extension", "deny_extension"}
    assert "reply" not in problem["allowed_actions"]
    order = _order(client, users, oid, "sw")
    assert order["pending_extension"] == "2d"  # nothing changed
    assert "reply" not in order["allowed_actions"]
    _act(client, users, "dispatcher", oid, "deny_extension", note="请按期办结")
    order = _act(client, users, "sw", oid, "reply", note="已恢复供水")
    assert order["status"] == "replied"


def test_lead_waits_for_co_feedback_until_its_limit(
    client, users, ctx, clock: ManualClock, monkeypatch
):
    monkeypatch.setattr(ctx.settings, "co_feedback_wait", True)
    oid = _appeal(client, users, ctx, LAMP)["work_order_id"]
    _act(client, users, "cg", oid, "accept")
    problem = _act(client, users, "cg", oid, "reply", expect=409, note="已修复")
    assert problem["code"] == "co_feedback_pending"
    assert problem["params"]["departments"] == ["D-HX"]
    until = _at(problem["params"]["until"])
    assert "reply" not in _order(client, users, oid, "cg")["allowed_actions"]
    clock.set(until + timedelta(minutes=1))
    order = _act(client, users, "cg", oid, "reply", note="已修复")
    assert order["status"] == "replied"
    assert order["timeline"][-1]["data"]["co_missing"] == ["D-HX"]
    assert _steps(order)[("co_feedback", "D-HX")]["state"] == "missed"


def test_co_feedback_in_time_lets_the_lead_reply(client, users, ctx, monkeypatch):
    monkeypatch.setattr(ctx.settings, "co_feedback_wait", True)
    oid = _appeal(client, users, ctx, LAMP)["work_order_id"]
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "hx", oid, "co_reply", note="街道已配合排查")
    order = _act(client, users, "cg", oid, "reply", note="已修复")
    assert "co_missing" not in order["timeline"][-1]["data"]
    assert _steps(order)[("co_feedback", "D-HX")]["state"] == "done"


def test_an_urgent_appeal_joining_an_open_order_raises_it(client, users, ctx, clock):
    start = clock.now()
    oid = _appeal(client, users, ctx, LAMP)["work_order_id"]
    normal_due = _at(_order(client, users, oid)["due_at"])
    later = start + timedelta(hours=1)
    clock.set(later)
    joining = AppealRow(ticket_no="20260930-000099", life_safety=False)
    with ctx.engine.begin() as conn:
        raise_urgency(ctx, joining, Actor.system(), later)(conn, oid, [])
    order = _order(client, users, oid)
    assert order["urgency"] == "urgent"
    assert _at(order["due_at"]) == later + timedelta(hours=2)  # the rule's urgent 2h
    assert _at(order["due_at"]) < normal_due
    by = _steps(order)
    assert _at(by[("respond", "D-CG")]["due_at"]) == later + timedelta(minutes=30)
    assert by[("complete", "D-CG")]["clock"] == "natural"
    last = order["timeline"][-1]
    assert last["action"] == "escalate" and "20260930-000099" in last["note"]


def test_life_safety_goes_first_and_is_handed_off(client, users, ctx, monkeypatch):
    handoffs = {category(ctx, "公共安全/燃气安全"): "119|110"}
    monkeypatch.setattr(ctx.settings, "emergency_handoffs", handoffs)
    first = _appeal(client, users, ctx, None)["work_order_id"]
    danger = _appeal(
        client,
        users,
        ctx,
        None,
        content="楼道里燃气味道很重，有老人晕倒了",
        life_safety=True,
    )
    assert danger["life_safety"] and danger["urgency"] == "urgent"
    assert "立即处置" in danger["next_step"] and "119" in danger["next_step"]
    assert "now" in danger["next_step_en"] and "call 110/119/120" in danger["next_step_en"]
    queue = client.get(
        "/api/v1/work-orders?status=pending_dispatch", headers=users.headers("dispatcher")
    ).json()
    assert [o["id"] for o in queue["items"]][:2] == [danger["work_order_id"], first]
    assert queue["items"][0]["life_safety"] is True
    listed = client.get(
        "/api/v1/work-orders?watch=life_safety", headers=users.headers("dispatcher")
    ).json()
    assert [o["id"] for o in listed["items"]] == [danger["work_order_id"]]
    gas = _appeal(client, users, ctx, GAS, life_safety=True)
    order = _order(client, users, gas["work_order_id"])
    assert [h["agency"] for h in order["handoffs"]] == ["119", "110"]
    assert order["handoffs"][0]["to"] == "消防119指挥中心"
    assert [e["action"] for e in order["timeline"]].count("handoff") == 2


def test_sweeper_starts_missing_timers_and_marks_overdue(client, users, ctx, clock):
    start = clock.now()
    waiting = _appeal(client, users, ctx, None)["work_order_id"]
    held = _appeal(client, users, ctx, WATER)["work_order_id"]
    with ctx.engine.begin() as conn:  # as before migration k0001: no timers at all
        conn.execute(delete(STEPS))
    clock.set(start + timedelta(days=60))
    result = sweep_steps(ctx)
    assert result.started == 2
    assert len(result.overdue) == 2 and result.warned == []
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(STEPS.c.work_order_id, STEPS.c.step, STEPS.c.state)).all()
        received = conn.execute(
            select(WorkOrderRow.received_at).where(WorkOrderRow.id == waiting)
        ).scalar_one()
        [dispatch] = load_timers(conn, waiting)
    assert sorted((r.work_order_id, r.step, r.state) for r in rows) == [
        (waiting, "dispatch", "overdue"),
        (held, "complete", "overdue"),
    ]
    assert dispatch.started_at == received  # waiting since receipt, not since the sweep
    again = sweep_steps(ctx)
    assert again.started == 0 and again.overdue == [] and again.warned == []


def test_step_kpis_count_dispatch_and_acceptance_on_time(client, users, ctx, clock):
    start = clock.now()  # Wednesday 2026-09-30 10:00, before the National Day week
    at_once = _appeal(client, users, ctx, LAMP)["work_order_id"]
    queued = _appeal(client, users, ctx, None)["work_order_id"]
    clock.set(start + timedelta(minutes=30))
    _act(client, users, "cg", at_once, "accept")
    clock.set(start + timedelta(hours=3))  # two working hours were up at 12:00
    _act(client, users, "dispatcher", queued, "dispatch", category_code=category(ctx, LAMP))
    clock.set(datetime(2026, 10, 12, 10, 0, tzinfo=SH))  # one working day was up on Oct 9
    _act(client, users, "cg", queued, "accept")
    r = client.get(
        "/api/v1/analytics/step-kpi?period=2026-09-01..2026-10-31",
        headers=users.headers("leader"),
    )
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert total["dispatch_on_time_rate"] == {"judged": 2, "on_time": 1, "missed": 0, "rate": 0.5}
    assert total["respond_on_time_rate"]["judged"] == 2
    assert total["respond_on_time_rate"]["rate"] == 0.5
    # Completion is due on Oct 14 and still open: not judged yet, so no rate at all.
    assert total["complete_on_time_rate"] == {
        "judged": 0,
        "on_time": 0,
        "missed": 0,
        "rate": None,
    }
    rows = {row["department"]: row for row in r.json()["rows"]}
    assert rows[None]["department_name"] == "派单中心"
    assert rows["D-CG"]["respond_on_time_rate"]["on_time"] == 1
    assert (
        client.get(
            "/api/v1/analytics/step-kpi?period=soon", headers=users.headers("leader")
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/analytics/step-kpi?period=2026-10", headers=users.headers("cg")
        ).status_code
        == 403
    )


def test_linked_urgent_appeal_raises_the_order_end_to_end(client, users, ctx, clock, monkeypatch):
    monkeypatch.setattr(ctx.settings, "incident_linking", True)
    first = _appeal(client, users, ctx, LAMP, content="幸福路3号门口的路灯坏了好几天，晚上很黑")
    clock.set(clock.now() + timedelta(minutes=20))
    second = _appeal(
        client,
        users,
        ctx,
        LAMP,
        content="幸福路3号门口路灯不亮，坏了好几天了，电线裸露在外面",
        reporter_phone="13700003333",
        urgency="urgent",
    )
    assert second["work_order_id"] == first["work_order_id"]
    order = _order(client, users, first["work_order_id"])
    assert order["urgency"] == "urgent"
    assert [e["action"] for e in order["timeline"]][-2:] == ["link", "escalate"]
    assert second["ticket_no"] in order["timeline"][-1]["note"]
    assert _at(order["due_at"]) == clock.now() + timedelta(hours=2)


def test_linkage_import_takes_clocks_and_names_the_row_of_a_bad_limit(ctx):
    from cityloop.geo.regions import ImportRejected
    from cityloop.services import admin

    rows = [
        (2, {"category": LAMP, "lead": "D-CG", "urgent": "90m", "normal": "8wh"}),
        (3, {"category": WATER, "lead": "D-SW", "urgent": "2h@natural", "normal": "3d@working"}),
    ]
    admin.import_rules(ctx, rows, "clocks")
    ctx.reference.invalidate()
    rules = {r.category_code: r for r in ctx.reference.get().rules}
    lamp = rules[category(ctx, LAMP)]
    assert str(lamp.limits["urgent"]) == "90m@natural"  # urgent: natural unless said
    assert str(lamp.limits["normal"]) == "8h"  # working hours
    bad = [
        (2, {"category": LAMP, "lead": "D-CG", "normal": "5d"}),
        (3, {"category": WATER, "lead": "D-SW", "urgent": "2 weeks", "normal": "30m"}),
    ]
    with pytest.raises(ImportRejected) as err:
        admin.import_rules(ctx, bad, "bad")
    problems = {(p.row, p.field): p.message for p in err.value.problems}
    assert set(problems) == {(3, "urgent"), (3, "normal")}
    assert "允许的写法" in problems[(3, "urgent")] and "30m@natural" in problems[(3, "normal")]
    assert "第 3 行，“urgent”" in str(err.value)  # the CLI prints the row and the field


def test_open_working_timers_are_recomputed_on_a_new_calendar(client, users, ctx, monkeypatch):
    from datetime import date

    from cityloop.domain.sla import SlaClock
    from cityloop.services.steps import recompute_open

    oid = _appeal(client, users, ctx, None)["work_order_id"]
    [before] = _order(client, users, oid)["steps"]
    assert _at(before["due_at"]) == datetime(2026, 9, 30, 12, 0, tzinfo=SH)

    class DayOff:  # the city declares the day of receipt a holiday after the fact
        def __init__(self, inner):
            self.inner = inner

        def is_workday(self, day: date) -> bool:
            return day != date(2026, 9, 30) and self.inner.is_workday(day)

    monkeypatch.setattr(ctx, "sla", SlaClock(DayOff(ctx.sla.calendar), ctx.sla.office_hours))
    with ctx.engine.begin() as conn:
        changed = recompute_open(conn, ctx, oid, ctx.clock.now())
    assert len(changed) == 1
    [after] = _order(client, users, oid)["steps"]
    # The next working day after the National Day week is Thursday 2026-10-08.
    assert _at(after["due_at"]) == datetime(2026, 10, 8, 11, 0, tzinfo=SH)
    assert after["started_at"] == before["started_at"]


def test_urgent_without_an_urgent_rule_limit_gets_the_urgent_setting(client, users, ctx, clock):
    # 环境保护 has only a normal limit (5 working days): urgent still means 24 natural hours.
    body = _appeal(client, users, ctx, "环境保护/噪声污染/施工噪音", urgency="urgent")
    assert body["status"] == "dispatched"
    assert _at(body["due_at"]) == clock.now() + timedelta(hours=24)
    order = _order(client, users, body["work_order_id"])
    assert order["time_limit"] == "24h@natural"


def test_a_backlog_of_missing_timers_is_started_in_small_committed_batches(
    client, users, ctx, clock
):
    orders = [_appeal(client, users, ctx, None)["work_order_id"] for _ in range(3)]
    orders += [_appeal(client, users, ctx, WATER)["work_order_id"] for _ in range(2)]
    with ctx.engine.begin() as conn:
        conn.execute(delete(STEPS))
    commits = []
    real_uow = ctx.uow

    def counting_uow():
        commits.append(1)
        return real_uow()

    ctx.uow = counting_uow  # type: ignore[method-assign]
    try:
        assert start_missing(ctx, clock.now(), batch=2) == 5
    finally:
        ctx.uow = real_uow  # type: ignore[method-assign]
    assert len(commits) == 2  # 3 waiting and 2 held orders, 2 of each per transaction
    with ctx.engine.connect() as conn:
        with_timer = set(conn.execute(select(STEPS.c.work_order_id)).scalars())
    assert with_timer == set(orders)
