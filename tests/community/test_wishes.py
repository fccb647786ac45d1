"""Wish wall: post, vote per resident counted per household, threshold → work order, progress."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cityloop.community.config import WishPolicy
from cityloop.community.wishes.tally import household_sides, tally
from cityloop.services.context import CityLoop
from tests.conftest import Users, category

API = "/api/v1/community/wishes"


def test_household_counts_once_on_its_majority_side() -> None:
    assert household_sides([(1, True), (1, False), (2, True), (2, True), (3, False)]) == {
        1: False,
        2: True,
        3: False,
    }


def test_threshold_needs_turnout_and_share() -> None:
    policy = WishPolicy(support_ratio=0.8, min_turnout=0.3, min_households=3)
    # 10 households: 3 must vote; 4 of 5 voting households = 80 % passes, 3 of 4 does not.
    assert tally([(1, True), (2, True)], 10, policy).passed is False  # turnout too low
    four_of_five = [(1, True), (2, True), (3, True), (4, True), (5, False)]
    assert tally(four_of_five, 10, policy).passed is True
    assert tally([(1, True), (2, True), (3, True), (4, False)], 10, policy).passed is False
    t = tally([(1, True)], 100, policy)
    assert t.turnout_needed == 30 and t.support_needed == 24


def test_wish_passes_and_becomes_a_work_order(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    cat = category(ctx, "城乡建设/市政设施")
    r = capp.post(
        API,
        json={"title": "小区加装路灯", "content": "1栋门口太黑，希望加装路灯", "category": cat},
        headers=city.headers("resident"),
    )
    assert r.status_code == 201, r.text
    wish = r.json()
    assert wish["community_code"] == "990102001001" and wish["tally"]["households"] == 3
    wid = wish["id"]
    # 和平社区's resident neither sees nor votes on it.
    assert capp.get(f"{API}/{wid}", headers=city.headers("resident_east")).status_code == 404
    assert (
        capp.put(f"{API}/{wid}/vote", json={}, headers=city.headers("resident_east")).status_code
        == 404
    )
    v = capp.put(f"{API}/{wid}/vote", json={"vote": "support"}, headers=city.headers("resident"))
    assert v.json()["my_vote"] == "support" and v.json()["tally"]["supporting"] == 1
    capp.put(f"{API}/{wid}/vote", json={"vote": "support"}, headers=city.headers("resident2"))
    # withdrawing works, and voting again too (one vote per resident)
    w = capp.delete(f"{API}/{wid}/vote", headers=city.headers("resident2")).json()
    assert w["tally"]["voting"] == 1 and w["my_vote"] is None
    assert capp.delete(f"{API}/{wid}/vote", headers=city.headers("resident2")).status_code == 422
    capp.put(f"{API}/{wid}/vote", json={"vote": "support"}, headers=city.headers("resident2"))
    assert capp.get(f"{API}/{wid}", headers=city.headers("resident")).json()["status"] == "open"
    last = capp.put(
        f"{API}/{wid}/vote", json={"vote": "support"}, headers=city.headers("resident3")
    )
    body = last.json()
    assert body["tally"]["passed"] is True and body["status"] == "adopted"
    assert body["progress"]["status"] == "dispatched"  # routed by the linkage list
    assert body["progress"]["ticket_no"]
    # The order is the author's appeal too, so it shows in their own tracking.
    assert (
        capp.get(
            f"/api/v1/work-orders/{body['work_order_id']}", headers=city.headers("resident")
        ).status_code
        == 200
    )
    # Listing shows the progress to the community's residents and the street's supervisor.
    listed = capp.get(API, headers=city.headers("sup_west")).json()
    assert [x["progress"]["ticket_no"] for x in listed] == [body["progress"]["ticket_no"]]
    assert capp.get(API, headers=city.headers("sup_east")).json() == []


def test_opposition_keeps_a_wish_below_the_threshold(capp: TestClient, city: Users) -> None:
    wid = capp.post(
        API,
        json={"title": "建篮球场", "content": "把空地改成篮球场"},
        headers=city.headers("resident"),
    ).json()["id"]
    for who, vote in (("resident", "support"), ("resident2", "support"), ("resident3", "oppose")):
        body = capp.put(f"{API}/{wid}/vote", json={"vote": vote}, headers=city.headers(who)).json()
    assert body["status"] == "open" and body["tally"]["support_share"] < 0.8
    assert body["work_order_id"] is None


def test_only_registered_residents_post(capp: TestClient, city: Users) -> None:
    r = capp.post(API, json={"title": "x" * 3, "content": "yyy"}, headers=city.headers("grid_west"))
    assert r.status_code == 403
