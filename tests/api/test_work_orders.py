"""The closed loop over HTTP: every action, illegal actions, jurisdiction, masking, lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from cityloop.services.clock import ManualClock
from cityloop.store.models import AuditRow, OrderEventRow
from tests.conftest import EAST, WEST, Users, category


def _new(
    client: TestClient, users: Users, ctx, *, where=WEST, path="城乡建设/市政设施/路灯损坏", **over
) -> dict:
    body = {
        "channel": "hotline",
        "content": "幸福路路灯不亮已经三天了，晚上出行很不安全，请尽快维修。",
        "reporter_name": "李四",
        "reporter_phone": "13900001111",
        "lon": where[0],
        "lat": where[1],
    }
    if path:
        body["category_code"] = category(ctx, path)
    body.update(over)
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, users, who, order_id, action, expect=200, **body):
    r = client.post(
        f"/api/v1/work-orders/{order_id}/actions/{action}", json=body, headers=users.headers(who)
    )
    assert r.status_code == expect, (action, who, r.text)
    return r.json()


def test_full_loop_dispatch_accept_extend_reply_rate(client, users, ctx, clock: ManualClock):
    oid = _new(client, users, ctx, path=None)["work_order_id"]
    order = _act(
        client,
        users,
        "dispatcher",
        oid,
        "dispatch",
        category_code=category(ctx, "城乡建设/市政设施/路灯损坏"),
        note="派城管",
    )
    assert order["status"] == "dispatched" and order["lead_department"] == "D-CG"
    assert {a["department_code"] for a in order["assignments"]} == {"D-CG", "D-HX"}
    assert order["rule_version"] is not None
    assert order["timeline"][-1]["data"]["category_to"] == category(
        ctx, "城乡建设/市政设施/路灯损坏"
    )

    clock.set(clock.now() + timedelta(hours=1))
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "cg", oid, "start")
    _act(client, users, "hx", oid, "co_reply", note="街道已配合排查线路")
    order = _act(client, users, "cg", oid, "request_extension", extension="3d", note="需更换灯杆")
    due_before = order["due_at"]
    order = _act(client, users, "sup_west", oid, "approve_extension", note="同意")
    assert order["due_at"] > due_before and order["extension_count"] == 1
    _act(client, users, "leader", oid, "urge", note="请加快")
    order = _act(client, users, "cg", oid, "reply", note="已更换灯泡并恢复照明。")
    assert order["status"] == "replied" and order["sla"]["running"] is False
    assert order["sla"]["status"] == "normal"
    order = _act(client, users, "operator", oid, "rate", rating="satisfied", note="回访满意")
    assert order["status"] == "closed" and order["rating"] == "satisfied"
    actions = [e["action"] for e in order["timeline"]]
    assert actions == [
        "receive",
        "submit",
        "dispatch",
        "accept",
        "start",
        "co_reply",
        "request_extension",
        "approve_extension",
        "urge",
        "reply",
        "rate",
    ]
    assert order["urge_count"] == 1
    assert order["allowed_actions"] == ["comment"]


def test_illegal_action_is_409_with_allowed_actions(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    body = _act(client, users, "cg", oid, "reply", expect=409, note="x")
    assert body["current_status"] == "dispatched"
    assert "accept" in body["allowed_actions"]


def test_return_and_redispatch(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    problem = _act(client, users, "cg", oid, "return", expect=422, note="")
    assert problem["errors"][0]["field"] == "note"
    order = _act(client, users, "cg", oid, "return", note="非我单位职责，应由水务局处理")
    assert order["status"] == "returned" and order["return_count"] == 1
    # The returning department still sees the order it returned, but may no longer act on it.
    _act(client, users, "cg", oid, "accept", expect=403)
    order = _act(
        client,
        users,
        "dispatcher",
        oid,
        "dispatch",
        lead_department="D-SW",
        co_departments=[],
        time_limit="3d",
    )
    assert order["lead_department"] == "D-SW"
    _act(client, users, "sw", oid, "accept")


def test_reject_reply_reopens_and_unsatisfied_rating_reopens(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    for action in ("accept", "reply"):
        _act(client, users, "cg", oid, action, note="处理完毕")
    order = _act(client, users, "sup_west", oid, "reject_reply", note="答复不完整")
    assert order["status"] == "reopened" and order["reopen_count"] == 1
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "cg", oid, "reply", note="已彻底修复")
    order = _act(client, users, "operator", oid, "rate", rating="unsatisfied", note="仍不亮")
    assert order["status"] == "reopened" and order["reopen_count"] == 2
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "cg", oid, "reply", note="更换了整条线路")
    order = _act(client, users, "dispatcher", oid, "close", note="回访无人接听，按规定办结")
    assert order["status"] == "closed"


def test_merge_follows_callers_together(client, users, ctx):
    a = _new(client, users, ctx)["work_order_id"]
    b = _new(client, users, ctx, reporter_phone="13700002222")["work_order_id"]
    order = _act(client, users, "dispatcher", b, "merge", merge_into=a, note="同一事件")
    assert order["status"] == "merged" and order["merged_into"] == a
    target = client.get(f"/api/v1/work-orders/{a}", headers=users.headers("dispatcher")).json()
    assert len(target["appeals"]) == 2
    assert target["timeline"][-1]["action"] == "link"
    _act(client, users, "dispatcher", a, "merge", expect=422, merge_into=a)
    _act(client, users, "dispatcher", b, "merge", expect=409, merge_into=a)


def test_cancel_needs_a_reason(client, users, ctx):
    oid = _new(client, users, ctx, path=None)["work_order_id"]
    _act(client, users, "dispatcher", oid, "cancel", expect=422)
    order = _act(client, users, "dispatcher", oid, "cancel", note="重复来电")
    assert order["status"] == "cancelled" and order["cancel_reason"] == "重复来电"


def test_deny_extension_and_comment(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "cg", oid, "request_extension", extension="2d", note="材料未到")
    order = _act(client, users, "dispatcher", oid, "deny_extension", note="时限内可完成")
    assert order["pending_extension"] is None and order["extension_count"] == 0
    order = _act(client, users, "grid_west", oid, "comment", note="网格员已到现场确认")
    assert order["timeline"][-1]["actor_role"] == "grid_worker"
    _act(client, users, "cg", oid, "request_extension", expect=422, extension="soon", note="x")


def test_submit_moves_received_to_queue(client, users, ctx):
    # Orders start in the queue already when not auto-dispatched; submit is refused there.
    oid = _new(client, users, ctx, path=None)["work_order_id"]
    body = _act(client, users, "dispatcher", oid, "submit", expect=409)
    assert body["current_status"] == "pending_dispatch"


def test_supervisor_of_another_street_cannot_see_or_act(client, users, ctx):
    west = _new(client, users, ctx)["work_order_id"]
    east = _new(client, users, ctx, where=EAST)["work_order_id"]
    h = users.headers("sup_east")
    assert client.get(f"/api/v1/work-orders/{west}", headers=h).status_code == 404
    assert client.get(f"/api/v1/work-orders/{east}", headers=h).status_code == 200
    _act(client, users, "sup_east", west, "urge", expect=404, note="x")
    listed = client.get("/api/v1/work-orders", headers=h).json()
    assert [o["id"] for o in listed["items"]] == [east]
    grid = client.get("/api/v1/work-orders", headers=users.headers("grid_west")).json()
    assert [o["id"] for o in grid["items"]] == [west]


def test_handler_sees_only_orders_of_their_department(client, users, ctx):
    mine = _new(client, users, ctx)["work_order_id"]
    _new(client, users, ctx, path="城乡建设/供水/停水")
    listed = client.get("/api/v1/work-orders", headers=users.headers("cg")).json()
    assert [o["id"] for o in listed["items"]] == [mine]
    _act(client, users, "hx", mine, "accept", expect=403)  # a co-handler cannot accept


def test_resident_sees_only_own_appeals(client, users, ctx):
    body = {
        "channel": "app",
        "content": "小区门口道路有个大坑，车辆经过很危险。",
        "reporter_phone": "13600003333",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    mine = client.post("/api/v1/appeals", json=body, headers=users.headers("resident")).json()
    other = _new(client, users, ctx)["work_order_id"]
    h = users.headers("resident")
    assert client.get(f"/api/v1/work-orders/{other}", headers=h).status_code == 404
    detail = client.get(f"/api/v1/work-orders/{mine['work_order_id']}", headers=h).json()
    assert detail["appeals"][0]["reporter_phone"] == "13600003333"
    assert (
        client.get("/api/v1/work-orders", headers=users.headers("resident2")).json()["total"] == 0
    )


def test_personal_data_masked_and_reveal_audited(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    handler = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("cg")).json()
    assert handler["personal_data_masked"] and handler["may_reveal"]
    assert handler["appeals"][0]["reporter_phone"] == "139****1111"
    assert handler["appeals"][0]["reporter_name"] == "李*"
    leader = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("leader")).json()
    assert leader["appeals"][0]["reporter_phone"] == "139****1111" and not leader["may_reveal"]
    r = client.post(
        f"/api/v1/work-orders/{oid}/reveal",
        json={"reason": "leader"},
        headers=users.headers("leader"),
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/work-orders/{oid}/reveal",
        json={"reason": "需电话联系核实现场"},
        headers=users.headers("cg"),
    )
    assert r.status_code == 200 and r.json()[0]["reporter_phone"] == "13900001111"
    dispatcher = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("dispatcher"))
    assert dispatcher.json()["appeals"][0]["reporter_phone"] == "13900001111"
    with ctx.uow() as uow:
        audit = uow.session.execute(select(AuditRow).order_by(AuditRow.id)).scalars().all()
    assert [(a.action, a.actor_name) for a in audit] == [
        ("reveal_personal_data", "cg"),
        ("read_personal_data", "dispatcher"),
    ]
    assert audit[0].detail["reason"] == "需电话联系核实现场"
    listed = client.get("/api/v1/work-orders", headers=users.headers("dispatcher")).json()
    assert "reporter_phone" not in listed["items"][0]


def test_list_filters_and_pagination(client, users, ctx, clock: ManualClock):
    for i in range(5):
        _new(client, users, ctx, content=f"幸福路第{i}号路灯不亮，晚上很黑，请维修。")
    _new(
        client,
        users,
        ctx,
        path="城乡建设/供水/停水",
        channel="sms",
        content="和平社区今天整天停水，没有提前通知。",
        where=EAST,
    )
    h = users.headers("dispatcher")
    page = client.get("/api/v1/work-orders", params={"page": 2, "page_size": 4}, headers=h).json()
    assert page["total"] == 6 and page["page"] == 2 and len(page["items"]) == 2

    def total(**params):
        # Headers per call: moving the clock a month on expires earlier tokens.
        r = client.get("/api/v1/work-orders", params=params, headers=users.headers("dispatcher"))
        return r.json()["total"]

    assert total(channel="sms") == 1
    assert total(department="D-SW") == 1
    assert total(department="D-HX") == 5  # co-handler assignments count
    assert total(category=category(ctx, "城乡建设")) == 6
    assert total(category=category(ctx, "城乡建设/供水")) == 1
    assert total(region="990102002") == 1
    assert total(region="990102001001") == 5
    assert total(q="第3号") == 1
    assert total(status=["dispatched"]) == 6
    assert total(overdue="true") == 0
    clock.set(clock.now() + timedelta(days=30))
    assert total(overdue="true") == 6
    later = datetime(2026, 10, 1, tzinfo=clock.now().tzinfo).isoformat()
    assert total(received_from=later) == 0
    bad = client.get(
        "/api/v1/work-orders", params={"page_size": 1000}, headers=users.headers("dispatcher")
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "page_size"


def test_sla_warning_and_overdue_on_the_order(client, users, ctx, clock: ManualClock):
    oid = _new(client, users, ctx)["work_order_id"]  # 5 working days, due 13 Oct 18:00

    def sla():
        h = users.headers("dispatcher")
        return client.get(f"/api/v1/work-orders/{oid}", headers=h).json()["sla"]

    assert sla()["status"] == "normal"
    clock.set(datetime(2026, 10, 13, 9, 30, tzinfo=clock.now().tzinfo))
    reading = sla()
    assert reading["status"] == "warning" and reading["remaining_seconds"] > 0
    clock.set(datetime(2026, 10, 14, 9, 30, tzinfo=clock.now().tzinfo))
    reading = sla()
    assert reading["status"] == "overdue" and reading["remaining_seconds"] < 0


def test_history_is_append_only(client, users, ctx):
    oid = _new(client, users, ctx)["work_order_id"]
    with ctx.uow() as uow:
        before = [
            e.id
            for e in uow.session.execute(
                select(OrderEventRow).where(OrderEventRow.work_order_id == oid)
            ).scalars()
        ]
    _act(client, users, "cg", oid, "accept")
    _act(client, users, "cg", oid, "reply", expect=200, note="好")
    with ctx.uow() as uow:
        after = (
            uow.session.execute(
                select(OrderEventRow)
                .where(OrderEventRow.work_order_id == oid)
                .order_by(OrderEventRow.id)
            )
            .scalars()
            .all()
        )
    assert [e.id for e in after][: len(before)] == before
    assert [e.action for e in after[len(before) :]] == ["accept", "reply"]
    assert after[-1].from_status == "accepted" and after[-1].to_status == "replied"


def test_unknown_order_and_no_token(client, users):
    assert (
        client.get("/api/v1/work-orders/999999", headers=users.headers("admin")).status_code == 404
    )
    r = client.get("/api/v1/work-orders")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem")
    bad = client.get("/api/v1/work-orders", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
