"""KPIs on a hand-computed week of orders, through the API, on SQLite and PostgreSQL.

Mon 2 Nov 2026 … Fri 6 Nov 2026 is an ordinary working week; office hours 09:00–12:00 and
13:30–18:00 (7.5 h a day); the acceptance limit is 1 working day = 7.5 working hours.

o1 路灯 west → D-CG at Mon 09:00, accepted 10:30 (1.5 h), replied Wed 09:00 (15 h after
   receipt), rated satisfied → closed; due Mon 9 Nov 18:00.
o2 停水 west → D-SW at Mon 14:00, accepted Tue 15:00 (4 + 3 + 1.5 = 8.5 h: late), replied
   Tue 16:00 (9.5 h), rated unsatisfied → reopened (due again Fri 6 Nov 18:00, not yet passed).
o3 路灯 west → D-CG at Tue 09:00, returned by D-CG 10:00, re-dispatched to D-HX 11:00,
   accepted 11:30 (0.5 h).
o4 路灯 west → D-CG at Wed 09:00, never accepted (21.5 h by Fri 17:00), urged twice.
o5 路灯 west → D-CG at Fri 16:00, not accepted yet (1 h: still inside the limit, not judged).
Now: Fri 6 Nov 17:00.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from cityloop.analytics import kpi, kpi_rollup
from cityloop.analytics.router import router as analytics_router
from cityloop.api.app import create_app
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.conftest import EAST, TZ, WEST, Users, category

LAMP = "城乡建设/市政设施/路灯损坏"
WATER = "城乡建设/供水/停水"


@pytest.fixture
def api(ctx: CityLoop) -> TestClient:
    app = create_app(ctx, web=False)
    if not any(getattr(r, "path", "").startswith("/api/v1/analytics") for r in app.routes):
        app.include_router(analytics_router)
    return TestClient(app)


def at(clock: ManualClock, day: int, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, 11, day, hour, minute, tzinfo=TZ))


def appeal(
    api: TestClient,
    users: Users,
    ctx: CityLoop,
    path: str,
    phone: str,
    where: tuple[float, float] = WEST,
) -> int:
    body = {
        "channel": "hotline",
        "content": "市民来电反映问题，希望尽快处理。",
        "reporter_name": "张三",
        "reporter_phone": phone,
        "lon": where[0],
        "lat": where[1],
        "category_code": category(ctx, path),
    }
    r = api.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "dispatched"
    return int(r.json()["work_order_id"])


def act(api: TestClient, users: Users, who: str, oid: int, action: str, **body: object) -> None:
    r = api.post(
        f"/api/v1/work-orders/{oid}/actions/{action}",
        json={"note": "处理意见", **body},
        headers=users.headers(who),
    )
    assert r.status_code == 200, r.text


@pytest.fixture
def week(api: TestClient, users: Users, ctx: CityLoop, clock: ManualClock) -> dict[str, int]:
    at(clock, 2, 9)
    o1 = appeal(api, users, ctx, LAMP, "13800000001")
    at(clock, 2, 10, 30)
    act(api, users, "cg", o1, "accept")
    at(clock, 2, 14)
    o2 = appeal(api, users, ctx, WATER, "13800000002")
    at(clock, 3, 9)
    o3 = appeal(api, users, ctx, LAMP, "13800000003")
    at(clock, 3, 10)
    act(api, users, "cg", o3, "return", note="非本单位职责")
    at(clock, 3, 11)
    act(api, users, "dispatcher", o3, "dispatch", lead_department="D-HX")
    at(clock, 3, 11, 30)
    act(api, users, "hx", o3, "accept")
    at(clock, 3, 15)
    act(api, users, "sw", o2, "accept")
    at(clock, 3, 16)
    act(api, users, "sw", o2, "reply", note="已恢复供水")
    at(clock, 3, 17)
    act(api, users, "operator", o2, "rate", rating="unsatisfied")
    at(clock, 4, 9)
    act(api, users, "cg", o1, "reply", note="路灯已修复")
    o4 = appeal(api, users, ctx, LAMP, "13800000004")
    at(clock, 4, 10)
    act(api, users, "operator", o1, "rate", rating="satisfied")
    at(clock, 5, 10)
    act(api, users, "leader", o4, "urge", note="请尽快办理")
    at(clock, 6, 10)
    act(api, users, "leader", o4, "urge", note="再次督办")
    at(clock, 6, 16)
    o5 = appeal(api, users, ctx, LAMP, "13800000005")
    at(clock, 6, 17)
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5}


def rows(table: dict) -> dict[str, dict]:
    return {r["member"]: r for r in table["rows"]}


def test_department_kpis_hand_computed(week: dict[str, int], ctx: CityLoop, users: Users) -> None:
    t = kpi.kpi_table(ctx, users.actor("leader"), "2026-11", "department")
    assert t["source"] == "live"
    cg, sw, hx = rows(t)["D-CG"], rows(t)["D-SW"], rows(t)["D-HX"]
    c = cg["counts"]
    assert (c["intake"], c["valid"], c["completed"]) == (3, 3, 1)  # o1, o4, o5 (o3 went to HX)
    assert cg["completion_rate"] == round(1 / 3, 4)
    assert (c["urges"], c["urged_orders"]) == (2, 1)
    assert (c["dispatched"], c["returned"], c["accepted"], c["pending"]) == (4, 1, 1, 1)
    assert cg["dispatch_accuracy"] == 0.75  # 1 − 1 return / 4 dispatches
    assert cg["response_rate"] == round(1 / 3, 4)  # o1 in limit; o3 returned; o4 late; o5 pending
    assert cg["avg_accept_hours"] == 1.5
    assert (c["due"], c["on_time"]) == (1, 1)  # o1 closed before due; o4/o5 not due yet
    assert cg["on_time_rate"] == 1.0
    assert (c["replied"], c["rated"], c["good"], c["reworked"]) == (1, 1, 1, 0)
    assert cg["avg_reply_hours"] == 15.0
    assert cg["score"] == 80.0 and cg["grade"] == "B"  # 100·(.3·⅓ + .35·1 + .35·1)

    assert sw["avg_accept_hours"] == 8.5 and sw["response_rate"] == 0.0
    assert sw["avg_reply_hours"] == 9.5
    assert sw["satisfaction_rate"] == 0.0 and sw["rework_rate"] == 1.0
    assert sw["on_time_rate"] is None  # reopened, new deadline not passed
    assert sw["score"] == 0.0 and sw["grade"] == "E"

    assert hx["avg_accept_hours"] == 0.5 and hx["response_rate"] == 1.0
    assert hx["dispatch_accuracy"] == 1.0
    assert t["total"]["intake"] == 5
    assert cg["rank"] < sw["rank"]


def test_acceptance_limit_is_a_parameter(week: dict[str, int], ctx: CityLoop, users: Users) -> None:
    t = kpi.kpi_table(ctx, users.actor("leader"), "2026-11", "department", accept_limit="2d")
    assert rows(t)["D-SW"]["response_rate"] == 1.0  # 8.5 h ≤ 15 h


def test_other_dimensions(week: dict[str, int], ctx: CityLoop, users: Users) -> None:
    leader = users.actor("leader")
    street = rows(kpi.kpi_table(ctx, leader, "2026-11", "street"))
    assert street["990102001"]["intake"] == 5
    chan = rows(kpi.kpi_table(ctx, leader, "2026-11", "channel"))
    assert chan["hotline"]["intake"] == 5 and chan["hotline"]["name"] == "12345热线"
    cat = rows(kpi.kpi_table(ctx, leader, "2026-W45", "category"))
    assert sum(r["intake"] for r in cat.values()) == 5
    day = kpi.kpi_table(ctx, leader, "2026-11-02", "city")
    assert day["total"]["intake"] == 2


def test_rollup_answers_like_the_live_query(
    week: dict[str, int], ctx: CityLoop, users: Users
) -> None:
    leader = users.actor("leader")
    live = kpi.kpi_table(ctx, leader, "2026-11", "department")
    kpi_rollup.refresh_rollup(ctx, full=True)
    for by in ("department", "street", "channel", "category"):
        a = kpi.kpi_table(ctx, leader, "2026-11", by)
        b = kpi.kpi_table(ctx, leader, "2026-11", by, source="live")
        assert a["source"] == "rollup" and b["source"] == "live"
        assert a["rows"] == b["rows"]
    assert kpi.kpi_table(ctx, leader, "2026-11", "department")["rows"] == live["rows"]


def test_rollup_answers_each_jurisdiction_like_the_live_query(
    week: dict[str, int],
    api: TestClient,
    ctx: CityLoop,
    users: Users,
    clock: ManualClock,
) -> None:
    # Two east-street orders (different department, category, reply) beside the west week.
    at(clock, 6, 16, 10)
    east = appeal(api, users, ctx, WATER, "13800000006", EAST)
    act(api, users, "sw", east, "accept")
    appeal(api, users, ctx, LAMP, "13800000007", EAST)
    at(clock, 6, 16, 40)
    act(api, users, "sw", east, "reply", note="已恢复供水")
    at(clock, 6, 17)
    kpi_rollup.refresh_rollup(ctx, full=True)
    district = Actor(None, "东城区督办", Role.SUPERVISOR, region_code="990102")
    scoped = {
        users.actor("sup_west"): ("city", "department", "category", "channel"),
        users.actor("sup_east"): ("city", "department", "category", "channel"),
        district: ("city", "department", "street", "category", "channel"),
    }
    for actor, dims in scoped.items():
        for by in dims:
            a = kpi.kpi_table(ctx, actor, "2026-11", by)
            b = kpi.kpi_table(ctx, actor, "2026-11", by, source="live")
            assert a["source"] == "rollup" and b["source"] == "live", (actor.region_code, by)
            assert a["rows"] == b["rows"] and a["total"] == b["total"], (actor.region_code, by)
    tables = {a.region_code: kpi.kpi_table(ctx, a, "2026-11", "department") for a in scoped}
    assert tables["990102001"]["total"]["intake"] == 5
    assert {r["member"] for r in tables["990102002"]["rows"]} == {"D-SW", "D-HD"}
    assert tables["990102"]["total"]["intake"] == 7
    # Not rolled up: a street's grids, a grid worker's grid, a department's own orders.
    assert kpi.kpi_table(ctx, users.actor("sup_west"), "2026-11", "grid")["source"] == "live"
    grid_worker = Actor(None, "网格员", Role.GRID_WORKER, region_code="990102001001001")
    community = Actor(None, "社区督办", Role.SUPERVISOR, region_code="990102001001")
    for actor in (grid_worker, community):
        live = kpi.kpi_table(ctx, actor, "2026-11", "department")
        assert live["source"] == "live" and live["total"] == tables["990102001"]["total"]
        assert live["rows"] == tables["990102001"]["rows"]  # the west week is all in that grid
    assert kpi.kpi_table(ctx, users.actor("cg"), "2026-11", "department")["source"] == "live"
    with pytest.raises(ValueError):
        kpi.kpi_table(ctx, grid_worker, "2026-11", "department", source="rollup")


def test_jurisdiction(week: dict[str, int], ctx: CityLoop, users: Users) -> None:
    east = kpi.kpi_table(ctx, users.actor("sup_east"), "2026-11", "department")
    assert east["rows"] == [] and east["total"]["intake"] == 0
    west = kpi.kpi_table(ctx, users.actor("sup_west"), "2026-11", "department")
    assert west["total"]["intake"] == 5


def test_drilldown_lists_the_orders_behind_a_figure(
    week: dict[str, int], ctx: CityLoop, users: Users
) -> None:
    leader = users.actor("leader")
    missed = kpi.drilldown(ctx, leader, "2026-11", "department", "D-CG", "response_rate", "missed")
    assert {o["id"] for o in missed["orders"]} == {week["o3"], week["o4"]}
    num = kpi.drilldown(ctx, leader, "2026-11", "department", "D-CG", "response_rate", "numerator")
    assert [o["id"] for o in num["orders"]] == [week["o1"]]
    den = kpi.drilldown(ctx, leader, "2026-11", "department", "D-CG", "dispatch_accuracy")
    assert den["count"] == 4
    east = kpi.drilldown(ctx, users.actor("sup_east"), "2026-11", "department", "D-CG", "intake")
    assert east["count"] == 0


def test_api_roles_and_drilldown(week: dict[str, int], api: TestClient, users: Users) -> None:
    r = api.get(
        "/api/v1/analytics/kpi",
        params={"period": "2026-11", "by": "department"},
        headers=users.headers("leader"),
    )
    assert r.status_code == 200
    assert {x["member"] for x in r.json()["rows"]} >= {"D-CG", "D-SW", "D-HX"}
    assert (
        api.get(
            "/api/v1/analytics/kpi", params={"period": "2026-11"}, headers=users.headers("cg")
        ).status_code
        == 403
    )
    assert (
        api.get(
            "/api/v1/analytics/kpi",
            params={"period": "2026-11", "by": "nonsense"},
            headers=users.headers("leader"),
        ).status_code
        == 422
    )
    r = api.get(
        "/api/v1/analytics/kpi/orders",
        params={
            "period": "2026-11",
            "by": "department",
            "member": "D-CG",
            "kpi": "urges",
            "part": "numerator",
        },
        headers=users.headers("sup_west"),
    )
    assert r.status_code == 200 and [o["id"] for o in r.json()["orders"]] == [week["o4"]]
    lg = api.get(
        "/api/v1/analytics/league", params={"month": "2026-11"}, headers=users.headers("admin")
    )
    assert lg.status_code == 200 and lg.json()["rows"][0]["rank"] == 1


def test_rollup_keeps_an_order_outside_every_district_city_wide_only(
    week: dict[str, int], api: TestClient, ctx: CityLoop, users: Users, clock: ManualClock
) -> None:
    # An appeal with no place has no district: it counts city-wide, in no district's scope,
    # and the rollup (full, then the job's trailing window) must not trip over its '' member.
    at(clock, 6, 16, 30)
    body = {
        "channel": "hotline",
        "content": "市民来电反映问题，希望尽快处理。",
        "reporter_phone": "13800000009",
        "category_code": category(ctx, LAMP),
    }
    r = api.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    at(clock, 6, 17)
    leader = users.actor("leader")
    kpi_rollup.refresh_rollup(ctx, full=True)
    kpi_rollup.refresh_rollup(ctx)
    city = kpi.kpi_table(ctx, leader, "2026-11", "city")
    assert city["source"] == "rollup"
    assert city["rows"] == kpi.kpi_table(ctx, leader, "2026-11", "city", source="live")["rows"]
    assert rows(city)["all"]["intake"] == 6
    district = Actor(None, "区督办", Role.SUPERVISOR, region_code="990102")
    scoped = kpi.kpi_table(ctx, district, "2026-11", "city")
    assert rows(scoped)["all"]["intake"] == 5
    assert scoped["rows"] == kpi.kpi_table(ctx, district, "2026-11", "city", source="live")["rows"]
