"""Address search (geocoding) and reverse geocoding from the city's own gazetteer (地址库) and
unit grids: no external service.

- `search`: place names, aliases, short forms and typos (the gazetteer's lookup), best first,
  each with where it is and the grid, community, street and district it lies in;
- `reverse`: the regions a point lies in (grid → community → street → district) and the
  nearest named place within `NEAREST_RADIUS_M`.

Coordinates are WGS84 / CGCS2000 (the two differ by centimetres), as stored everywhere in
CityLoop; a GCJ-02 base layer is converted in the browser, never here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cityloop.geo.gazetteer import Gazetteer, GazetteerEntry, haversine_m
from cityloop.geo.grid_index import GridIndex

__all__ = ["NEAREST_RADIUS_M", "Place", "reverse", "search"]

NEAREST_RADIUS_M = 1000.0


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    lon: float
    lat: float


def _regions(
    grids: GridIndex, regions: Mapping[str, Any], lon: float, lat: float
) -> tuple[str | None, list[dict[str, Any]]]:
    hit = grids.locate(lon, lat)
    if hit is None:
        return None, []
    return hit.grid_code, [
        {"code": c, "name": regions[c].name, "level": regions[c].level}
        for c in hit.ancestry
        if c in regions
    ]


def search(
    gazetteer: Gazetteer,
    grids: GridIndex,
    regions: Mapping[str, Any],
    query: str,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Gazetteer entries matching `query`, best first, at most `limit`."""
    out = []
    for entry, score in gazetteer.lookup(query)[:limit]:
        grid_code, chain = _regions(grids, regions, entry.lon, entry.lat)
        out.append(
            {
                "name": entry.name,
                "kind": entry.kind,
                "lon": entry.lon,
                "lat": entry.lat,
                "score": round(score, 3),
                "grid_code": grid_code or entry.grid_code,
                "regions": chain,
            }
        )
    return out


def nearest(
    gazetteer: Gazetteer, lon: float, lat: float, radius_m: float = NEAREST_RADIUS_M
) -> tuple[GazetteerEntry, float] | None:
    """The closest named place within `radius_m`, ties by name."""
    # A cheap box first (a degree of latitude is ~111 km), the exact distance inside it.
    dlat = radius_m / 111_000
    dlon = radius_m / (111_000 * max(0.01, math.cos(math.radians(lat))))
    best: tuple[GazetteerEntry, float] | None = None
    for e in gazetteer.entries:
        if abs(e.lat - lat) > dlat or abs(e.lon - lon) > dlon:
            continue
        d = haversine_m(lon, lat, e.lon, e.lat)
        if d <= radius_m and (best is None or (d, e.name) < (best[1], best[0].name)):
            best = (e, d)
    return best


def reverse(
    gazetteer: Gazetteer,
    grids: GridIndex,
    regions: Mapping[str, Any],
    lon: float,
    lat: float,
) -> dict[str, Any]:
    """Which grid, community, street and district a point lies in, and the nearest place."""
    grid_code, chain = _regions(grids, regions, lon, lat)
    by_level = {r["level"]: r for r in chain}
    near = nearest(gazetteer, lon, lat)
    return {
        "lon": lon,
        "lat": lat,
        "inside": grid_code is not None,
        "grid_code": grid_code,
        "regions": chain,
        "grid": by_level.get("grid"),
        "community": by_level.get("community"),
        "street": by_level.get("street"),
        "district": by_level.get("district"),
        "nearest": (
            None
            if near is None
            else {
                "name": near[0].name,
                "kind": near[0].kind,
                "lon": near[0].lon,
                "lat": near[0].lat,
                "distance_m": round(near[1], 1),
            }
        ),
    }
