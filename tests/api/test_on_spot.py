"""就地处置 over HTTP: a grid worker's patrol report closed in one step, who may do it, what it
needs, how it is recorded and how the KPIs count it; and a resident's 我的诉求."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import cityloop.analytics.store  # noqa: F401  (registers the KPI tables)
from cityloop.analytics import kpi, kpi_rollup
from cityloop.services.context import CityLoop
from cityloop.store.models import AuditRow, OrderEventRow, WorkOrderRow
from tests.conftest import EAST, WEST, Users

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
NOTE = "已将占道堆放的纸箱清运完毕，通道恢复畅通"


def _photo(client: TestClient, users: Users, data: bytes = PNG, kind: str = "image/png") -> Any:
    name = "after.png" if kind.startswith("image/") else "note.pdf"
    r = client.post(
        "/api/v1/attachments",
        files={"file": (name, data, kind)},
        headers=users.headers("grid_west"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _body(photo: Any, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "content": "巡查发现幸福路12号楼道口纸箱占道堆放，影响通行。",
        "address": "幸福路12号",
        "lon": WEST[0],
        "lat": WEST[1],
        "attachments": [photo],
        "handling_note": NOTE,
    }
    body.update(over)
    return body


def _orders(ctx: CityLoop) -> int:
    with ctx.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(WorkOrderRow)).scalar())


def test_grid_worker_reports_and_closes_in_one_step(client: TestClient, users: Users, ctx):
    photo = _photo(client, users)
    r = client.post(
        "/api/v1/appeals/on-spot", json=_body(photo), headers=users.headers("grid_west")
    )
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["status"] == "closed" and res["status_label"] == "已办结"
    assert res["handled_on_spot"] is True
    assert res["lead_department"] is None and res["due_at"] is None
    assert res["grid_code"] == "990102001001001"
    assert "就地处置" in res["routing"]["reason"] and res["routing"]["auto_dispatch"] is False

    detail = client.get(
        f"/api/v1/work-orders/{res['work_order_id']}", headers=users.headers("dispatcher")
    ).json()
    assert detail["channel"] == "grid_patrol"
    assert detail["reply_text"] == NOTE
    assert detail["assignments"] == []
    steps = [(e["action"], e["from_status"], e["to_status"]) for e in detail["timeline"]]
    assert steps == [
        ("receive", "received", "received"),
        ("handle_on_spot", "received", "closed"),
    ]
    assert detail["timeline"][-1]["actor_role"] == "grid_worker"
    assert detail["appeals"][0]["attachments"][0]["url"] == photo["url"]
    with ctx.uow() as uow:
        s = uow.session
        audit = s.execute(
            select(AuditRow).where(AuditRow.action == "order.handled_on_spot")
        ).scalar_one()
        row = s.get(WorkOrderRow, res["work_order_id"])
        assert row is not None and row.handled_on_spot is True
        # No step timer was started for an order closed at receipt.
        events = s.execute(
            select(func.count())
            .select_from(OrderEventRow)
            .where(OrderEventRow.work_order_id == row.id)
        ).scalar()
    assert audit.target == res["ticket_no"] and audit.actor_id == users.id("grid_west")
    assert audit.detail["photos"] == 1
    assert events == 2

    # The grid worker's own order is in their list, closed.
    mine = client.get(
        "/api/v1/work-orders", params={"status": "closed"}, headers=users.headers("grid_west")
    ).json()
    assert res["work_order_id"] in {o["id"] for o in mine["items"]}


@pytest.mark.parametrize("who", ["operator", "dispatcher", "admin", "sup_west", "cg", "resident"])
def test_only_grid_workers_handle_on_the_spot(client: TestClient, users: Users, ctx, who: str):
    photo = _photo(client, users)
    before = _orders(ctx)
    r = client.post("/api/v1/appeals/on-spot", json=_body(photo), headers=users.headers(who))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _orders(ctx) == before


def test_anonymous_is_refused(client: TestClient, users: Users, ctx):
    photo = _photo(client, users)
    r = client.post("/api/v1/appeals/on-spot", json=_body(photo))
    assert r.status_code == 401
    assert _orders(ctx) == 0


def test_hostile_input_names_the_field_and_changes_nothing(client: TestClient, users: Users, ctx):
    photo = _photo(client, users)
    pdf = _photo(client, users, PDF, "application/pdf")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"attachments": []}, "attachments"),  # no photo
        ({"attachments": [pdf]}, "attachments"),  # a document is not a photo of the result
        ({"handling_note": ""}, "handling_note"),
        ({"handling_note": "   \n "}, "handling_note"),
        ({"handling_note": "好"}, "handling_note"),
        ({"handling_note": "x" * 2001}, "handling_note"),
        ({"channel": "hotline"}, "channel"),
        ({"lon": EAST[0], "lat": EAST[1]}, "lat"),  # another grid
        ({"lon": None, "lat": None, "address": ""}, "lat"),  # nowhere
        ({"attachments": [{**photo, "url": "javascript:alert(1)"}]}, "attachments"),
        ({"content": "    "}, "content"),
    ]
    for over, field in cases:
        body = _body(photo, **over)
        r = client.post("/api/v1/appeals/on-spot", json=body, headers=users.headers("grid_west"))
        assert r.status_code == 422, (over, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        fields = {e["field"].split(".")[0] for e in r.json()["errors"]}
        assert field in fields, (over, r.json())
    missing = _body(photo)
    del missing["handling_note"]
    r = client.post("/api/v1/appeals/on-spot", json=missing, headers=users.headers("grid_west"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "handling_note"
    assert _orders(ctx) == 0


def test_life_safety_is_never_closed_on_the_spot(client: TestClient, users: Users, ctx):
    photo = _photo(client, users)
    body = _body(photo, life_safety=True)
    r = client.post("/api/v1/appeals/on-spot", json=body, headers=users.headers("grid_west"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "life_safety"
    assert r.json()["errors"][0]["code"] == "life_safety_dispatch"
    assert _orders(ctx) == 0


def test_the_kpis_count_on_the_spot_apart(client: TestClient, users: Users, ctx):
    photo = _photo(client, users)
    grid = users.headers("grid_west")
    for _ in range(2):
        r = client.post("/api/v1/appeals/on-spot", json=_body(photo), headers=grid)
        assert r.status_code == 201
    # An ordinary patrol report from the same grid worker, waiting for dispatch.
    plain = {k: v for k, v in _body(photo).items() if k != "handling_note"}
    r = client.post("/api/v1/appeals", json={**plain, "channel": "grid_patrol"}, headers=grid)
    assert r.status_code == 201 and r.json()["status"] != "closed"

    summary = client.get("/api/v1/dashboard/summary", headers=users.headers("leader")).json()
    k = summary["kpi"]
    assert k["handled_on_spot"] == 2
    assert k["period_intake"] == 3
    # Nobody's reply to judge: not in the replied / on-time figures.
    assert (k["replied"], k["replied_on_time"], k["on_time_rate"]) == (0, 0, None)
    west = client.get("/api/v1/dashboard/summary", headers=users.headers("sup_west")).json()
    east = client.get("/api/v1/dashboard/summary", headers=users.headers("sup_east")).json()
    assert west["kpi"]["handled_on_spot"] == 2
    assert east["kpi"]["handled_on_spot"] == 0

    day = ctx.now_local().date().isoformat()
    table = kpi.kpi_table(ctx, users.actor("leader"), day, "city")
    total = table["total"]
    assert (total["intake"], total["on_spot"]) == (3, 2)
    assert total["completion_rate"] == round(2 / 3, 4)
    assert total["avg_reply_hours"] is None  # the on-spot closures are not replies
    r = client.get(
        "/api/v1/analytics/kpi",
        params={"period": day, "by": "street"},
        headers=users.headers("sup_west"),
    )
    assert r.status_code == 200, r.text
    rows = {x["member"]: x for x in r.json()["rows"]}
    assert rows["990102001"]["on_spot"] == 2
    drill = kpi.drilldown(ctx, users.actor("leader"), day, "city", "all", "on_spot", "numerator")
    assert drill["count"] == 2

    # The daily rollup carries the same count.
    kpi_rollup.refresh_rollup(ctx, full=True)
    month = day[:7]
    rolled = kpi.kpi_table(ctx, users.actor("leader"), month, "city", source="rollup")
    assert rolled["source"] == "rollup"
    assert (rolled["total"]["intake"], rolled["total"]["on_spot"]) == (3, 2)


def test_a_resident_sees_their_own_appeals(client: TestClient, users: Users, ctx):
    body = {
        "channel": "web",
        "content": "小区门口的路灯不亮了，晚上出行不方便。",
        "reporter_phone": "13512345678",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("resident"))
    assert r.status_code == 201
    ticket = r.json()["ticket_no"]
    client.post("/api/v1/appeals", json=body)  # anonymous: nobody's own

    mine = client.get("/api/v1/appeals/mine", headers=users.headers("resident"))
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert [i["ticket_no"] for i in items] == [ticket]
    assert items[0]["status_label"] and items[0]["next_step"]
    assert items[0]["steps"][0]["step"] == "您的诉求已受理"
    assert items[0]["work_order_id"] == r.json()["work_order_id"]
    other = client.get("/api/v1/appeals/mine", headers=users.headers("resident2")).json()
    assert other["items"] == []
    staff = client.get("/api/v1/appeals/mine", headers=users.headers("operator"))
    assert staff.status_code == 403
    assert staff.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/appeals/mine").status_code == 401
