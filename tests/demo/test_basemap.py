"""The demo city's own base map: derived from its outline and gazetteer, so that the roads and
buildings on the map are where address search puts them; served with an ETag."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from shapely.geometry import Point, shape

from cityloop.demo.basemap import build_basemap, write_basemap
from cityloop.demo.geography import build_regions, region_shapes
from cityloop.demo.organisation import build_gazetteer
from cityloop.services.context import CityLoop


def _city():
    regions = build_regions()
    return regions, build_gazetteer(regions)


def test_roads_buildings_and_parks_are_where_the_gazetteer_says():
    regions, gazetteer = _city()
    bm = build_basemap(regions, gazetteer)
    assert bm == build_basemap(regions, gazetteer)  # same input, same map
    city = region_shapes(regions)["990100"]
    by_name = {e["name"]: e for e in gazetteer}
    kinds: dict[str, int] = {}
    for f in bm["features"]:
        p = f["properties"]
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty, p
        assert city.buffer(0.011).contains(geom), p["name"]
        if p["kind"] in ("road", "building", "park"):
            e = by_name[p["name"]]
            # within a metre (6-decimal rounding) of the place address search returns
            assert geom.distance(Point(e["lon"], e["lat"])) < 1e-5, p["name"]
    roads = [e for e in gazetteer if e["kind"] == "道路"]
    assert kinds["road"] == len(roads)  # every named road is drawn
    assert kinds["river"] >= 1 and kinds["park"] == sum(e["kind"] == "公园" for e in gazetteer)
    assert kinds["building"] > 100
    assert {
        f["properties"]["class"] for f in bm["features"] if f["properties"]["kind"] == "road"
    } == {
        "主干道",
        "道路",
    }


def test_the_base_map_is_served_with_an_etag(
    client: TestClient, ctx: CityLoop, tmp_path, monkeypatch
):
    monkeypatch.setattr(ctx.settings, "basemap_path", tmp_path / "none.geojson")
    empty = client.get("/api/v1/geo/basemap")
    assert empty.status_code == 200 and empty.json() == {
        "type": "FeatureCollection",
        "features": [],
    }
    assert client.get("/api/v1/meta/console-config").json()["basemap"] is False

    regions, gazetteer = _city()
    path = tmp_path / "basemap.geojson"
    write_basemap(path, build_basemap(regions, gazetteer))
    monkeypatch.setattr(ctx.settings, "basemap_path", path)
    r = client.get("/api/v1/geo/basemap")
    assert r.status_code == 200
    assert r.json() == json.loads(path.read_text("utf-8"))
    assert client.get("/api/v1/meta/console-config").json()["basemap"] is True
    again = client.get("/api/v1/geo/basemap", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # A new map (another seed) is a new ETag.
    write_basemap(path, build_basemap(regions, gazetteer, seed=8))
    changed = client.get("/api/v1/geo/basemap", headers={"If-None-Match": r.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != r.headers["etag"]
