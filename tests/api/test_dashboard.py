"""The command-centre figures over HTTP: KPIs, trend, mixes, league, map points, the stream."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.api.routers import dashboard as dashboard_router
from cityloop.api.web import mount_web
from cityloop.services import dashboard
from cityloop.services.clock import ManualClock, SystemClock
from cityloop.services.context import CityLoop
from tests.conftest import EAST, TZ, WEST, Users, category

PHONE_1 = "13812341234"
PHONE_4 = "13900001111"


@pytest.fixture
def api(ctx: CityLoop) -> TestClient:
    app = create_app(ctx)
    if "/api/v1/dashboard/summary" not in {getattr(r, "path", "") for r in app.routes}:
        app.include_router(dashboard_router.router)
    return TestClient(app)


def _appeal(client: TestClient, headers: dict[str, str] | None, **over: object) -> dict:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "市民来电反映：幸福路的路灯已经坏了一周，晚上很黑，希望尽快修复。",
        "reporter_name": "张三",
        "reporter_phone": PHONE_1,
        "lon": WEST[0],
        "lat": WEST[1],
    }
    body.update(over)
    r = client.post("/api/v1/appeals", json=body, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


def _act(client: TestClient, headers: dict[str, str], order_id: int, action: str, **body: object):
    r = client.post(f"/api/v1/work-orders/{order_id}/actions/{action}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def city(api: TestClient, users: Users, ctx: CityLoop, clock: ManualClock) -> dict[str, dict]:
    """Five orders on 30 Sep … 20 Oct 2026:
    1 路灯 west hotline → D-CG, replied on time, rated satisfied (closed);
    2 道路 east hotline → D-HD, never answered (overdue by 20 Oct);
    3 no category → pending dispatch;
    4 停水 west web → D-SW, replied late on 20 Oct, rated basically satisfied (closed);
    5 no category, received on 20 Oct (today) → pending dispatch, urgent text."""
    op = users.headers("operator")
    o1 = _appeal(api, op, category_code=category(ctx, "城乡建设/市政设施/路灯损坏"))
    o2 = _appeal(
        api,
        op,
        category_code=category(ctx, "城乡建设/市政设施/道路破损"),
        lon=EAST[0],
        lat=EAST[1],
        reporter_phone="13800000002",
    )
    o3 = _appeal(api, op, reporter_phone="13800000003")
    o4 = _appeal(
        api,
        None,
        channel="web",
        category_code=category(ctx, "城乡建设/供水/停水"),
        content="小区停水两天了，没有任何通知，请尽快恢复供水。",
        reporter_phone=PHONE_4,
    )
    assert (o1["status"], o2["status"], o3["status"], o4["status"]) == (
        "dispatched",
        "dispatched",
        "pending_dispatch",
        "dispatched",
    )

    cg = users.headers("cg")
    _act(api, cg, o1["work_order_id"], "accept")
    _act(api, cg, o1["work_order_id"], "reply", note="已更换灯泡，恢复照明。")
    r = api.post(
        "/api/v1/appeals/track/rate",
        json={"ticket_no": o1["ticket_no"], "phone": PHONE_1, "rating": "satisfied"},
    )
    assert r.status_code == 200, r.text

    clock.set(datetime(2026, 10, 20, 9, 30, tzinfo=TZ))
    sw = users.headers("sw")
    _act(api, sw, o4["work_order_id"], "accept")
    _act(api, sw, o4["work_order_id"], "reply", note="管道已抢修完成，已恢复供水。")
    r = api.post(
        "/api/v1/appeals/track/rate",
        json={"ticket_no": o4["ticket_no"], "phone": PHONE_4, "rating": "basically_satisfied"},
    )
    assert r.status_code == 200, r.text
    o5 = _appeal(
        api,
        users.headers("operator"),
        reporter_phone="13800000005",
        content="这里有燃气泄漏的味道，很浓，情况紧急！请马上来人。",
    )
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5}


def test_kpis_follow_the_formulas(api: TestClient, users: Users, city):
    r = api.get("/api/v1/dashboard/summary", headers=users.headers("leader"))
    assert r.status_code == 200, r.text
    body = r.json()
    k = body["kpi"]
    assert k["today_intake"] == 1  # only order 5 came in on 20 Oct
    assert k["open"] == 3  # 2, 3, 5
    assert k["overdue"] == 1  # order 2: D-HD had 3 working days from 30 Sep
    assert k["pending_dispatch"] == 2
    assert k["period_intake"] == 5
    # on time = replied by due / replied: order 1 yes, order 4 no (due 13 Oct, replied 20 Oct)
    assert (k["replied"], k["replied_on_time"], k["on_time_rate"]) == (2, 1, 0.5)
    # satisfaction = (satisfied + basically satisfied) / rated
    assert (k["rated"], k["satisfied"], k["satisfaction_rate"]) == (2, 2, 1.0)
    assert body["scope"]["name"] == "全市"


def test_trend_mixes_league_and_grids(api: TestClient, users: Users, city, ctx):
    body = api.get("/api/v1/dashboard/summary", headers=users.headers("dispatcher")).json()
    trend = {d["day"]: d for d in body["trend"]}
    assert len(body["trend"]) == 30
    assert body["trend"][-1]["day"] == "2026-10-20"
    assert trend["2026-09-30"]["received"] == 4
    assert trend["2026-09-30"]["replied"] == 1
    assert trend["2026-10-20"] == {"day": "2026-10-20", "received": 1, "replied": 1}
    assert sum(d["received"] for d in body["trend"]) == 5

    mix = {c["name"]: c["count"] for c in body["category_mix"]}
    assert mix == {"城乡建设": 3, "未分类": 2}
    assert {c["channel"]: c["count"] for c in body["channel_mix"]} == {"hotline": 4, "web": 1}

    league = {d["department"]: d for d in body["department_league"]}
    assert league["D-CG"]["on_time_rate"] == 1.0
    assert league["D-CG"]["satisfaction_rate"] == 1.0
    assert league["D-SW"]["on_time_rate"] == 0.0
    assert league["D-HD"]["overdue"] == 1 and league["D-HD"]["on_time_rate"] is None
    assert body["department_league"][0]["department"] == "D-CG"  # best on-time rate first

    grids = {g["grid_code"]: g for g in body["busiest_grids"]}
    assert grids["990102001001001"]["count"] == 4  # west: 1, 3, 4, 5
    assert grids["990102001001001"]["open"] == 2
    assert grids["990102002001001"]["count"] == 1
    assert body["busiest_grids"][0]["grid_code"] == "990102001001001"
    assert "幸福1网格" in grids["990102001001001"]["name"]


def test_a_short_period_counts_older_orders_that_are_open_or_replied_in_it(
    api: TestClient, users: Users, city
):
    """With days=10 (from 11 Oct) orders 1-4 were received before the period. The league still
    counts order 2 (open, overdue) and order 4 (replied on 20 Oct), never order 1 (closed on
    30 Sep); the rates read only the replies of the period."""
    body = api.get("/api/v1/dashboard/summary?days=10", headers=users.headers("leader")).json()
    k = body["kpi"]
    assert (k["today_intake"], k["open"], k["overdue"], k["pending_dispatch"]) == (1, 3, 1, 2)
    assert (k["period_intake"], k["urgent_open"]) == (1, 1)
    assert (k["replied"], k["replied_on_time"], k["on_time_rate"]) == (1, 0, 0.0)
    assert (k["rated"], k["satisfied"], k["satisfaction_rate"]) == (1, 1, 1.0)
    assert len(body["trend"]) == 10 and body["trend"][0]["day"] == "2026-10-11"
    assert body["trend"][-1] == {"day": "2026-10-20", "received": 1, "replied": 1}
    assert sum(d["replied"] for d in body["trend"]) == 1
    assert {c["name"]: c["count"] for c in body["category_mix"]} == {"未分类": 1}
    assert {c["channel"]: c["count"] for c in body["channel_mix"]} == {"hotline": 1}
    league = {d["department"]: d for d in body["department_league"]}
    assert set(league) == {"D-HD", "D-SW"}
    assert (league["D-HD"]["orders"], league["D-HD"]["open"], league["D-HD"]["overdue"]) == (
        1,
        1,
        1,
    )
    assert league["D-HD"]["on_time_rate"] is None
    assert (league["D-SW"]["orders"], league["D-SW"]["open"], league["D-SW"]["replied"]) == (
        1,
        0,
        1,
    )
    assert (league["D-SW"]["on_time_rate"], league["D-SW"]["satisfaction_rate"]) == (0.0, 1.0)
    assert [(g["grid_code"], g["count"], g["open"]) for g in body["busiest_grids"]] == [
        ("990102001001001", 1, 1)
    ]


def test_summary_is_cached_per_scope_for_a_few_seconds(
    api: TestClient, users: Users, city, clock: ManualClock, ctx: CityLoop
):
    leader, dispatcher = users.headers("leader"), users.headers("dispatcher")
    assert api.get("/api/v1/dashboard/summary", headers=leader).json()["kpi"]["open"] == 3
    _act(api, dispatcher, city["o3"]["work_order_id"], "cancel", note="重复来电")
    # Within the cache's life the city-wide scope answers from the cache, for every role in it.
    for who in (leader, dispatcher):
        assert api.get("/api/v1/dashboard/summary", headers=who).json()["kpi"]["open"] == 3
    # Another scope has its own entry (computed now: order 3 is cancelled, 5 is open).
    west = api.get("/api/v1/dashboard/summary", headers=users.headers("sup_west")).json()
    assert west["kpi"]["open"] == 1
    # A different period is a different entry.
    assert api.get("/api/v1/dashboard/summary?days=7", headers=leader).json()["kpi"]["open"] == 2
    # Once the cache's life has passed, the figures are computed again.
    clock.set(clock.now() + timedelta(seconds=dashboard.SUMMARY_TTL_SECONDS + 1))
    fresh = api.get("/api/v1/dashboard/summary", headers=leader).json()
    assert fresh["kpi"]["open"] == 2 and fresh["kpi"]["pending_dispatch"] == 1
    _act(api, dispatcher, city["o5"]["work_order_id"], "cancel", note="误报")
    dashboard.clear_cache(ctx)
    assert api.get("/api/v1/dashboard/summary", headers=leader).json()["kpi"]["open"] == 1


def test_a_live_server_answers_a_stale_summary_at_once_and_refreshes_it_behind(
    api: TestClient, users: Users, city, ctx: CityLoop
):
    ctx.clock = SystemClock()  # a live server; a manual clock never serves stale figures
    leader = users.actor("leader")
    assert dashboard.summary(ctx, leader)["kpi"]["open"] == 3
    _act(api, users.headers("dispatcher"), city["o3"]["work_order_id"], "cancel", note="重复")
    entry = next(iter(dashboard._cache_for(ctx).entries.values()))
    entry.at -= dashboard.SUMMARY_TTL_SECONDS + 1  # its life has passed
    assert dashboard.summary(ctx, leader)["kpi"]["open"] == 3  # at once, the stale figures
    deadline = time.monotonic() + 20
    while dashboard.summary(ctx, leader)["kpi"]["open"] != 2:  # meanwhile computed behind
        assert time.monotonic() < deadline, "the stale summary was never refreshed"
        time.sleep(0.05)
    # Past the stale window nothing old is served: the figures are computed in the open.
    _act(api, users.headers("dispatcher"), city["o5"]["work_order_id"], "cancel", note="误报")
    entry = next(iter(dashboard._cache_for(ctx).entries.values()))
    entry.at -= dashboard.STALE_SERVE_SECONDS + 1
    assert dashboard.summary(ctx, leader)["kpi"]["open"] == 1


def test_map_orders_are_shared_per_scope_until_an_order_changes(
    api: TestClient, users: Users, city, clock: ManualClock, monkeypatch
):
    leader, dispatcher = users.headers("leader"), users.headers("dispatcher")
    computed: list[str] = []
    compute = dashboard.compute_map_orders

    def counted(ctx, actor, limit):
        computed.append(actor.role.value)
        return compute(ctx, actor, limit)

    monkeypatch.setattr(dashboard, "compute_map_orders", counted)

    def tickets(who: dict[str, str]) -> set[str]:
        body = api.get("/api/v1/dashboard/map-orders", headers=who).json()
        assert "_version" not in body and "_until" not in body
        return {o["ticket_no"] for o in body["items"]}

    before = tickets(leader)
    assert city["o3"]["ticket_no"] in before
    # Every city-wide viewer shares one reading while nothing changes …
    assert tickets(dispatcher) == before and tickets(leader) == before
    assert computed == ["leader"]
    # … a street's supervisor has their own …
    assert tickets(users.headers("sup_west")) == {city["o3"]["ticket_no"], city["o5"]["ticket_no"]}
    assert len(computed) == 2
    # … and the moment an order changes, the next reading shows it: never the old points.
    _act(api, dispatcher, city["o3"]["work_order_id"], "cancel", note="重复来电")
    assert tickets(leader) == before - {city["o3"]["ticket_no"]}
    assert len(computed) == 3
    # A new order too.
    new = _appeal(api, users.headers("operator"), reporter_phone="13800000011")
    assert new["ticket_no"] in tickets(dispatcher)
    # With no change, the entry lives `MAP_ORDERS_TTL_SECONDS` at most.
    n = len(computed)
    clock.set(clock.now() + timedelta(seconds=dashboard.MAP_ORDERS_TTL_SECONDS + 1))
    tickets(leader)
    assert len(computed) == n + 1


def test_map_points_fall_overdue_on_time_without_any_change(
    api: TestClient, users: Users, city, clock: ManualClock, ctx: CityLoop
):
    def overdue(ticket: str) -> bool:
        # signed in afresh at each reading: the clock moves days, past any session's life
        leader = users.headers("leader")
        items = api.get("/api/v1/dashboard/map-orders", headers=leader).json()["items"]
        return next(o["overdue"] for o in items if o["ticket_no"] == ticket)

    new = _appeal(
        api,
        users.headers("operator"),
        reporter_phone="13800000012",
        category_code=category(ctx, "城乡建设/市政设施/路灯损坏"),
    )
    assert new["due_at"] and overdue(new["ticket_no"]) is False
    due = datetime.fromisoformat(new["due_at"])
    # Read half a minute before its deadline (a fresh entry: the clock jumped days) …
    clock.set(due - timedelta(seconds=30))
    assert overdue(new["ticket_no"]) is False
    # … then a second past it, within that entry's life: the same point is red.
    clock.set(due + timedelta(seconds=1))
    assert overdue(new["ticket_no"]) is True


def test_supervisor_sees_only_their_street(api: TestClient, users: Users, city):
    east = api.get("/api/v1/dashboard/summary", headers=users.headers("sup_east")).json()
    assert east["kpi"]["period_intake"] == 1
    assert east["kpi"]["open"] == 1 and east["kpi"]["overdue"] == 1
    assert east["scope"]["region_code"] == "990102002"
    assert [g["grid_code"] for g in east["busiest_grids"]] == ["990102002001001"]
    west = api.get("/api/v1/dashboard/map-orders", headers=users.headers("sup_west")).json()
    assert {o["ticket_no"] for o in west["items"]} == {
        city["o3"]["ticket_no"],
        city["o5"]["ticket_no"],
    }


def test_roles_without_the_screen_are_refused(api: TestClient, users: Users, city):
    for who in ("cg", "operator", "grid_west", "resident"):
        r = api.get("/api/v1/dashboard/summary", headers=users.headers(who))
        assert r.status_code == 403, who
    assert api.get("/api/v1/dashboard/summary").status_code == 401


def test_map_orders_are_open_located_and_capped(api: TestClient, users: Users, city):
    r = api.get("/api/v1/dashboard/map-orders", headers=users.headers("leader"))
    body = r.json()
    assert body["total"] == 3 and not body["truncated"]
    by_ticket = {o["ticket_no"]: o for o in body["items"]}
    o2 = by_ticket[city["o2"]["ticket_no"]]
    assert o2["overdue"] is True and o2["status"] == "dispatched"
    assert (o2["lon"], o2["lat"]) == EAST
    assert city["o1"]["ticket_no"] not in by_ticket  # closed
    assert by_ticket[city["o5"]["ticket_no"]]["urgency"] == "urgent"
    capped = api.get("/api/v1/dashboard/map-orders?limit=1", headers=users.headers("leader"))
    assert len(capped.json()["items"]) == 1 and capped.json()["truncated"] is True
    too_many = api.get("/api/v1/dashboard/map-orders?limit=999999", headers=users.headers("leader"))
    assert too_many.status_code == 422


def test_stream_sends_summary_events_and_ends(api: TestClient, users: Users, city):
    with api.stream(
        "GET", "/api/v1/dashboard/stream?interval=2&max_events=1", headers=users.headers("leader")
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [b for b in text.split("\n\n") if b.startswith("event: summary")]
    assert len(events) == 1
    data = json.loads(events[0].split("data: ", 1)[1])
    assert data["kpi"]["open"] == 3


def test_stream_interval_is_bounded(api: TestClient, users: Users):
    for bad in (0, 1, 301):
        r = api.get(f"/api/v1/dashboard/stream?interval={bad}", headers=users.headers("leader"))
        assert r.status_code == 422


def test_console_config_names_tiles_and_centre(api: TestClient, ctx: CityLoop, monkeypatch):
    body = api.get("/api/v1/meta/console-config").json()
    assert body["tile_url"] is None
    assert body["city_name"] == "测试市"
    lat, lon = body["center"]
    assert 30.0 <= lat <= 30.2 and 104.0 <= lon <= 104.4
    monkeypatch.setattr(ctx.settings, "tile_url", "http://tiles.local/{z}/{x}/{y}.png")
    assert api.get("/api/v1/meta/console-config").json()["tile_url"].startswith("http://tiles")


def test_mount_web_serves_index_for_client_routes(ctx: CityLoop, tmp_path):
    app = create_app(ctx, web=False)
    assert mount_web(app, tmp_path / "absent") is False  # no build: the API alone
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=app></div>")
    (tmp_path / "assets" / "app-1.js").write_text("console.log(1)")
    assert mount_web(app, tmp_path) is True
    c = TestClient(app)
    assert c.get("/orders/12").text == "<div id=app></div>"
    assert "immutable" in c.get("/assets/app-1.js").headers["cache-control"]
    assert c.get("/api/v1/health").json()["status"] == "ok"
    assert c.get("/api/v1/nope").status_code == 404
    assert c.get("/../../etc/passwd").text == "<div id=app></div>"


def test_league_ranks_by_the_composite_score_not_volume(api: TestClient, users: Users, city):
    """Hand-computed from the five orders: D-CG on time 1/1, satisfied 1/1, nothing held →
    100 × (.40 + .35) / .75 = 100.0; D-SW on time 0/1, satisfied 1/1 → 100 × .35 / .75 = 46.7;
    D-HD nothing replied, its one held order overdue → 0.0. Each has fewer than
    MIN_REPLIED replies, so none is ranked; they are listed by score."""
    body = api.get("/api/v1/dashboard/summary", headers=users.headers("leader")).json()
    rows = [(d["department"], d["score"], d["rank"]) for d in body["department_league"]]
    assert rows == [("D-CG", 100.0, None), ("D-SW", 46.7, None), ("D-HD", 0.0, None)]
    hd = body["department_league"][2]
    assert (hd["held"], hd["overdue"], hd["overdue_rate"]) == (1, 1, 1.0)
    assert body["league_rule"]["min_replied"] == 5
    assert body["league_rule"]["weights"] == {
        "on_time": 0.4,
        "satisfaction": 0.35,
        "punctuality": 0.25,
    }


def test_map_orders_count_the_open_orders_without_a_location(api: TestClient, users: Users, city):
    _appeal(api, users.headers("operator"), lon=None, lat=None, reporter_phone="13800000009")
    leader = api.get("/api/v1/dashboard/map-orders", headers=users.headers("leader")).json()
    assert (leader["open_total"], leader["total"], leader["unlocated"]) == (4, 3, 1)
    assert len(leader["items"]) == 3
    # A supervisor's counts are their street's: east has order 2 only, located.
    east = api.get("/api/v1/dashboard/map-orders", headers=users.headers("sup_east")).json()
    assert (east["open_total"], east["total"], east["unlocated"]) == (1, 1, 0)


def test_a_live_server_never_answers_stale_map_points(
    api: TestClient, users: Users, city, ctx: CityLoop
):
    ctx.clock = SystemClock()
    leader = users.actor("leader")
    before = {o["ticket_no"] for o in dashboard.map_orders(ctx, leader, 3000)["items"]}
    assert city["o3"]["ticket_no"] in before
    _act(api, users.headers("dispatcher"), city["o3"]["work_order_id"], "cancel", note="重复")
    entry = next(e for k, e in dashboard._cache_for(ctx).entries.items() if "map-orders" in k)
    entry.at -= dashboard.MAP_ORDERS_TTL_SECONDS + 1  # its life has passed
    # Unlike the summary, no stale answer while a newer one is computed: the points now.
    after = {o["ticket_no"] for o in dashboard.map_orders(ctx, leader, 3000)["items"]}
    assert after == before - {city["o3"]["ticket_no"]}


def test_the_orders_version_sees_a_smaller_id_committed_late(ctx: CityLoop, city) -> None:
    """PostgreSQL hands out ids before commit: an event with a smaller id can land after a
    larger one. The map's version still changes, so its points are read again."""
    from sqlalchemy import func, select

    from cityloop.store.models import OrderEventRow

    def event(id_: int) -> OrderEventRow:
        return OrderEventRow(
            id=id_,
            work_order_id=city["o3"]["work_order_id"],
            action="comment",
            at=ctx.clock.now(),
            from_status="pending_dispatch",
            to_status="pending_dispatch",
            actor_name="测试",
            actor_role="dispatcher",
            note="",
            data={},
        )

    with ctx.uow() as uow:
        top = uow.session.execute(select(func.max(OrderEventRow.id))).scalar_one()
        uow.session.add(event(top + 5))  # committed first, the larger id
        uow.commit()
    before = dashboard.orders_version(ctx)
    with ctx.uow() as uow:
        uow.session.add(event(top + 3))  # committed after it, the smaller id
        uow.commit()
    after = dashboard.orders_version(ctx)
    assert after != before and after[2] == before[2]  # same newest id, one more taken
