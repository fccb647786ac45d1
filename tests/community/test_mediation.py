"""Dispute mediation: levels, steps, escalation on working-day limits, statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cityloop.community.mediation.cases import check_step, level_region, next_level
from cityloop.domain.errors import InvalidCommand
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.community.conftest import GRID_W1
from tests.conftest import Users

API = "/api/v1/community/disputes"
PARTIES = [{"name": "张三", "role": "申请人", "phone": "13800001111"}, {"name": "李四"}]


def test_levels_and_steps() -> None:
    assert next_level("community") == "street" and next_level("district") is None
    assert level_region("street", GRID_W1) == "990102001"
    check_step("session", "open")
    with pytest.raises(InvalidCommand):
        check_step("follow_up", "mediating")


def _open(capp: TestClient, users: Users, who: str = "grid_west", **over):
    body = {
        "title": "楼上漏水",
        "description": "楼上漏水到楼下",
        "type": "neighbour",
        "region_code": GRID_W1,
        "parties": PARTIES,
        "mediator": "网格调解员",
        **over,
    }
    return capp.post(API, json=body, headers=users.headers(who))


def test_case_lifecycle_and_masking(capp: TestClient, users: Users) -> None:
    r = _open(capp, users)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["level"] == "community" and case["case_no"].startswith("TJ20260930-")
    assert case["parties"][0] == {"name": "张*", "role": "申请人", "phone": "138****1111"}
    # National Day holidays: ten working days from 30 September end on 20 October.
    assert case["due_at"].startswith("2026-10-2")
    cid = case["id"]
    h = users.headers("grid_west")
    steps = [("session", "第一次调解"), ("settle", "楼上维修并赔偿500元"), ("follow_up", "已修好")]
    for kind, note in steps:
        r = capp.post(f"{API}/{cid}/steps", json={"step": kind, "note": note}, headers=h)
        assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "closed" and done["agreement"] == "楼上维修并赔偿500元"
    assert [e["kind"] for e in done["events"]] == ["open", "session", "settle", "follow_up"]
    bad = capp.post(f"{API}/{cid}/steps", json={"step": "session", "note": "再谈"}, headers=h)
    assert bad.status_code == 422
    assert capp.get(f"{API}/{cid}", headers=users.headers("sup_east")).status_code == 404
    assert _open(capp, users, "resident").status_code == 403
    assert _open(capp, users, type="nonsense").status_code == 422
    assert _open(capp, users, region_code="990102002001001").status_code == 422


def test_escalation_when_not_settled_in_time(
    ctx: CityLoop, capp: TestClient, users: Users, clock: ManualClock
) -> None:
    cid = _open(capp, users).json()["id"]
    other = _open(capp, users, title="噪音", type="property").json()["id"]
    capp.post(
        f"{API}/{other}/steps",
        json={"step": "settle", "note": "约定晚十点后不施工"},
        headers=users.headers("grid_west"),
    )
    clock.set(clock.now() + timedelta(days=25))
    overdue = capp.get(API, params={"overdue": True}, headers=users.headers("sup_west")).json()
    assert [c["id"] for c in overdue] == [cid]
    swept = capp.post(f"{API}/sweep", headers=users.headers("sup_west")).json()
    assert swept == {"escalated": 1}
    case = capp.get(f"{API}/{cid}", headers=users.headers("sup_west")).json()
    assert case["level"] == "street" and case["escalations"] == 1 and not case["overdue"]
    assert case["events"][-1]["data"] == {"from": "community", "to": "street"}
    # The grid worker still follows the case, but the street mediates it now.
    assert capp.get(f"{API}/{cid}", headers=users.headers("grid_west")).status_code == 200
    gw = capp.post(
        f"{API}/{cid}/steps",
        json={"step": "session", "note": "再谈"},
        headers=users.headers("grid_west"),
    )
    assert gw.status_code == 403
    up = capp.post(
        f"{API}/{cid}/steps",
        json={"step": "escalate", "note": "涉及多户，报区"},
        headers=users.headers("sup_west"),
    ).json()
    assert up["level"] == "district"
    stats = capp.get(f"{API}/statistics", headers=users.headers("admin")).json()
    by_type = {t["type"]: t for t in stats["by_type"]}
    assert by_type["neighbour"]["escalated"] == 1 and by_type["property"]["settled"] == 1
    assert (
        stats["settled_by_level"] == {"community": 1} and stats["settled_in_community_share"] == 1
    )
