"""Address search and reverse geocoding over the city's gazetteer and grids (cityloop/geo/
geocode.py), and the demo city's own base map. Open to anyone, like the region layers: place
names and boundaries are public, and the resident portal's map uses them too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from cityloop.api.deps import Ctx
from cityloop.geo import geocode

router = APIRouter(prefix="/api/v1", tags=["geo"])


@router.get("/geo/search", operation_id="geocode")
def search(
    ctx: Ctx,
    q: str = Query(min_length=1, max_length=50, description="an address or place name"),
    limit: int = Query(10, ge=1, le=20),
) -> dict[str, Any]:
    """Places matching `q` (names, aliases, short forms, homophone typos), best first, each
    with its coordinates (WGS84) and the grid, community, street and district it lies in."""
    ref = ctx.reference.get()
    items = geocode.search(ctx.understanding.gazetteer(), ref.grids, ref.regions, q, limit)
    return {"query": q, "items": items}


@router.get("/geo/reverse", operation_id="reverseGeocode")
def reverse(
    ctx: Ctx,
    lon: float = Query(ge=-180, le=180, description="longitude, WGS84"),
    lat: float = Query(ge=-90, le=90, description="latitude, WGS84"),
) -> dict[str, Any]:
    """The grid, community, street and district a point lies in, and the nearest named place
    within a kilometre."""
    ref = ctx.reference.get()
    return geocode.reverse(ctx.understanding.gazetteer(), ref.grids, ref.regions, lon, lat)
