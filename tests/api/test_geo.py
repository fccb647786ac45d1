"""Address search and reverse geocoding over the gazetteer and the fixture city's grids."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cityloop.geo.gazetteer import GazetteerEntry
from cityloop.services import admin
from cityloop.services.context import CityLoop
from tests.conftest import EAST, WEST


@pytest.fixture
def geo(client: TestClient, ctx: CityLoop) -> TestClient:
    admin.import_gazetteer(
        ctx,
        [
            GazetteerEntry("幸福里小区", "小区", WEST[0], WEST[1], aliases=("幸福里",)),
            GazetteerEntry("滨河路", "道路", WEST[0] + 0.003, WEST[1]),
            GazetteerEntry("和平广场", "地标", EAST[0], EAST[1]),
        ],
    )
    return client


def test_search_finds_names_short_forms_and_typos_with_their_regions(geo: TestClient):
    for q in ("幸福里小区", "幸福里", "幸福理小区"):
        r = geo.get("/api/v1/geo/search", params={"q": q})
        assert r.status_code == 200, r.text
        first = r.json()["items"][0]
        assert first["name"] == "幸福里小区", q
    assert (first["lon"], first["lat"]) == WEST
    assert first["grid_code"] == "990102001001001"
    assert [x["name"] for x in first["regions"]] == [
        "测试市",
        "东城区",
        "河西街道",
        "幸福社区",
        "幸福1网格",
    ]
    east = geo.get("/api/v1/geo/search", params={"q": "和平广场"}).json()["items"][0]
    assert east["regions"][2]["name"] == "河东街道"
    assert geo.get("/api/v1/geo/search", params={"q": "火星基地"}).json()["items"] == []


def test_reverse_names_grid_community_street_and_the_nearest_place(geo: TestClient):
    # 0.0001° of longitude at 30.1°N: 111,195 m × cos(30.1°) × 0.0001 ≈ 9.6 m from 幸福里小区,
    # 290 m from 滨河路.
    r = geo.get("/api/v1/geo/reverse", params={"lon": WEST[0] + 0.0001, "lat": WEST[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["inside"] is True and body["grid_code"] == "990102001001001"
    assert (body["grid"]["name"], body["community"]["name"], body["street"]["name"]) == (
        "幸福1网格",
        "幸福社区",
        "河西街道",
    )
    assert body["district"]["name"] == "东城区"
    assert body["nearest"]["name"] == "幸福里小区"
    assert body["nearest"]["distance_m"] == pytest.approx(9.6, abs=0.2)
    # Nearer the road than the estate: the road is named.
    road = geo.get("/api/v1/geo/reverse", params={"lon": WEST[0] + 0.0025, "lat": WEST[1]})
    assert road.json()["nearest"]["name"] == "滨河路"
    # Outside every grid, and more than a kilometre from any place: nothing is guessed.
    out = geo.get("/api/v1/geo/reverse", params={"lon": 105.0, "lat": 31.0}).json()
    assert (out["inside"], out["regions"], out["street"], out["nearest"]) == (False, [], None, None)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("search", {}, "q"),
        ("search", {"q": ""}, "q"),
        ("search", {"q": "幸" * 51}, "q"),
        ("search", {"q": "幸福", "limit": 0}, "limit"),
        ("search", {"q": "幸福", "limit": "many"}, "limit"),
        ("reverse", {"lon": 104.05}, "lat"),
        ("reverse", {"lon": "east", "lat": 30.1}, "lon"),
        ("reverse", {"lon": 104.05, "lat": 91}, "lat"),
        ("reverse", {"lon": 181, "lat": 30.1}, "lon"),
        ("reverse", {"lon": "nan", "lat": 30.1}, "lon"),
    ],
)
def test_bad_input_is_422_naming_the_field(geo: TestClient, path: str, params: dict, field: str):
    r = geo.get(f"/api/v1/geo/{path}", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}
