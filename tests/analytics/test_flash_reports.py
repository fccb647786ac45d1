"""Incident flash reports (突发事件快报): the first report at receipt, a follow-up per
significant step, the final on closing; written once however often the job runs; masked;
scoped; downloadable as HTML, PDF and DOCX."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from cityloop.analytics.flash import service
from cityloop.analytics.flash.compose import (
    Incident,
    ReportKind,
    Step,
    casualties,
    compose,
    due_reports,
    road_status,
)
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.conftest import WEST, Users, category

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 1, 17, 1, tzinfo=TZ)
API = "/api/v1/analytics/flash-reports"


def _incident(**over: object) -> Incident:
    base: dict[str, object] = dict(
        ticket_no="20261201-000042",
        title="幸福路燃气泄漏",
        content="幸福路12号楼道里燃气味道很重，两人晕倒，来电人13912345678，道路已封闭。",
        category="城乡建设/燃气安全/燃气泄漏",
        place="临江区幸福街道幸福社区",
        channel="hotline",
        received_at=T0,
        urgency="life_safety",
        status_label="已派单",
        due_text="12月1日19时01分",
        steps=(
            Step("receive", T0, "话务员"),
            Step(
                "dispatch",
                T0 + timedelta(minutes=3),
                "派单员",
                department="市燃气集团",
                to_status="dispatched",
                status_label="已派单",
                co_departments=("市消防救援支队",),
            ),
            Step("handoff", T0 + timedelta(minutes=4), "派单员", agency="119"),
            Step("comment", T0 + timedelta(minutes=5), "派单员", note="已电话联系"),
            Step("accept", T0 + timedelta(minutes=9), "燃气", department="市燃气集团"),
            Step("rate", T0 + timedelta(hours=2), "话务员", to_status="closed"),
        ),
        reply="已关闭阀门，排除泄漏点，两名居民送医无生命危险。",
    )
    base.update(over)
    return Incident(**base)  # type: ignore[arg-type]


def test_casualties_and_road_status_are_read_from_the_reports() -> None:
    assert casualties("小区门口3人受伤，一人被困") == "据报告3人受伤、一人被困"
    assert casualties("现场无人员伤亡") == "据报告暂无人员伤亡"
    assert casualties("路灯坏了") is None
    assert road_status("事故导致主干道拥堵，桥面积水") == "据报告主干道拥堵、桥面积水"


def test_first_report_says_what_where_when_who_and_masks_the_caller() -> None:
    r = compose(_incident(), ReportKind.FIRST, 0, T0, "城市运行管理指挥中心")
    text = r.text
    assert r.heading == "城市运行管理指挥中心突发事件信息首报"
    assert "2026年12月1日17时01分，市12345热线接群众来电反映：临江区幸福街道幸福社区" in text
    assert "涉及生命安全" in text and "两人晕倒" in text and "道路已封闭" in text
    assert "13912345678" not in text and "139****5678" in text
    # At receipt nothing has been dispatched yet: the report does not pretend otherwise.
    assert "尚未派出承办单位" in text and "市燃气集团" not in text


def test_follow_ups_per_significant_step_and_a_final_on_closing() -> None:
    i = _incident()
    due = due_reports(i, set(), T0 + timedelta(hours=3))
    assert [(k.value, n) for k, n, _ in due] == [
        ("first", 0),
        ("follow_up", 1),  # dispatch
        ("follow_up", 2),  # hand-off to 119
        ("follow_up", 3),  # accept (the comment made none)
        ("final", 0),
    ]
    written = {("first", 0), ("follow_up", 1)}
    later = due_reports(i, written, T0 + timedelta(minutes=5))
    assert [(k.value, n) for k, n, _ in later] == [("follow_up", 2)]
    final = compose(i, ReportKind.FINAL, 0, T0 + timedelta(hours=2), "指挥中心")
    assert "17时04分派至市燃气集团，市消防救援支队协办" in final.text
    assert "17时05分通报119" in final.text and "17时10分市燃气集团签收" in final.text
    assert (
        "送医无生命危险。自接报" in final.text
        and "历时2.0小时" in final.text
        and "终报" in final.text
    )


def _urgent(client: TestClient, users: Users, ctx: CityLoop) -> int:
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "幸福路楼道里燃气味道很重，怀疑漏气了，赶紧来人！我的电话13912345678",
            "reporter_phone": "13912345678",
            "urgency": "urgent",
            "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
            "lon": WEST[0],
            "lat": WEST[1],
        },
        headers=users.headers("operator"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["work_order_id"])


def test_the_job_writes_each_report_once_and_leaders_download_them(
    client: TestClient, users: Users, ctx: CityLoop, clock: ManualClock
) -> None:
    oid = _urgent(client, users, ctx)
    first = service.write_due(ctx)
    assert [r.kind for r in first] == [ReportKind.FIRST]
    assert service.write_due(ctx) == []  # a second worker finds nothing left to write

    clock.set(clock.now() + timedelta(minutes=2))
    order = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("dispatcher")).json()
    assert order["status"] == "dispatched"  # by the linkage list, at receipt: in the 首报
    accepted = client.post(
        f"/api/v1/work-orders/{oid}/actions/accept", json={}, headers=users.headers("cg")
    )
    assert accepted.status_code == 200, accepted.text
    assert [r.kind for r in service.write_due(ctx)] == [ReportKind.FOLLOW_UP]

    listing = client.get(API, headers=users.headers("leader"))
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [i["kind"] for i in items] == ["follow_up", "first"] and listing.json()["total"] == 2
    assert all("13912345678" not in p for i in items for p in i["paragraphs"])

    rid = items[0]["id"]
    html = client.get(f"{API}/{rid}", headers=users.headers("leader"))
    assert html.status_code == 200 and "突发事件信息续报" in html.text
    pdf = client.get(f"{API}/{rid}", params={"format": "pdf"}, headers=users.headers("leader"))
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    docx = client.get(f"{API}/{rid}", params={"format": "docx"}, headers=users.headers("leader"))
    xml = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    assert "突发事件信息续报" in xml

    # Residents and department handlers do not read the leaders' reports; the east street's
    # supervisor does not see an incident in the west.
    assert client.get(API, headers=users.headers("operator")).status_code == 403
    assert client.get(API, headers=users.headers("sup_east")).json()["total"] == 0
    assert client.get(f"{API}/{rid}", headers=users.headers("sup_east")).status_code == 404
    assert (
        client.get(
            f"{API}/{rid}", params={"format": "xls"}, headers=users.headers("leader")
        ).status_code
        == 422
    )


def test_the_job_reads_only_orders_that_owe_a_report(
    client: TestClient, users: Users, ctx: CityLoop, clock: ManualClock, monkeypatch
) -> None:
    """Every 20 s: an urgent order whose reports cover its last step is not read again."""
    read: list[int] = []
    incident_of = service.incident_of
    monkeypatch.setattr(
        service,
        "incident_of",
        lambda c, s, row, *more: read.append(row.id) or incident_of(c, s, row, *more),
    )
    oid = _urgent(client, users, ctx)
    assert [r.kind for r in service.write_due(ctx)] == [ReportKind.FIRST] and read == [oid]
    service.write_due(ctx)
    service.write_due(ctx)
    assert read == [oid]  # its 首报 covers it: not read again
    clock.set(clock.now() + timedelta(minutes=2))
    accepted = client.post(
        f"/api/v1/work-orders/{oid}/actions/accept", json={}, headers=users.headers("cg")
    )
    assert accepted.status_code == 200, accepted.text
    # A new step: read once, its 续报 written, then quiet again.
    assert [r.kind for r in service.write_due(ctx)] == [ReportKind.FOLLOW_UP]
    assert service.write_due(ctx) == [] and read == [oid, oid]


def test_the_job_reads_many_orders_at_once_as_it_reads_one(
    client: TestClient, users: Users, ctx: CityLoop, clock: ManualClock, monkeypatch
) -> None:
    """The job reads the steps and reporters of all owing orders in one go; each incident is
    the one read order by order."""
    compared: list[int] = []
    incident_of = service.incident_of

    def checked(c: CityLoop, s: Any, row: Any, *more: Any) -> Any:
        batched = incident_of(c, s, row, *more)
        assert more and batched == incident_of(c, s, row)
        compared.append(row.id)
        return batched

    monkeypatch.setattr(service, "incident_of", checked)
    first, second = _urgent(client, users, ctx), _urgent(client, users, ctx)
    clock.set(clock.now() + timedelta(minutes=1))
    accepted = client.post(
        f"/api/v1/work-orders/{first}/actions/accept", json={}, headers=users.headers("cg")
    )
    assert accepted.status_code == 200, accepted.text
    reports = service.write_due(ctx)
    assert len({r.ticket_no for r in reports}) == 2 and sorted(compared) == sorted([first, second])


def test_normal_orders_get_no_flash_report(client: TestClient, users: Users, ctx: CityLoop) -> None:
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "幸福路路灯不亮已经三天了，请尽快维修。",
            "lon": WEST[0],
            "lat": WEST[1],
        },
        headers=users.headers("operator"),
    )
    assert r.status_code == 201
    assert service.write_due(ctx) == []


def test_the_job_tells_the_leaders_once(client: TestClient, users: Users, ctx: CityLoop) -> None:
    from sqlalchemy import select

    from cityloop.operations.store import MessageRow

    _urgent(client, users, ctx)
    assert service.job(ctx)["reports"] == 1
    assert service.job(ctx) == {"reports": 0, "messages": 0}
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(MessageRow.user_id, MessageRow.title, MessageRow.urgent).where(
                MessageRow.channel == "inbox"
            )
        ).all()
    leader = users.id("leader")
    assert any(u == leader and "首报" in t and urgent for u, t, urgent in rows)
    assert users.id("sup_east") not in {u for u, _, _ in rows}  # not their street
