"""Region hierarchy import (city → district → street → community → unit grid).

Validation is all-or-nothing: every problem is collected with the feature number (1-based,
as a person counts) and field, and the caller writes nothing unless the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity

from cityloop.domain.import_problems import GEOMETRY_REASONS, ImportProblem, ImportRejected

__all__ = ["ImportProblem", "ImportRejected", "RegionLevel", "RegionSpec", "parse_regions"]


class RegionLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


LEVEL_ORDER = list(RegionLevel)
LEVEL_LABELS = {
    RegionLevel.CITY: "市",
    RegionLevel.DISTRICT: "区",
    RegionLevel.STREET: "街道",
    RegionLevel.COMMUNITY: "社区",
    RegionLevel.GRID: "单元网格",
}
# GB/T 30428.1 grid codes: 6-digit county + 3-digit street + 3 community + 3 grid sequence.
CODE_LENGTHS = {
    RegionLevel.CITY: 6,
    RegionLevel.DISTRICT: 6,
    RegionLevel.STREET: 9,
    RegionLevel.COMMUNITY: 12,
    RegionLevel.GRID: 15,
}


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    geometry: dict[str, Any]


def parse_regions(collection: Any, known: dict[str, RegionLevel] | None = None) -> list[RegionSpec]:
    """Validate a GeoJSON FeatureCollection of regions; raise ImportRejected on any problem.

    `known` gives the codes already in the database (with their level), so an import may add
    grids under existing communities. Features are numbered from 1.
    """
    problems: list[ImportProblem] = []
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ImportRejected([ImportProblem.of(0, "type", "geojson_collection")])
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise ImportRejected([ImportProblem.of(0, "features", "geojson_no_features")])

    stored = dict(known or {})
    levels: dict[str, RegionLevel] = dict(stored)
    first: dict[str, int] = {}
    parsed: list[tuple[int, RegionSpec]] = []
    for i, feature in enumerate(features, start=1):
        spec = _parse_feature(i, feature, problems)
        if spec is None:
            continue
        if spec.code in first:
            problems.append(
                ImportProblem.of(
                    i, "code", "duplicate_feature", value=spec.code, first=first[spec.code]
                )
            )
            continue
        if spec.code in stored:
            problems.append(ImportProblem.of(i, "code", "already_exists", value=spec.code))
            continue
        first[spec.code] = i
        levels[spec.code] = spec.level
        parsed.append((i, spec))
    # Parents are checked once every code is known, so features may come in any order.
    for i, spec in parsed:
        _check_parent(i, spec, levels, problems)
    if problems:
        raise ImportRejected(problems)
    return _parents_first([spec for _, spec in parsed])


def geometry_problem(i: int, geometry: Any) -> ImportProblem | None:
    """Why a feature's geometry cannot bound a region (None: it can)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        got = geometry.get("type") if isinstance(geometry, dict) else None
        return ImportProblem.of(i, "geometry", "geometry_type", got=str(got or "—"))
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        return ImportProblem.of(i, "geometry", "geometry_unreadable", detail=str(exc)[:200])
    if geom.is_empty:
        return ImportProblem.of(i, "geometry", "geometry_empty")
    if not geom.is_valid:
        return invalid_geometry(i, explain_validity(geom))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return ImportProblem.of(i, "geometry", "geometry_range")
    return None


def invalid_geometry(i: int, explanation: str) -> ImportProblem:
    """shapely's "Self-intersection[120.1 30.2]" as a problem in both languages."""
    reason, _, where = explanation.partition("[")
    reason = reason.strip()
    coords = where.rstrip("]").split()
    lon, lat = (coords + ["?", "?"])[:2]
    zh, en = GEOMETRY_REASONS.get(reason, (reason, reason))
    return ImportProblem.of(
        i,
        "geometry",
        "geometry_invalid",
        reason=reason,
        reason_zh=zh,
        reason_en=en,
        lon=_short(lon),
        lat=_short(lat),
    )


def _short(number: str) -> str:
    try:
        return f"{float(number):.6f}".rstrip("0").rstrip(".")
    except ValueError:
        return number


def _parse_feature(i: int, feature: Any, problems: list[ImportProblem]) -> RegionSpec | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(ImportProblem.of(i, "type", "geojson_feature"))
        return None
    props = feature.get("properties")
    if not isinstance(props, dict):
        problems.append(ImportProblem.of(i, "properties", "geojson_properties"))
        return None
    start = len(problems)
    code = str(props.get("code") or "").strip()
    name = str(props.get("name") or "").strip()
    level_text = str(props.get("level") or "").strip()
    parent = props.get("parent_code")
    parent_code = str(parent).strip() if parent not in (None, "") else None
    level: RegionLevel | None = None
    if level_text not in RegionLevel.__members__.values():
        problems.append(
            ImportProblem.of(
                i, "level", "not_one_of", value=level_text, what="level", choices=list(RegionLevel)
            )
        )
    else:
        level = RegionLevel(level_text)
    if not name:
        problems.append(ImportProblem.of(i, "name", "required"))
    if not code.isdigit():
        problems.append(ImportProblem.of(i, "code", "code_digits", value=code))
    elif level is not None and len(code) != CODE_LENGTHS[level]:
        problems.append(
            ImportProblem.of(
                i,
                "code",
                "code_length",
                level=level.value,
                length=CODE_LENGTHS[level],
                got=len(code),
            )
        )
    bad = geometry_problem(i, feature.get("geometry"))
    if bad is not None:
        problems.append(bad)
    if len(problems) > start or level is None:
        return None
    geometry = feature["geometry"]
    return RegionSpec(code, name, level, parent_code, geometry)


def _check_parent(
    i: int, spec: RegionSpec, levels: dict[str, RegionLevel], problems: list[ImportProblem]
) -> None:
    if spec.level is RegionLevel.CITY:
        if spec.parent_code is not None:
            problems.append(ImportProblem.of(i, "parent_code", "city_has_parent"))
        return
    expected = LEVEL_ORDER[LEVEL_ORDER.index(spec.level) - 1]
    if spec.parent_code is None:
        problems.append(
            ImportProblem.of(
                i, "parent_code", "parent_required", level=spec.level.value, expected=expected.value
            )
        )
        return
    parent_level = levels.get(spec.parent_code)
    if parent_level is None:
        problems.append(
            ImportProblem.of(i, "parent_code", "parent_unknown", parent=spec.parent_code)
        )
        return
    if parent_level is not expected:
        problems.append(
            ImportProblem.of(
                i,
                "level",
                "parent_level",
                level=spec.level.value,
                expected=expected.value,
                parent=spec.parent_code,
                parent_level=parent_level.value,
            )
        )
        return
    if spec.level is not RegionLevel.DISTRICT and not spec.code.startswith(spec.parent_code):
        problems.append(
            ImportProblem.of(i, "code", "code_prefix", value=spec.code, parent=spec.parent_code)
        )


def _parents_first(specs: list[RegionSpec]) -> list[RegionSpec]:
    return sorted(specs, key=lambda s: LEVEL_ORDER.index(s.level))
