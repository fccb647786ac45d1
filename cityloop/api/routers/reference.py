"""Regions, departments, taxonomy, linkage list and the choices the console shows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from cityloop.api.conditional import conditional_json
from cityloop.api.deps import Ctx, CurrentActor, require_roles
from cityloop.audit.changes import audited_change
from cityloop.domain.jurisdiction import REGION_SCOPED
from cityloop.domain.region_tree import region_tree
from cityloop.domain.sla import SLA_STATUS_LABELS
from cityloop.domain.statuses import (
    ACTION_LABELS,
    CHANNEL_LABELS,
    RATING_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Role,
)
from cityloop.geo.regions import LEVEL_LABELS
from cityloop.services.admin import import_regions, regions_etag, regions_geojson
from cityloop.store.models import CategoryRow, DepartmentRow, RuleRow, RuleSetRow

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/meta/choices", operation_id="choices")
def choices() -> dict[str, Any]:
    """Every status, action, channel, role … with its Chinese label (and colour)."""
    return {
        "statuses": [
            {"value": s.value, "label": label, "color": color}
            for s, (label, color) in STATUS_LABELS.items()
        ],
        "actions": [{"value": a.value, "label": lbl} for a, lbl in ACTION_LABELS.items()],
        "channels": [{"value": c.value, "label": lbl} for c, lbl in CHANNEL_LABELS.items()],
        "roles": [{"value": r.value, "label": lbl} for r, lbl in ROLE_LABELS.items()],
        "ratings": [{"value": r.value, "label": lbl} for r, lbl in RATING_LABELS.items()],
        "urgencies": [{"value": u.value, "label": lbl} for u, lbl in URGENCY_LABELS.items()],
        "sla_statuses": [{"value": s.value, "label": lbl} for s, lbl in SLA_STATUS_LABELS.items()],
        "region_levels": [{"value": lv.value, "label": lbl} for lv, lbl in LEVEL_LABELS.items()],
    }


@router.get(
    "/regions",
    operation_id="regionsGeoJSON",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "GeoJSON FeatureCollection"},
        304: {"description": "unchanged since the ETag given in If-None-Match"},
    },
)
def regions(
    request: Request,
    ctx: Ctx,
    level: str | None = Query(None, pattern="^(city|district|street|community|grid)$"),
    parent: str | None = None,
) -> Response:
    """Regions as a GeoJSON FeatureCollection (the map's layers), with an ETag: the layers
    change only on import, so a screen that has them revalidates and gets 304."""
    tag = regions_etag(ctx, level, parent)
    return conditional_json(request, tag, lambda: regions_geojson(ctx, level, parent))


@router.get("/regions/tree", operation_id="regionTree")
def region_tree_api(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """The region hierarchy by name, for the console's region pickers: the whole city, or for a
    supervisor or grid worker the tree under their own region (nothing without one)."""
    regions = ctx.reference.get().regions.values()
    if actor.role not in REGION_SCOPED:
        return region_tree(regions)
    return region_tree(regions, actor.region_code) if actor.region_code else []


@router.post("/regions/import", operation_id="importRegions")
def import_regions_api(
    collection: dict[str, Any], ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """Import a GeoJSON FeatureCollection; all or nothing, problems name feature and field."""
    with audited_change(ctx, actor, "config.regions", "regions", request=request) as info:
        info["imported"] = import_regions(ctx, collection)
    return {"imported": info["imported"]}


@router.get("/regions/locate", operation_id="locatePoint")
def locate(
    ctx: Ctx, lon: float = Query(ge=-180, le=180), lat: float = Query(ge=-90, le=90)
) -> dict[str, Any]:
    """Which unit grid (and community, street, district) a point lies in."""
    ref = ctx.reference.get()
    hit = ref.grids.locate(lon, lat)
    if hit is None:
        return {"inside": False, "grid_code": None, "regions": []}
    return {
        "inside": True,
        "grid_code": hit.grid_code,
        "regions": [
            {"code": c, "name": ref.regions[c].name, "level": ref.regions[c].level}
            for c in hit.ancestry
            if c in ref.regions
        ],
    }


@router.get("/departments", operation_id="listDepartments")
def departments(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        return [
            {"code": d.code, "name": d.name, "level": d.level, "region_code": d.region_code}
            for d in uow.session.execute(
                select(DepartmentRow).order_by(DepartmentRow.code)
            ).scalars()
        ]


@router.get("/categories", operation_id="listCategories")
def categories(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        return [
            {
                "code": c.code,
                "name": c.name,
                "level": c.level,
                "parent_code": c.parent_code,
                "path": c.path,
            }
            for c in uow.session.execute(select(CategoryRow).order_by(CategoryRow.code)).scalars()
        ]


@router.get("/linkage-rules", operation_id="listLinkageRules")
def linkage_rules(ctx: Ctx, actor: CurrentActor, version: int | None = None) -> dict[str, Any]:
    """The linkage list (联动清单), active version unless one is named."""
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        versions = [
            {
                "version": v.version,
                "created_at": v.created_at,
                "source": v.source,
                "active": v.active,
            }
            for v in uow.session.execute(
                select(RuleSetRow).order_by(RuleSetRow.version.desc())
            ).scalars()
        ]
        wanted = version if version is not None else ref.rule_version
        rows = uow.session.execute(
            select(RuleRow).where(RuleRow.version == wanted).order_by(RuleRow.category_code)
        ).scalars()
        rules = [
            {
                "category_code": r.category_code,
                "category_path": ref.category_paths.get(r.category_code),
                "region_code": r.region_code,
                "lead_department": r.lead_department,
                "co_departments": r.co_departments,
                "limits": r.limits,
            }
            for r in rows
        ]
    return {"version": wanted, "versions": versions, "rules": rules}
