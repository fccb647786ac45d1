"""The operator's desk: the caller's earlier appeals by phone, 并入 an open order chosen from
the similar ones, titles cut on word boundaries, and 直接办结 in the state machine."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cityloop.domain.errors import IllegalTransition, InvalidCommand
from cityloop.domain.orders import TRANSITIONS, Actor, Command, WorkOrder, check_invariants
from cityloop.domain.statuses import Action, OrderStatus, Role
from cityloop.nlp.titles import title_from
from cityloop.store.models import AuditRow
from tests.conftest import START, WEST, Users


def _appeal(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "幸福路与和平街交叉口的路灯已经坏了一周，晚上很黑，希望尽快修复。",
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    body.update(over)
    return body


def test_caller_history_by_phone_is_audited(client: TestClient, users: Users, ctx):
    operator = users.headers("operator")
    first = client.post("/api/v1/appeals", json=_appeal(), headers=operator).json()
    client.post(
        "/api/v1/appeals",
        json=_appeal(content="另一位市民反映小区门口道路破损", reporter_phone="13900000000"),
        headers=operator,
    )
    r = client.get("/api/v1/appeals/history", params={"phone": "13812341234"}, headers=operator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["ticket_no"] for i in body["items"]] == [first["ticket_no"]]
    assert body["items"][0]["reporter_name"] == "张三" and body["open"] == 1
    assert body["items"][0]["status"] == "pending_dispatch"
    with ctx.uow() as uow:
        audit = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "read_personal_data")
        ).scalar_one()
    assert audit.target == "138****1234" and audit.detail["lookup"] == "caller_history"
    # Nobody outside the hotline desk looks callers up; a number that is none is refused.
    r = client.get(
        "/api/v1/appeals/history", params={"phone": "13812341234"}, headers=users.headers("cg")
    )
    assert r.status_code == 403
    r = client.get("/api/v1/appeals/history", params={"phone": "12345"}, headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"
    empty = client.get("/api/v1/appeals/history", params={"phone": "13700000000"}, headers=operator)
    assert empty.json()["items"] == []


def test_operator_merges_the_call_into_an_open_order(client: TestClient, users: Users, ctx):
    operator = users.headers("operator")
    first = client.post("/api/v1/appeals", json=_appeal(), headers=operator).json()
    second = client.post(
        "/api/v1/appeals",
        json=_appeal(reporter_phone="13900001111", merge_into=first["work_order_id"]),
        headers=operator,
    )
    assert second.status_code == 201, second.text
    body = second.json()
    assert body["work_order_id"] == first["work_order_id"]
    assert body["ticket_no"] != first["ticket_no"]  # the caller keeps their own number
    order = client.get(f"/api/v1/work-orders/{first['work_order_id']}", headers=operator).json()
    assert len(order["appeals"]) == 2
    assert order["timeline"][-1]["action"] == "link"
    assert "话务员确认" in order["timeline"][-1]["note"]

    # Not into a closed order, not into one that is not there, not both merge and answer.
    client.post(
        f"/api/v1/work-orders/{first['work_order_id']}/actions/cancel",
        json={"note": "测试撤销"},
        headers=users.headers("dispatcher"),
    )
    for over, code in (
        ({"merge_into": first["work_order_id"]}, "order_not_open"),
        ({"merge_into": 99999}, "unknown_order"),
    ):
        r = client.post("/api/v1/appeals", json=_appeal(**over), headers=operator)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "merge_into"
        assert r.json()["errors"][0]["code"] == code
    assert r.json()["errors"][0]["params"] == {"id": 99999}
    r = client.post("/api/v1/appeals", json=_appeal(merge_into=1, answer="答"), headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer"
    assert r.json()["errors"][0]["code"] == "answer_or_merge"
    r = client.post(
        "/api/v1/appeals",
        json=_appeal(channel="web", merge_into=1),
        headers=users.headers("resident"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "merge_into"


def test_title_is_cut_on_a_word_boundary(client: TestClient, users: Users, ctx):
    text = (
        "我家楼下的餐馆每天晚上十一点以后还在营业，油烟和噪音非常大，严重影响休息，多次反映没有结果"
    )
    title = title_from(text)
    assert len(title) <= 30 and title.endswith("…")
    assert text.startswith(title[:-1])
    # The character after the cut starts a new word: never half of 非常 or 噪音.
    assert title[:-1].endswith(("大", "噪音", "油烟", "营业"))
    assert title_from("路灯坏了。已经一周") == "路灯坏了"
    r = client.post(
        "/api/v1/appeals", json=_appeal(content=text), headers=users.headers("operator")
    )
    order = client.get(
        f"/api/v1/work-orders/{r.json()['work_order_id']}", headers=users.headers("operator")
    ).json()
    assert order["title"] == title


def test_answer_closes_a_received_order_and_nothing_else() -> None:
    actor = Actor(1, "话务员", Role.OPERATOR)
    order = WorkOrder.receive("20260930-000001", START, actor)
    order.execute(Command(Action.ANSWER, START, note="已当场答复"), actor)
    assert order.status is OrderStatus.CLOSED
    assert order.reply_text == "已当场答复" and order.replied_at == START
    assert check_invariants(order) == []
    assert TRANSITIONS[Action.ANSWER].sources == frozenset({OrderStatus.RECEIVED})
    refused = WorkOrder.receive("20260930-000002", START, actor)
    with pytest.raises(InvalidCommand):
        refused.execute(Command(Action.ANSWER, START, note=""), actor)
    refused.execute(Command(Action.SUBMIT, START), actor)
    with pytest.raises(IllegalTransition):
        refused.execute(Command(Action.ANSWER, START, note="答复"), actor)
