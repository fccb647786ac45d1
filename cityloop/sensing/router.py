"""HTTP: the device registry (list with status, CSV import) and the vendors' webhook.

GET  /api/v1/sensing/devices         admin, dispatcher, leader, supervisor, grid worker
POST /api/v1/sensing/devices/import  admin (CSV, all or nothing, errors by line and field)
POST /api/v1/sensing/events          a vendor token (sv_…) or an admin's bearer token
GET  /api/v1/sensing/rules           the rules in force (admin, dispatcher, leader)
GET  /api/v1/sensing/alarms          open alarms (admin, dispatcher, leader; supervisor: region)
GET  /api/v1/sensing/invalid         refused messages by device and reason (same roles)
GET  /api/v1/sensing/summary         devices online / offline / never heard (same roles)
"""

from __future__ import annotations

import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import Ctx, require_roles
from cityloop.audit.changes import audited_change
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.importers import read_csv
from cityloop.sensing import overview, registry
from cityloop.sensing.config import SensingConfig, sensing_config
from cityloop.sensing.service import MAX_EVENTS, Publisher, accept_events, ruleset, vendor_for_token
from cityloop.services.users import InvalidToken, actor_from_token

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing"])
_bearer = HTTPBearer(auto_error=False)
_PUBLISHER_LOCK = threading.Lock()
_MAX_IMPORT = 20 * 1024 * 1024
VIEWERS = (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.SUPERVISOR, Role.GRID_WORKER)
WATCHERS = (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.SUPERVISOR)


def config_of(request: Request) -> SensingConfig:
    cfg: SensingConfig | None = getattr(request.app.state, "sensing_config", None)
    if cfg is None:
        cfg = request.app.state.sensing_config = sensing_config(request.app.state.ctx.settings)
    return cfg


Config = Annotated[SensingConfig, Depends(config_of)]


def publisher_of(request: Request, cfg: Config) -> Publisher:
    """One broker connection per worker process, opened on first use."""
    state = request.app.state
    with _PUBLISHER_LOCK:
        pub: Publisher | None = getattr(state, "sensing_publisher", None)
        if pub is None:
            from cityloop.sensing.mqtt import MqttPublisher

            try:
                pub = state.sensing_publisher = MqttPublisher(cfg)
            except (ConnectionError, OSError) as exc:
                raise HTTPException(503, f"消息服务不可用 MQTT broker unavailable: {exc}") from exc
        return pub


@router.get("/devices", operation_id="listSensingDevices")
def list_devices(
    ctx: Ctx,
    cfg: Config,
    actor: Actor = require_roles(*VIEWERS),
    tenant: str | None = None,
    type: str | None = None,
    status: Annotated[str | None, Query(pattern="^(online|offline|unknown)$")] = None,
    grid: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Devices with their status (online / offline / unknown) and last-seen time, in the
    viewer's jurisdiction (a supervisor's or grid worker's region; the city for the others)."""
    return registry.list_devices(
        ctx,
        timedelta(seconds=cfg.sensing_offline_after),
        tenant=tenant,
        type=type,
        status=status,
        grid=grid,
        page=page,
        page_size=page_size,
        scope=overview.device_scope(actor),
    )


@router.post("/devices/import", operation_id="importSensingDevices")
def import_devices(
    file: UploadFile,
    ctx: Ctx,
    cfg: Config,
    request: Request,
    actor: Any = require_roles(Role.ADMIN),
) -> dict[str, Any]:
    """CSV: device_id, type, lon, lat[, model, name, address, owner, care_tags, household,
    tenant]. Every problem is reported with its line and field; nothing is imported then."""
    data = file.file.read(_MAX_IMPORT + 1)
    if len(data) > _MAX_IMPORT:
        raise HTTPException(413, "文件过大 file larger than 20 MB")
    with tempfile.NamedTemporaryFile(delete=False, suffix=".csv") as tmp:
        tmp.write(data)
    path = Path(tmp.name)
    name = file.filename or "upload"
    with audited_change(ctx, actor, "config.sensing_devices", name, request=request) as info:
        try:
            rows = read_csv(path, registry.COLUMNS)
        finally:
            path.unlink(missing_ok=True)
        n = info["imported"] = registry.import_devices(
            ctx, rows, ruleset(cfg).device_types, cfg.mqtt_tenant
        )
    return {"imported": n}


class EventIn(BaseModel):
    """One device message, as on MQTT, with the device (and kind) the topic would carry."""

    model_config = ConfigDict(extra="allow")
    device_id: str = Field(max_length=64)
    kind: str = Field(default="event", pattern="^(event|telemetry|status)$")


class EventsIn(BaseModel):
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_EVENTS)
    tenant: str | None = Field(default=None, max_length=64)


