"""The map's region layers over HTTP: GeoJSON per level, revalidated by ETag."""

from __future__ import annotations

import copy

from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.services.context import CityLoop
from tests.conftest import CITY_FEATURES, Users


def test_region_layers_are_revalidated_by_etag(ctx: CityLoop, users: Users) -> None:
    api = TestClient(create_app(ctx, web=False))
    r = api.get("/api/v1/regions", params={"level": "grid"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"
    tag = r.headers["etag"]
    codes = [f["properties"]["code"] for f in r.json()["features"]]
    assert codes == ["990102001001001", "990102001001002", "990102002001001"]

    again = api.get("/api/v1/regions", params={"level": "grid"}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    # Another level is another layer with its own tag.
    streets = api.get("/api/v1/regions", params={"level": "street"}, headers={"If-None-Match": tag})
    assert streets.status_code == 200 and len(streets.json()["features"]) == 2

    grid = copy.deepcopy(CITY_FEATURES[8])
    grid["properties"].update(code="990102002001002", name="和平2网格")
    imported = api.post(
        "/api/v1/regions/import",
        json={"type": "FeatureCollection", "features": [grid]},
        headers=users.headers("admin"),
    )
    assert imported.status_code == 200, imported.text
    after = api.get("/api/v1/regions", params={"level": "grid"}, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert len(after.json()["features"]) == 4

    assert api.get("/api/v1/regions", params={"level": "planet"}).status_code == 422


def _codes(nodes: list[dict]) -> list[str]:
    return [n["value"] for n in nodes] + [c for n in nodes for c in _codes(n.get("children", []))]


def test_region_tree_names_the_hierarchy_within_the_users_jurisdiction(
    ctx: CityLoop, users: Users
) -> None:
    api = TestClient(create_app(ctx, web=False))
    city = api.get("/api/v1/regions/tree", headers=users.headers("dispatcher"))
    assert city.status_code == 200
    (top,) = city.json()
    assert (top["value"], top["label"], top["level"]) == ("990100", "测试市", "city")
    (district,) = top["children"]
    assert [s["label"] for s in district["children"]] == ["河西街道", "河东街道"]
    west = district["children"][0]
    assert [g["label"] for g in west["children"][0]["children"]] == ["幸福1网格", "幸福2网格"]
    assert "children" not in west["children"][0]["children"][0]  # a grid is a leaf
    assert len(_codes(city.json())) == len(CITY_FEATURES)

    # A street supervisor picks inside their street only; a grid worker gets their grid.
    sup = api.get("/api/v1/regions/tree", headers=users.headers("sup_west")).json()
    assert _codes(sup) == ["990102001", "990102001001", "990102001001001", "990102001001002"]
    assert _codes(api.get("/api/v1/regions/tree", headers=users.headers("grid_west")).json()) == [
        "990102001001001"
    ]
    # Signed-in users only.
    assert api.get("/api/v1/regions/tree").status_code == 401
