"""Address search and reverse geocoding over the city's gazetteer and grids (cityloop/geo/
geocode.py), and the demo city's own base map. Open to anyone, like the region layers: place
names and boundaries are public, and the resident portal's map uses them too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from cityloop.api.conditional import entity_tag
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


EMPTY = b'{"type":"FeatureCollection","features":[]}'


@router.get(
    "/geo/basemap",
    operation_id="baseMap",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "GeoJSON FeatureCollection"},
        304: {"description": "unchanged since the ETag given in If-None-Match"},
    },
)
def basemap(request: Request, ctx: Ctx) -> Response:
    """The city's own vector base map (rivers, parks, roads, named buildings) for the console
    to draw under the boundaries: the file at CITYLOOP_BASEMAP_PATH, by default the one the
    demo writes into the data directory; an empty collection when there is none. With an
    ETag: the map changes only when the file does."""
    path = ctx.settings.basemap_file
    try:
        stat = path.stat()
        identity = f"basemap:{path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        identity = "basemap:none"
    etag = entity_tag(identity)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    held = request.headers.get("if-none-match", "")
    if etag in (t.strip().removeprefix("W/") for t in held.split(",")):
        return Response(status_code=304, headers=headers)
    try:
        body = path.read_bytes() if identity != "basemap:none" else EMPTY
    except OSError:
        body = EMPTY
    return Response(body, media_type="application/json", headers=headers)
