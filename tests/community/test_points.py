"""Points through the API and the store adapter: Gulou rules, fraud checks, redemption with
stock, reversal, statements, volunteering and ranking; balances never negative."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cityloop.community.config import load
from cityloop.community.points.rules import drop_fraud, parse_rules, recycling_points
from cityloop.community.store import PointAccountRow, PointEntryRow
from cityloop.services.context import CityLoop
from cityloop.store.models import WorkOrderRow
from tests.community.conftest import resident_id
from tests.conftest import START, Users

API = "/api/v1/community/points"


def test_gulou_rules_ship_with_the_package(ctx: CityLoop) -> None:
    rules = parse_rules(load(ctx.settings).points)
    assert [
        rules.rule(n).points
        for n in ("open_account", "face_verification", "correct_drop", "monthly_grant", "violation")
    ] == [100, 300, 5, 400, 0]
    assert recycling_points(rules.rule("recycling"), "paper", 2.5) == 20
    earlier = [START + timedelta(minutes=i * 10) for i in range(6)]
    assert drop_fraud(rules, earlier, START + timedelta(hours=3)) is not None  # 7th drop
    assert drop_fraud(rules, earlier[:1], START + timedelta(seconds=30)) is not None
    assert drop_fraud(rules, earlier[:1], START + timedelta(hours=1)) is None


def _event(capp: TestClient, users: Users, n: int, at, kind: str = "drop", **extra):
    body = {
        "household_code": "HH-2",
        "kind": kind,
        "event_id": f"e{n}",
        "device": "bin-1",
        "at": at.isoformat(),
        **extra,
    }
    return capp.post(f"{API}/garbage-events", json=body, headers=users.headers("admin"))


def test_accounts_events_redemption_reversal_statement(
    ctx: CityLoop, capp: TestClient, city: Users
) -> None:
    me = city.headers("resident2")
    first = capp.post(f"{API}/accounts/open", json={}, headers=me).json()
    assert first["created"] is True
    assert capp.post(f"{API}/accounts/open", json={}, headers=me).json()["created"] is False
    capp.post(f"{API}/face-verification", json={}, headers=me)
    rid = resident_id(ctx, "李四")
    accounts = {
        a["code"]: a["balance"] for a in capp.get(f"{API}/accounts/mine", headers=me).json()
    }
    assert accounts == {f"resident:{rid}": 400, "household:HH-2": 0}

    # Smart bin: drops earn 5, a replayed event nothing, too-frequent drops are flagged.
    assert _event(capp, city, 1, START).json()["points"] == 5
    assert _event(capp, city, 1, START).json()["created"] is False
    flagged = _event(capp, city, 2, START + timedelta(seconds=20)).json()
    assert flagged["points"] == 0 and "apart" in flagged["flagged"]
    assert (
        _event(
            capp, city, 3, START + timedelta(hours=1), "recycle", material="metal", kilograms=2
        ).json()["points"]
        == 24
    )
    violation = _event(capp, city, 4, START + timedelta(hours=2), "violation").json()
    assert violation["points"] == 0 and violation["work_order_id"] is not None
    with ctx.uow() as uow:
        order = uow.session.get(WorkOrderRow, violation["work_order_id"])
        assert order is not None and "HH-2" in order.content and order.channel == "sensor"
    fraud = capp.get(f"{API}/fraud", headers=city.headers("grid_west")).json()
    assert [f["key"] for f in fraud] == ["garbage:bin-1:e2"]
    assert capp.get(f"{API}/fraud", headers=city.headers("sup_east")).json() == []

    grant = capp.post(
        f"{API}/monthly-grant", json={"month": "2026-09"}, headers=city.headers("admin")
    )
    assert grant.json() == {"posted": 4, "already": 0}
    again = capp.post(
        f"{API}/monthly-grant", json={"month": "2026-09"}, headers=city.headers("admin")
    )
    assert again.json() == {"posted": 0, "already": 4}
    hh = capp.get(f"{API}/accounts/household:HH-2", headers=me).json()
    assert hh["balance"] == 5 + 24 + 400

    item = capp.post(
        f"{API}/items",
        json={
            "name": "洗衣液",
            "channel": "station",
            "place": "幸福里兑换站",
            "cost": 200,
            "stock": 1,
        },
        headers=city.headers("admin"),
    ).json()
    body = {"account": "household:HH-2", "item_id": item["id"], "request_id": "req-0001"}
    r = capp.post(f"{API}/redemptions", json=body, headers=me)
    assert r.status_code == 200, r.text
    assert capp.post(f"{API}/redemptions", json=body, headers=me).json()["created"] is False
    out = capp.post(f"{API}/redemptions", json={**body, "request_id": "req-0002"}, headers=me)
    assert out.status_code == 422
    assert (out.json()["errors"][0]["field"], out.json()["errors"][0]["code"]) == (
        "item_id",
        "out_of_stock",
    )
    # Not enough points: refused as a whole, stock untouched.
    capp.post(
        f"{API}/items",
        json={"name": "电饭煲", "channel": "online", "cost": 10_000, "stock": 5},
        headers=city.headers("admin"),
    )
    items = {i["name"]: i for i in capp.get(f"{API}/items", headers=me).json()}
    poor = capp.post(
        f"{API}/redemptions",
        json={
            "account": f"resident:{rid}",
            "item_id": items["电饭煲"]["id"],
            "request_id": "req-0003",
        },
        headers=me,
    )
    assert poor.status_code == 422 and poor.json()["errors"][0]["field"] == "points"
    assert capp.get(f"{API}/items", headers=me).json()[1]["stock"] == 5
    # Someone else's account is not found.
    assert capp.get(f"{API}/accounts/household:HH-1", headers=me).status_code == 404

    rev = capp.post(
        f"{API}/reversals",
        json={"key": "redeem:req-0001", "reason": "商品缺货退回"},
        headers=city.headers("sup_west"),
    )
    assert rev.status_code == 200, rev.text
    assert capp.get(f"{API}/items", headers=me).json()[0]["stock"] == 1
    assert (
        capp.post(
            f"{API}/reversals",
            json={"key": "redeem:req-0001", "reason": "again"},
            headers=city.headers("resident2"),
        ).status_code
        == 403
    )

    st = capp.get(
        f"{API}/accounts/household:HH-2/statement", params={"month": "2026-09"}, headers=me
    )
    s = st.json()
    assert s["opening"] == 0 and s["credits"] == 5 + 24 + 400 + 200 and s["debits"] == 200
    assert (
        s["closing"]
        == 429
        == capp.get(f"{API}/accounts/household:HH-2", headers=me).json()["balance"]
    )
    with ctx.uow() as uow:
        session = uow.session
        assert session.execute(select(func.sum(PointEntryRow.amount))).scalar_one() == 0
        negative = session.execute(
            select(PointAccountRow).where(
                PointAccountRow.kind != "system", PointAccountRow.balance < 0
            )
        ).first()
        assert negative is None
        # Balances are exactly the sum of the entries.
        for acc in session.execute(select(PointAccountRow)).scalars():
            total = session.execute(
                select(func.coalesce(func.sum(PointEntryRow.amount), 0)).where(
                    PointEntryRow.account_id == acc.id
                )
            ).scalar_one()
            assert total == acc.balance, acc.code


def test_volunteering_and_ranking(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    task = capp.post(
        f"{API}/tasks", json={"title": "清理楼道杂物"}, headers=city.headers("resident")
    )
    assert task.status_code == 201
    tid = task.json()["id"]
    assert (
        capp.post(f"{API}/tasks/{tid}/claim", headers=city.headers("resident_east")).status_code
        == 404
    )
    assert (
        capp.post(f"{API}/tasks/{tid}/claim", headers=city.headers("resident2")).status_code == 200
    )
    assert (
        capp.post(f"{API}/tasks/{tid}/claim", headers=city.headers("resident3")).status_code == 422
    )
    done = capp.post(
        f"{API}/tasks/{tid}/complete", json={"points": 30}, headers=city.headers("grid_west")
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    rank = capp.get(
        f"{API}/ranking", params={"region": "990102001"}, headers=city.headers("sup_west")
    )
    assert [(r["name"], r["points"]) for r in rank.json()] == [("李*", 30), ("张*", 10)]
    mine = capp.get(f"{API}/ranking", headers=city.headers("resident")).json()
    assert mine[0]["community_name"] == "幸福社区"
    assert (
        capp.get(
            f"{API}/ranking", params={"party_only": True}, headers=city.headers("admin")
        ).json()
        == []
    )
    assert capp.get(f"{API}/ranking", headers=city.headers("sup_east")).json() == []
