"""Departments, taxonomy, linkage list and gazetteer of the demo city."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from shapely.geometry import Point

from cityloop.demo.geography import build_regions, region_index, region_shapes
from cityloop.demo.organisation import (
    build_departments,
    build_gazetteer,
    build_linkage,
    build_taxonomy,
    resolve_route,
    street_dept_code,
)

KINDS = {"小区", "道路", "地标", "商铺", "学校", "医院", "公园"}


@pytest.fixture(scope="module")
def regions() -> dict[str, Any]:
    return build_regions(7)


@pytest.fixture(scope="module")
def gazetteer(regions: dict[str, Any]) -> list[dict[str, Any]]:
    return build_gazetteer(regions, seed=7)


def _grid_codes(regions: dict[str, Any]) -> list[str]:
    return [c for c, p in region_index(regions).items() if p["level"] == 5]


def test_departments(regions: dict[str, Any]) -> None:
    depts = build_departments()
    assert 25 <= len(depts) <= 40
    codes = [d["code"] for d in depts]
    assert len(set(codes)) == len(codes)
    assert len({d["name"] for d in depts}) == len(depts)
    idx = region_index(regions)
    for d in depts:
        assert set(d) == {"code", "name", "level", "region_code"}
        assert d["level"] in {"city", "district", "street"}
        assert idx[d["region_code"]]["level"] == {"city": 1, "district": 2, "street": 3}[d["level"]]
    names = {d["name"] for d in depts}
    for must in ("市城市管理局", "市住房和城乡建设局", "市生态环境局", "市水务局", "市公安局"):
        assert must in names
    streets = [c for c, p in idx.items() if p["level"] == 3]
    for s in streets:
        office = street_dept_code(s)
        assert any(d["code"] == office and d["name"].endswith("办事处") for d in depts)


def test_taxonomy_shape() -> None:
    rows = build_taxonomy()
    assert all(set(r) == {"l1", "l2", "l3", "default_urgency"} for r in rows)
    triples = [(r["l1"], r["l2"], r["l3"]) for r in rows]
    assert len(set(triples)) == len(triples)
    assert 10 <= len({r["l1"] for r in rows}) <= 14
    assert 35 <= len({(r["l1"], r["l2"]) for r in rows}) <= 45
    assert 90 <= len(rows) <= 110
    for r in rows:
        assert all(r[k] and not r[k].isascii() for k in ("l1", "l2", "l3"))


def test_linkage_rules_are_well_formed() -> None:
    rules = build_linkage()
    dept_codes = {d["code"] for d in build_departments()}
    rows = build_taxonomy()
    paths = {r["l1"] for r in rows} | {f"{r['l1']}/{r['l2']}" for r in rows}
    paths |= {f"{r['l1']}/{r['l2']}/{r['l3']}" for r in rows}
    for r in rules:
        assert set(r) == {"category", "region_code", "lead", "co", "urgent", "normal"}
        assert r["category"] in paths
        # "@street" stands for the office of the appeal's own street (属地街道).
        assert r["lead"] in dept_codes and set(r["co"]) <= dept_codes | {"@street"}
        assert r["lead"] not in r["co"]
        assert r["urgent"] in {"2h", "4h"} and r["normal"] in {"3d", "5d", "10d"}
    keys = [(r["category"], r["region_code"]) for r in rules]
    assert len(set(keys)) == len(keys)  # no contradictory duplicates
    assert any(r["region_code"] for r in rules)


def test_every_category_is_routed_everywhere(regions: dict[str, Any]) -> None:
    grids = _grid_codes(regions)
    for r in build_taxonomy():
        assert resolve_route(r["l1"], r["l2"], r["l3"], None)["region_code"] is None
        for g in grids[::20]:
            rule = resolve_route(r["l1"], r["l2"], r["l3"], g)
            assert rule["region_code"] is None or g.startswith(rule["region_code"])


def test_region_specific_routing() -> None:
    args = ("城市管理", "市容环境", "乱堆乱放")
    assert resolve_route(*args, None)["lead"] == "D-CG"
    assert resolve_route(*args, "990102001001001")["lead"] == "D-LJCG"
    assert resolve_route(*args, "990105001001001")["lead"] == "D-QSCG"
    # Street rule beats district rule; the same category elsewhere in the district does not.
    stall = ("城市管理", "市容环境", "占道经营")
    assert resolve_route(*stall, "990105003002004")["lead"] == "D-JD-SQ"
    assert resolve_route(*stall, "990105002002004")["lead"] == "D-QSCG"
    # Deeper category beats shallower one.
    assert resolve_route("水电气", "燃气", "燃气泄漏", None)["co"] == ["D-XF", "D-YJ"]
    assert resolve_route("水电气", "燃气", "燃气停气", None)["co"] == ["D-ZJ"]


def test_gazetteer_entries(gazetteer: list[dict[str, Any]], regions: dict[str, Any]) -> None:
    assert 230 <= len(gazetteer) <= 280
    names = [e["name"] for e in gazetteer]
    assert len(set(names)) == len(names)
    kinds = Counter(e["kind"] for e in gazetteer)
    assert set(kinds) == KINDS
    grids = set(_grid_codes(regions))
    for e in gazetteer:
        assert set(e) == {"name", "kind", "lon", "lat", "grid_code", "aliases"}
        assert e["grid_code"] in grids
        assert round(e["lon"], 6) == e["lon"] and round(e["lat"], 6) == e["lat"]
    aliases = [a for e in gazetteer for a in e["aliases"]]
    assert len(aliases) > 40
    assert len(set(aliases)) == len(aliases)
    assert not set(aliases) & set(names)
    assert any(e["name"].endswith("小区") and e["name"][:-2] in e["aliases"] for e in gazetteer)


def test_gazetteer_points_strictly_inside_their_grid(
    gazetteer: list[dict[str, Any]], regions: dict[str, Any]
) -> None:
    shapes = region_shapes(regions)
    for e in gazetteer:
        assert shapes[e["grid_code"]].contains(Point(e["lon"], e["lat"])), e["name"]


def test_every_grid_has_a_residential_estate(
    gazetteer: list[dict[str, Any]], regions: dict[str, Any]
) -> None:
    with_estate = {e["grid_code"] for e in gazetteer if e["kind"] == "小区"}
    assert with_estate == set(_grid_codes(regions))


def test_district_named_places_sit_in_their_district(gazetteer: list[dict[str, Any]]) -> None:
    for e in gazetteer:
        if e["name"].startswith("临江区"):
            assert e["grid_code"].startswith("990102")
        if e["name"].startswith("青山区"):
            assert e["grid_code"].startswith("990105")


def test_gazetteer_deterministic(gazetteer: list[dict[str, Any]], regions: dict[str, Any]) -> None:
    assert build_gazetteer(regions, seed=7) == gazetteer
    assert build_gazetteer(regions, seed=8) != gazetteer


def test_taxonomy_names_the_categories_urgent_by_themselves() -> None:
    defaults = {
        f"{r['l1']}/{r['l2']}/{r['l3']}": r["default_urgency"]
        for r in build_taxonomy()
        if r["default_urgency"]
    }
    by_leaf = {path.rsplit("/", 1)[1]: u for path, u in defaults.items()}
    assert by_leaf["燃气泄漏"] == by_leaf["电梯困人"] == "life_safety"
    assert {"火灾隐患", "井盖缺失破损", "电力设施隐患", "路面塌陷", "房屋裂缝", "倒伏树木"} <= set(
        by_leaf
    )
    assert set(defaults.values()) <= {"urgent", "life_safety"}
    assert len(defaults) == 9  # every configured path is a category of the taxonomy
