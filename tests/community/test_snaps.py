"""Snap-and-report: grouping the same incident, escalation to a work order with a deadline,
every reporter notified of the escalation and of the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from cityloop.community.config import SnapPolicy
from cityloop.community.snaps.incidents import Candidate, Report, best_match, distance_m, similarity
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.conftest import WEST, Users, category

API = "/api/v1/community"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
T0 = datetime(2026, 9, 30, 10, 0)


def test_distance_and_similarity() -> None:
    assert 95 < distance_m(104.0, 30.0, 104.001, 30.0) < 97  # 0.001° of longitude at 30°N
    assert similarity("路灯不亮了", "这里的路灯不亮") > 0.4
    assert similarity("路灯不亮", "井盖丢失") == 0


def test_best_match_needs_place_time_and_text() -> None:
    p = SnapPolicy(radius_m=80, window_hours=72, min_similarity=0.35)
    c = [Candidate(1, "路灯不亮", 104.05, 30.1, T0)]
    assert best_match(Report("路灯不亮了", 104.0503, 30.1, T0 + timedelta(hours=1)), c, p) == 1
    assert best_match(Report("路灯不亮了", 104.06, 30.1, T0), c, p) is None  # ~960 m away
    assert best_match(Report("路灯不亮了", 104.05, 30.1, T0 + timedelta(days=4)), c, p) is None
    assert best_match(Report("井盖丢失", 104.05, 30.1, T0), c, p) is None


def _photo(capp: TestClient) -> dict:
    return capp.post("/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")}).json()


def _snap(capp: TestClient, users: Users, who: str, text: str, dx: float = 0.0, **extra):
    body = {
        "text": text,
        "lon": WEST[0] + dx,
        "lat": WEST[1],
        "attachments": [_photo(capp)],
        **extra,
    }
    return capp.post(f"{API}/snaps", json=body, headers=users.headers(who))


def test_same_incident_grouped_then_escalated_and_everyone_told(
    ctx: CityLoop, capp: TestClient, city: Users, clock: ManualClock
) -> None:
    cat = category(ctx, "城乡建设/市政设施/路灯损坏")
    a = _snap(capp, city, "resident", "幸福里门口路灯不亮", category=cat)
    assert a.status_code == 201, a.text
    gid = a.json()["group"]["id"]
    clock.set(clock.now() + timedelta(hours=2))
    b = _snap(capp, city, "resident", "幸福里门口路灯不亮了")  # same person again
    assert b.json()["group"]["id"] == gid and b.json()["group"]["reporters"] == 1
    other = _snap(capp, city, "resident2", "井盖丢了很危险")
    assert other.json()["group"]["id"] != gid
    c = _snap(capp, city, "resident2", "门口的路灯不亮", dx=0.0002)
    assert c.json()["group"]["id"] == gid and c.json()["group"]["status"] == "open"
    d = _snap(capp, city, "grid_west", "幸福里路灯不亮")
    group = d.json()["group"]
    assert group["status"] == "escalated" and group["reporters"] == 3 and group["ticket_no"]
    assert group["due_at"] is not None  # the linkage list's time limit
    assert d.json()["progress"]["status"] == "dispatched"
    for who in ("resident", "resident2", "grid_west"):
        notes = capp.get(f"{API}/notifications", headers=city.headers(who)).json()
        assert [n["kind"] for n in notes] == ["snap_escalated"], who
    # A later report of the same incident joins it and is told at once.
    late = _snap(capp, city, "resident3", "路灯不亮幸福里")
    assert late.json()["group"]["id"] == gid
    assert (
        capp.get(f"{API}/notifications", headers=city.headers("resident3")).json()[0]["data"][
            "ticket_no"
        ]
        == group["ticket_no"]
    )
    # The department answers: every reporter is told the outcome, once.
    oid = group["work_order_id"]
    cg = city.headers("cg")
    for action, extra in (("accept", {}), ("reply", {"note": "已更换灯泡"})):
        r = capp.post(f"/api/v1/work-orders/{oid}/actions/{action}", json=extra, headers=cg)
        assert r.status_code == 200, r.text
    for _ in range(2):
        notes = capp.get(f"{API}/notifications", headers=city.headers("resident2")).json()
    assert [n["kind"] for n in notes] == ["snap_outcome", "snap_escalated"]
    assert notes[0]["body"] == "已更换灯泡"
    nid = notes[0]["id"]
    assert (
        capp.post(f"{API}/notifications/{nid}/read", headers=city.headers("resident2")).status_code
        == 204
    )
    assert (
        capp.get(
            f"{API}/notifications", params={"unread": True}, headers=city.headers("resident2")
        ).json()[0]["kind"]
        == "snap_escalated"
    )
    groups = capp.get(f"{API}/snap-groups", headers=city.headers("sup_west")).json()
    assert {g["id"] for g in groups} >= {gid}
    assert capp.get(f"{API}/snap-groups", headers=city.headers("sup_east")).json() == []


def test_snap_needs_a_real_photo_and_a_place_in_the_city(capp: TestClient, city: Users) -> None:
    no_photo = capp.post(
        f"{API}/snaps",
        json={"text": "路灯坏了", "lon": WEST[0], "lat": WEST[1], "attachments": []},
        headers=city.headers("resident"),
    )
    assert no_photo.status_code == 422
    fake = capp.post(
        f"{API}/snaps",
        json={
            "text": "路灯坏了",
            "lon": WEST[0],
            "lat": WEST[1],
            "attachments": [{"url": "/api/v1/attachments/nope", "content_type": "image/png"}],
        },
        headers=city.headers("resident"),
    )
    assert fake.json()["errors"][0]["field"] == "attachments.0"
    outside = _snap(capp, city, "resident", "路灯坏了", dx=5.0)
    assert outside.status_code == 422
    assert _snap(capp, city, "dispatcher", "路灯坏了").status_code == 403
