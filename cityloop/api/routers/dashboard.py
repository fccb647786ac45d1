"""The command-centre screen's data (指挥中心大屏) and the console's runtime configuration."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from cityloop.api.deps import Ctx, require_roles
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import dashboard
from cityloop.store.models import RegionRow

router = APIRouter(prefix="/api/v1", tags=["dashboard"])

VIEWERS = (Role.LEADER, Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR)
STREAM_MIN_INTERVAL = 2
STREAM_MAX_INTERVAL = 300
STREAM_MAX_SECONDS = 3600  # one connection lives at most an hour; EventSource reconnects


@router.get("/meta/console-config", operation_id="consoleConfig")
def console_config(ctx: Ctx) -> dict[str, Any]:
    """What the web console needs to know before it draws a map: the optional base-tile URL
    (CITYLOOP_TILE_URL, e.g. an intranet tile server or 天地图 WMTS with a key), the tiles'
    coordinate system (CITYLOOP_TILE_CRS: wgs84 or gcj02), whether the city has its own vector
    base map (GET /geo/basemap), and the city's centre and bounds."""
    with ctx.uow() as uow:
        bounds = uow.session.execute(
            select(
                func.min(RegionRow.center_lon),
                func.max(RegionRow.center_lon),
                func.min(RegionRow.center_lat),
                func.max(RegionRow.center_lat),
            ).where(RegionRow.level == "grid")
        ).one()
        city = uow.session.execute(
            select(RegionRow.name, RegionRow.center_lon, RegionRow.center_lat)
            .where(RegionRow.level == "city")
            .limit(1)
        ).first()
    lon_min, lon_max, lat_min, lat_max = bounds
    center: list[float] | None = None
    if city is not None and city.center_lon is not None:
        center = [city.center_lat, city.center_lon]
    elif (
        lon_min is not None and lon_max is not None and lat_min is not None and lat_max is not None
    ):
        center = [(lat_min + lat_max) / 2, (lon_min + lon_max) / 2]
    return {
        "tile_url": ctx.settings.tile_url or None,
        "tile_attribution": ctx.settings.tile_attribution,
        "tile_crs": ctx.settings.tile_crs,
        "tile_subdomains": ctx.settings.tile_subdomains or None,
        "basemap": ctx.settings.basemap_file.is_file(),
        "city_name": city.name if city is not None else None,
        "center": center,
        "bounds": (
            [[bounds[2], bounds[0]], [bounds[3], bounds[1]]] if bounds[0] is not None else None
        ),
    }


@router.get("/dashboard/summary", operation_id="dashboardSummary")
def summary(
    ctx: Ctx,
    days: int = Query(30, ge=1, le=366, description="the period for rates, trend and mixes"),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """KPI cards, 30-day trend, category and channel mix, department league, busiest grids —
    within the caller's jurisdiction (a supervisor sees their region only)."""
    return dashboard.summary(ctx, actor, days)


@router.get("/dashboard/map-orders", operation_id="dashboardMapOrders")
def map_orders(
    ctx: Ctx,
    limit: int = Query(2000, ge=1, le=dashboard.MAP_ORDERS_MAX),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """Open orders with coordinates for the map, newest first, capped at `limit`."""
    return dashboard.map_orders(ctx, actor, limit)


@router.get(
    "/dashboard/stream",
    operation_id="dashboardStream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    ctx: Ctx,
    interval: int = Query(
        15,
        ge=STREAM_MIN_INTERVAL,
        le=STREAM_MAX_INTERVAL,
        description="seconds between summary events",
    ),
    max_events: int | None = Query(
        None, ge=1, le=10000, description="close the stream after this many events"
    ),
    days: int = Query(30, ge=1, le=366),
    actor: Actor = require_roles(*VIEWERS),
) -> StreamingResponse:
    """Server-sent events: a `summary` event at once and then every `interval` seconds. The
    stream ends when the client disconnects, after `max_events`, or after an hour."""

    async def events() -> AsyncIterator[str]:
        started = time.monotonic()
        sent = 0
        yield f"retry: {interval * 1000}\n\n"
        while True:
            if await request.is_disconnected():
                return
            data = await run_in_threadpool(dashboard.summary, ctx, actor, days)
            payload = json.dumps(jsonable_encoder(data), ensure_ascii=False)
            yield f"event: summary\nid: {sent}\ndata: {payload}\n\n"
            sent += 1
            if max_events is not None and sent >= max_events:
                return
            if time.monotonic() - started > STREAM_MAX_SECONDS:
                return
            # Sleep in short steps so that a disconnect is noticed promptly.
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
