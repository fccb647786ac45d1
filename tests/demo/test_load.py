"""The demo city loads through the real imports and replays consistent histories."""

from __future__ import annotations

from collections import defaultdict

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cityloop.api.app import create_app
from cityloop.demo.load import DEMO_PASSWORD, DEMO_USERS, build_demo
from cityloop.store.models import OrderEventRow, RegionRow, WorkOrderRow


def test_demo_city_loads_and_histories_are_consistent(ctx):
    summary = build_demo(ctx, appeals=400, reset=True, progress=lambda _: None)
    assert "400 appeals replayed" in summary
    with ctx.uow() as uow:
        s = uow.session
        levels = dict(
            s.execute(select(RegionRow.level, func.count()).group_by(RegionRow.level)).all()
        )
        assert levels == {"city": 1, "district": 2, "street": 6, "community": 18, "grid": 162}
        statuses = dict(
            s.execute(select(WorkOrderRow.status, func.count()).group_by(WorkOrderRow.status)).all()
        )
        # 400 replayed appeals, plus the few the community demo turns into orders (wishes…).
        assert 400 <= sum(statuses.values()) <= 410
        assert statuses["closed"] > 250  # most of the history is finished …
        assert set(statuses) - {"closed", "cancelled"}  # … and some is still open
        orders = {o.id: o for o in s.execute(select(WorkOrderRow)).scalars()}
        chains: dict[int, list[OrderEventRow]] = defaultdict(list)
        for e in s.execute(select(OrderEventRow).order_by(OrderEventRow.id)).scalars():
            chains[e.work_order_id].append(e)
    for order_id, events in chains.items():
        assert events[0].action == "receive"
        for before, after in zip(events, events[1:], strict=False):
            assert before.to_status == after.from_status
            assert before.at <= after.at
        assert events[-1].to_status == orders[order_id].status
    # Overdue and on-time orders both exist, as a real history has.
    replied = [o for o in orders.values() if o.replied_at and o.due_at]
    late = sum(o.replied_at > o.due_at for o in replied)
    assert 0 < late < len(replied) * 0.3
    # Idempotent: a second run keeps the city as it is.
    assert "already" in build_demo(ctx, appeals=400, progress=lambda _: None)


def test_demo_users_log_in_with_the_printed_password(ctx):
    build_demo(ctx, appeals=50, reset=True, progress=lambda _: None)
    client = TestClient(create_app(ctx))
    for username, role, _ in DEMO_USERS:
        r = client.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 200, username
        assert r.json()["user"]["role"] == role
    token = client.post(
        "/api/v1/auth/token", data={"username": "supervisor", "password": DEMO_PASSWORD}
    ).json()
    listed = client.get(
        "/api/v1/work-orders", headers={"Authorization": f"Bearer {token['access_token']}"}
    ).json()
    # The street supervisor sees only their street's share of the city.
    assert 0 < listed["total"] < 50