@router.post("/events", operation_id="postSensingEvents", status_code=202)
def post_events(
    body: EventsIn | EventIn,
    request: Request,
    ctx: Ctx,
    cfg: Config,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Any:
    """Vendors without MQTT post the same events here (one, or {"events": [...]}). Each is
    validated like an MQTT message and published to the device's topic with QoS 1; the answer
    (202) lists what was accepted and what was rejected with the reason."""
    if credentials is None:
        raise HTTPException(
            401, "请提供令牌 token required", headers={"WWW-Authenticate": "Bearer"}
        )
    token = credentials.credentials
    vendor = vendor_for_token(ctx, token)
    if vendor is not None:
        tenant = vendor.tenant
    else:
        try:
            actor = actor_from_token(ctx, token)
        except InvalidToken:
            raise HTTPException(
                401, "令牌无效 invalid token", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if actor.role is not Role.ADMIN:
            raise HTTPException(403, "需要厂商令牌或管理员 vendor token or admin required")
        tenant = (body.tenant if isinstance(body, EventsIn) else None) or cfg.mqtt_tenant
    events = body.events if isinstance(body, EventsIn) else [body.model_dump()]
    result = accept_events(ctx, cfg, tenant, events, publisher_of(request, cfg))
    status = 202 if result.accepted else 422
    return JSONResponse(
        {"accepted": result.accepted, "rejected": result.rejected}, status_code=status
    )


@router.get("/rules", operation_id="listSensingRules")
def list_rules(
    cfg: Config, _: Any = require_roles(Role.ADMIN, Role.DISPATCHER, Role.LEADER)
) -> dict[str, Any]:
    rules = ruleset(cfg)
    return {
        "source": rules.source,
        "device_types": rules.device_types,
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "device_types": sorted(r.device_types),
                "category": r.order.category if r.order else None,
                "urgency": r.order.urgency.value if r.order else None,
                "notify": [n.to for n in r.notify],
                "command": [c.command for c in r.command],
                "cooldown_seconds": r.cooldown.total_seconds(),
            }
            for r in rules.rules
        ],
    }


@router.get("/alarms", operation_id="listSensingAlarms")
def list_alarms(
    ctx: Ctx,
    cfg: Config,
    actor: Actor = require_roles(*WATCHERS),
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Open alarms (incidents not recovered or closed), newest first, with device and order."""
    names = {r.id: r.name for r in ruleset(cfg).rules}
    return overview.open_alarms(ctx, actor, names, limit)


@router.get("/invalid", operation_id="listSensingInvalid")
def list_invalid(
    ctx: Ctx,
    actor: Actor = require_roles(*WATCHERS),
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Messages the pipeline refused, counted by device and reason."""
    return overview.invalid_counts(ctx, actor, limit)


@router.get("/summary", operation_id="sensingSummary")
def summary(ctx: Ctx, cfg: Config, actor: Actor = require_roles(*WATCHERS)) -> dict[str, Any]:
    """Devices online / offline / never heard from, in the viewer's jurisdiction."""
    offline_after = timedelta(seconds=cfg.sensing_offline_after)
    return {"status": overview.status_counts(ctx, actor, offline_after)}
