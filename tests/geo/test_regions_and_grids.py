"""GeoJSON region import validation and the point → grid index."""

from __future__ import annotations

import copy

import pytest

from cityloop.geo.grid_index import GridIndex
from cityloop.geo.regions import ImportRejected, RegionLevel, parse_regions
from tests.conftest import CITY_FEATURES, EAST, WEST


def fc(features):
    return {"type": "FeatureCollection", "features": features}


def problems(features, known=None):
    with pytest.raises(ImportRejected) as err:
        parse_regions(fc(features), known)
    return {(p.row, p.field) for p in err.value.problems}


def test_valid_city_parses_parents_first():
    specs = parse_regions(fc(list(reversed(copy.deepcopy(CITY_FEATURES)))))
    assert [s.level for s in specs][:2] == [RegionLevel.CITY, RegionLevel.DISTRICT]
    assert len(specs) == len(CITY_FEATURES)


def test_each_problem_names_feature_and_field():
    fs = copy.deepcopy(CITY_FEATURES)
    fs[3]["properties"]["parent_code"] = "999999"  # unknown parent
    fs[4]["properties"]["code"] = "99010200100"  # wrong length for a community
    fs[6]["geometry"]["coordinates"] = [
        [[104.0, 30.0], [104.1, 30.2], [104.1, 30.0], [104.0, 30.2], [104.0, 30.0]]
    ]  # bow-tie
    fs[7]["properties"]["level"] = "street"  # a street under a community
    fs[8]["properties"]["code"] = fs[8]["properties"]["code"]
    fs.append(copy.deepcopy(CITY_FEATURES[8]))  # duplicate code
    found = problems(fs)
    # Features are numbered as a person counts them: the first is feature 1.
    assert {(4, "parent_code"), (5, "code"), (7, "geometry"), (10, "code")} <= found
    assert any(row == 8 for row, _ in found)


def test_not_a_feature_collection():
    with pytest.raises(ImportRejected):
        parse_regions({"type": "Feature"})
    assert problems([{"type": "Feature", "properties": {}, "geometry": None}]) >= {
        (1, "geometry"),
        (1, "name"),
        (1, "level"),
    }


def test_grid_under_existing_community_using_known_codes():
    grid = copy.deepcopy(CITY_FEATURES[8])
    grid["properties"]["code"] = "990102002001002"
    known = {"990102002001": RegionLevel.COMMUNITY}
    assert parse_regions(fc([grid]), known)[0].code == "990102002001002"
    grid["properties"]["code"] = "990102001001009"  # does not start with its parent's code
    assert (1, "code") in problems([grid], known)


def test_grid_index_locates_points_and_refuses_outside():
    specs = parse_regions(fc(copy.deepcopy(CITY_FEATURES)))
    grids = [(s.code, s.geometry) for s in specs if s.level is RegionLevel.GRID]
    parents = {s.code: s.parent_code for s in specs if s.parent_code}
    index = GridIndex(grids, parents)  # type: ignore[arg-type]
    west = index.locate(*WEST)
    assert west is not None and west.grid_code == "990102001001001"
    assert west.ancestry == ("990100", "990102", "990102001", "990102001001", "990102001001001")
    assert index.locate(*EAST).grid_code == "990102002001001"  # type: ignore[union-attr]
    assert index.locate(120.0, 35.0) is None
    # A point on the boundary between two grids goes to exactly one of them.
    edge = index.locate(104.1, 30.1)
    assert edge is not None and edge.grid_code in {"990102001001001", "990102001001002"}
