"""The demo city's own vector base map (底图): river, roads, parks and named buildings of 云河市,
generated with the demo so the console shows streets and places without fetching a single tile
from the internet.

Everything is derived from the city outline and the gazetteer, so the map and the address
search agree: each named road passes through its gazetteer point, each park and building is
drawn around its point and carries its name. Coordinates are WGS84, 6 decimals. Same regions,
gazetteer and seed → identical output.

Feature properties: ``kind`` (river | road | park | building), ``name`` (may be empty),
``class`` (river: 河流; road: 主干道 | 道路; building: the gazetteer kind, e.g. 小区, 学校).
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import shapely
from shapely.affinity import rotate
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry

from cityloop.demo.geography import LEVEL_CITY, region_shapes

BASEMAP_FILE = "basemap.geojson"
BUILDING_KINDS = ("小区", "地标", "学校", "医院", "商铺")


def _round(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(shapely.transform(geom, lambda xy: xy.round(6))))


def _feature(kind: str, name: str, cls: str, geom: BaseGeometry) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": name, "class": cls},
        "geometry": _round(geom),
    }


def _river(city: Polygon, rng: random.Random) -> list[dict[str, Any]]:
    """云河 runs north to south through the west of the city (临江区 is the river side), with
    a tributary, 锦溪, joining it from the east."""
    minx, miny, maxx, maxy = city.bounds
    w, h = maxx - minx, maxy - miny
    phase = rng.uniform(0, 2 * math.pi)
    pts = []
    for i in range(41):
        t = i / 40
        y = maxy + 0.05 * h - t * 1.1 * h
        x = minx + 0.3 * w + 0.06 * w * math.sin(phase + 3.2 * math.pi * t)
        pts.append((x, y))
    main = LineString(pts)
    join = main.interpolate(0.55, normalized=True)
    trib = LineString(
        [
            (join.x + (k / 12) * 0.55 * w, join.y + 0.18 * h * math.sin(math.pi * k / 12))
            for k in range(13)
        ]
    )
    frame = city.buffer(0.01)
    out = []
    for name, line, width in (("云河", main, 0.0016), ("锦溪", trib, 0.0007)):
        water = line.buffer(width, cap_style="flat").intersection(frame)
        if not water.is_empty:
            out.append(_feature("river", name, "河流", water))
    return out


def _part_near(geom: BaseGeometry, p: Point) -> BaseGeometry:
    if isinstance(geom, MultiLineString):
        return min(geom.geoms, key=lambda g: g.distance(p))
    return geom


def _roads(city: Polygon, roads: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """A road through each gazetteer road's point: a 大道 crosses the city, another road runs
    a few kilometres; east–west and north–south in turn, a little askew, gently curved."""
    minx, miny, maxx, maxy = city.bounds
    span = max(maxx - minx, maxy - miny)
    out = []
    for i, r in enumerate(roads):
        p = Point(r["lon"], r["lat"])
        main = r["name"].endswith("大道")
        half = span if main else rng.uniform(0.015, 0.03)
        angle = (0 if i % 2 == 0 else 90) + rng.uniform(-14, 14)
        bend = rng.uniform(-0.12, 0.12) * half
        # t = 0 is the point itself, and rotating about it keeps it on the road
        pts = [(p.x + half * t, p.y + bend * t * t) for t in (-1, -0.5, 0, 0.5, 1)]
        line = rotate(LineString(pts), angle, origin=p)
        clipped = _part_near(line.intersection(city), p)
        if clipped.is_empty or clipped.length < 0.003:
            continue
        out.append(_feature("road", r["name"], "主干道" if main else "道路", clipped))
    return out


def _blob(p: Point, radius: float, rng: random.Random, corners: int = 10) -> Polygon:
    pts = []
    for k in range(corners):
        a = 2 * math.pi * k / corners
        rr = radius * rng.uniform(0.7, 1.1)
        pts.append((p.x + rr * math.cos(a), p.y + rr * math.sin(a) * 0.87))
    return Polygon(pts)


def _parks(city: Polygon, parks: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for e in parks:
        shape = _blob(Point(e["lon"], e["lat"]), rng.uniform(0.0022, 0.0035), rng)
        shape = shape.intersection(city)
        if not shape.is_empty:
            out.append(_feature("park", e["name"], "公园", shape))
    return out


def _buildings(entries: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    size = {"小区": 0.0011, "学校": 0.0008, "医院": 0.0007, "地标": 0.0006, "商铺": 0.0002}
    out = []
    for e in entries:
        s = size[e["kind"]] * rng.uniform(0.8, 1.2)
        x, y = e["lon"], e["lat"]
        block = rotate(box(x - s, y - s * 0.7, x + s, y + s * 0.7), rng.uniform(-25, 25))
        out.append(_feature("building", e["name"], e["kind"], block))
    return out


def build_basemap(
    regions: dict[str, Any], gazetteer: list[dict[str, Any]], seed: int = 7
) -> dict[str, Any]:
    """The base map as a GeoJSON FeatureCollection: rivers, parks, roads, buildings (drawn in
    that order, water and green first)."""
    rng = random.Random(seed * 7919 + 3)
    shapes = region_shapes(regions)
    city_code = next(
        f["properties"]["code"]
        for f in regions["features"]
        if f["properties"]["level"] in (LEVEL_CITY, "city")
    )
    city = shapes[city_code]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(gazetteer, key=lambda e: e["name"]):
        by_kind.setdefault(e["kind"], []).append(e)
    features = (
        _river(city, rng)
        + _parks(city, by_kind.get("公园", []), rng)
        + _roads(city, by_kind.get("道路", []), rng)
        + _buildings([e for k in BUILDING_KINDS for e in by_kind.get(k, [])], rng)
    )
    return {"type": "FeatureCollection", "name": "云河市底图", "features": features}


def write_basemap(path: Path, collection: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), "utf-8")
    tmp.replace(path)
