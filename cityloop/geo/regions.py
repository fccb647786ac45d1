"""Region hierarchy import (city → district → street → community → unit grid).

Validation is all-or-nothing: every problem is collected with the feature index and field,
and the caller writes nothing unless the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity


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


@dataclass(frozen=True)
class ImportProblem:
    row: int  # feature index (0-based) or CSV line number
    field: str
    message: str

    def __str__(self) -> str:
        return f"#{self.row} {self.field}: {self.message}"


class ImportRejected(Exception):
    """Input was rejected as a whole; nothing was written."""

    def __init__(self, problems: list[ImportProblem], what: str = "feature") -> None:
        self.problems = problems
        self.what = what
        lines = "\n".join(f"  {what} {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing was imported:\n{lines}{more}")


def parse_regions(collection: Any, known: dict[str, RegionLevel] | None = None) -> list[RegionSpec]:
    """Validate a GeoJSON FeatureCollection of regions; raise ImportRejected on any problem.

    `known` gives the codes already in the database (with their level), so an import may add
    grids under existing communities.
    """
    problems: list[ImportProblem] = []
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ImportRejected([ImportProblem(0, "type", "expected a GeoJSON FeatureCollection")])
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise ImportRejected([ImportProblem(0, "features", "no features")])

    levels: dict[str, RegionLevel] = dict(known or {})
    parsed: list[tuple[int, RegionSpec]] = []
    for i, feature in enumerate(features):
        spec = _parse_feature(i, feature, problems)
        if spec is None:
            continue
        if spec.code in levels:
            problems.append(ImportProblem(i, "code", f"duplicate code {spec.code}"))
            continue
        levels[spec.code] = spec.level
        parsed.append((i, spec))
    # Parents are checked once every code is known, so features may come in any order.
    for i, spec in parsed:
        _check_parent(i, spec, levels, problems)
    if problems:
        raise ImportRejected(problems)
    return _parents_first([spec for _, spec in parsed])


def _parse_feature(i: int, feature: Any, problems: list[ImportProblem]) -> RegionSpec | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(ImportProblem(i, "type", "expected a Feature"))
        return None
    props = feature.get("properties")
    if not isinstance(props, dict):
        problems.append(ImportProblem(i, "properties", "missing"))
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
            ImportProblem(i, "level", f"'{level_text}' is not one of {', '.join(RegionLevel)}")
        )
    else:
        level = RegionLevel(level_text)
    if not name:
        problems.append(ImportProblem(i, "name", "required"))
    if not code.isdigit():
        problems.append(ImportProblem(i, "code", f"'{code}' must be digits"))
    elif level is not None and len(code) != CODE_LENGTHS[level]:
        problems.append(
            ImportProblem(
                i, "code", f"a {level} code has {CODE_LENGTHS[level]} digits, got {len(code)}"
            )
        )
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        problems.append(ImportProblem(i, "geometry", "a Polygon or MultiPolygon is required"))
    else:
        try:
            geom = shape(geometry)
        except Exception as exc:  # shapely raises several types for malformed coordinates
            problems.append(ImportProblem(i, "geometry", f"unreadable: {exc}"))
        else:
            if geom.is_empty:
                problems.append(ImportProblem(i, "geometry", "empty"))
            elif not geom.is_valid:
                problems.append(ImportProblem(i, "geometry", explain_validity(geom)))
            else:
                minx, miny, maxx, maxy = geom.bounds
                if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                    problems.append(ImportProblem(i, "geometry", "coordinates outside lon/lat"))
    if len(problems) > start or level is None:
        return None
    return RegionSpec(code, name, level, parent_code, geometry)  # type: ignore[arg-type]


def _check_parent(
    i: int, spec: RegionSpec, levels: dict[str, RegionLevel], problems: list[ImportProblem]
) -> None:
    if spec.level is RegionLevel.CITY:
        if spec.parent_code is not None:
            problems.append(ImportProblem(i, "parent_code", "a city has no parent"))
        return
    if spec.parent_code is None:
        problems.append(ImportProblem(i, "parent_code", f"a {spec.level} needs a parent"))
        return
    parent_level = levels.get(spec.parent_code)
    if parent_level is None:
        problems.append(ImportProblem(i, "parent_code", f"unknown parent {spec.parent_code}"))
        return
    expected = LEVEL_ORDER[LEVEL_ORDER.index(spec.level) - 1]
    if parent_level is not expected:
        problems.append(
            ImportProblem(
                i,
                "level",
                f"a {spec.level} must sit under a {expected}, but {spec.parent_code} is a "
                f"{parent_level}",
            )
        )
        return
    if spec.level is not RegionLevel.DISTRICT and not spec.code.startswith(spec.parent_code):
        problems.append(
            ImportProblem(i, "code", f"{spec.code} does not start with its parent's code")
        )


def _parents_first(specs: list[RegionSpec]) -> list[RegionSpec]:
    return sorted(specs, key=lambda s: LEVEL_ORDER.index(s.level))
