"""The demo city's regions: GB/T 30428.1 codes, exact nesting and tiling, valid geometry."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import pytest
import shapely
from shapely.geometry import Polygon

from cityloop.demo.geography import build_regions, region_index, region_shapes

CODE_LEN = {1: 6, 2: 6, 3: 9, 4: 12, 5: 15}


@pytest.fixture(scope="module")
def regions() -> dict[str, Any]:
    return build_regions(7)


@pytest.fixture(scope="module")
def shapes(regions: dict[str, Any]) -> dict[str, Polygon]:
    return region_shapes(regions)


@pytest.fixture(scope="module")
def children(regions: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for f in regions["features"]:
        if f["properties"]["parent_code"]:
            out[f["properties"]["parent_code"]].append(f["properties"]["code"])
    return out


def test_counts_by_level(regions: dict[str, Any]) -> None:
    levels = Counter(f["properties"]["level"] for f in regions["features"])
    assert levels[1] == 1
    assert levels[2] == 2
    assert levels[3] == 6
    assert levels[4] == 18
    assert levels[5] >= 150


def test_codes_nest_by_prefix(regions: dict[str, Any]) -> None:
    idx = region_index(regions)
    assert idx["990100"]["level"] == 1 and idx["990100"]["parent_code"] is None
    assert {c for c, p in idx.items() if p["level"] == 2} == {"990102", "990105"}
    for code, p in idx.items():
        assert code.isdigit() and len(code) == CODE_LEN[p["level"]]
        if p["level"] == 2:
            assert p["parent_code"] == "990100"
        elif p["level"] > 2:
            parent = idx[p["parent_code"]]
            assert parent["level"] == p["level"] - 1
            assert code.startswith(p["parent_code"]) and len(code) == len(p["parent_code"]) + 3
            assert code[-3:] != "000"


def test_names_are_chinese_and_suffixed(regions: dict[str, Any]) -> None:
    suffix = {1: "市", 2: "区", 3: "街道", 4: "社区", 5: "网格"}
    names = [f["properties"]["name"] for f in regions["features"]]
    assert len(set(names)) == len(names)
    for f in regions["features"]:
        p = f["properties"]
        assert p["name"].endswith(suffix[p["level"]])
    assert {"临江区", "青山区"} <= set(names)


def test_parents_come_before_children(regions: dict[str, Any]) -> None:
    seen: set[str] = set()
    for f in regions["features"]:
        p = f["properties"]
        assert p["parent_code"] is None or p["parent_code"] in seen
        seen.add(p["code"])


def test_geometry_is_valid_rounded_closed_and_local(regions: dict[str, Any]) -> None:
    for f in regions["features"]:
        g = f["geometry"]
        assert g["type"] == "Polygon"
        ring = g["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        for lon, lat in ring:
            assert 104.0 <= lon <= 104.2 and 30.55 <= lat <= 30.75
            assert round(lon, 6) == lon and round(lat, 6) == lat
        poly = Polygon(ring, g["coordinates"][1:])
        assert poly.is_valid, f["properties"]["code"]
        assert poly.exterior.is_ccw  # RFC 7946 winding
    json.dumps(regions)  # plain JSON-serialisable dicts


def test_polygons_are_irregular(shapes: dict[str, Polygon]) -> None:
    vertex_counts = [len(p.exterior.coords) - 1 for p in shapes.values()]
    assert sum(n > 5 for n in vertex_counts) / len(vertex_counts) > 0.8
    not_boxes = [p for p in shapes.values() if p.area < 0.97 * p.envelope.area]
    assert len(not_boxes) == len(shapes)


def test_children_inside_parent(shapes: dict[str, Polygon], children: dict[str, list[str]]) -> None:
    for parent, kids in children.items():
        pa = shapes[parent]
        for k in kids:
            assert shapes[k].difference(pa).area <= 1e-12 * pa.area, k
            assert pa.covers(shapes[k].representative_point())


def test_siblings_tile_parent(shapes: dict[str, Polygon], children: dict[str, list[str]]) -> None:
    for parent, kids in children.items():
        pa = shapes[parent]
        total = sum(shapes[k].area for k in kids)
        assert abs(total - pa.area) <= 1e-9 * pa.area, parent
        union = shapely.union_all([shapes[k] for k in kids])
        assert union.symmetric_difference(pa).area <= 1e-9 * pa.area, parent
        for i, a in enumerate(kids):
            for b in kids[i + 1 :]:
                assert shapes[a].intersection(shapes[b]).area <= 1e-12 * pa.area


def test_grids_per_community(children: dict[str, list[str]]) -> None:
    communities = [c for c in children if len(c) == 12]
    assert len(communities) == 18
    assert all(len(children[c]) >= 8 for c in communities)


def test_deterministic_per_seed(regions: dict[str, Any]) -> None:
    assert build_regions(7) == regions
    other = build_regions(8)
    assert other != regions
    # Same administrative structure whatever the seed; only geometry moves.
    assert [f["properties"] for f in other["features"]] == [
        f["properties"] for f in regions["features"]
    ]
