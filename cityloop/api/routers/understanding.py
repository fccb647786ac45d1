"""Understanding for people at work: suggestions while an operator types, splitting a wrongly
linked appeal, the auto-dispatch figures, the gazetteer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, UploadFile
from sqlalchemy import func, select

from cityloop.api.deps import Ctx, CurrentActor, require_roles
from cityloop.api.edge import CityDateTime
from cityloop.api.routers.files import saved_upload
from cityloop.api.schemas import AnalyseRequest, SplitRequest
from cityloop.audit.changes import audited_change
from cityloop.domain.linkage import match_rule
from cityloop.domain.statuses import Role, Urgency
from cityloop.geo.gazetteer import read_gazetteer_csv
from cityloop.services import admin, learning, orders
from cityloop.services import similar as similar_orders
from cityloop.services.urgency import judge_urgency, urgency_record
from cityloop.store.models import GazetteerRow

router = APIRouter(prefix="/api/v1", tags=["understanding"])
STAFF = (Role.OPERATOR, Role.DISPATCHER, Role.ADMIN)


@router.post("/understanding/analyse", operation_id="analyseAppeal")
def analyse(body: AnalyseRequest, ctx: Ctx, actor: Any = require_roles(*STAFF)) -> dict[str, Any]:
    """While the caller is on the line: suggested categories (with the words behind them),
    urgency, the place read from the text, the route by the linkage list, and open orders
    about the same incident."""
    ref = ctx.reference.get()
    mind = ctx.understanding
    text = f"{body.title} {body.content}".strip()
    suggester = mind.suggester()
    suggestions = suggester.suggest(text) if suggester else []
    # Without a model (a new city) the category names' own words suggest, with those words.
    by_words = [] if suggestions else similar_orders.keyword_suggestions(ref, text)
    category = (
        body.category_code
        or (suggestions[0].category_code if suggestions else None)
        or (by_words[0].category_code if by_words else None)
    )
    # As the intake will judge it: the text and the (chosen or suggested) category's default.
    judged = judge_urgency(ref, text, None, category)
    urgency = judged.level
    grid = None
    if body.lon is not None and body.lat is not None:
        hit = ref.grids.locate(body.lon, body.lat)
        grid = hit.grid_code if hit else None
    place = mind.place(body.title, body.content, body.address)
    if grid is None and place.confidence >= 0.7:
        grid = place.grid_code
    route = None
    if category:
        rule = match_rule(ref.rules, ref.category_ancestry(category), ref.region_ancestry(grid))
        if rule:
            street = next(
                (c for c in ref.region_ancestry(grid) if ref.regions[c].level == "street"), None
            )
            limit = rule.limit_for(urgency)
            route = {
                "why": _rule_why(ref, rule),
                "category_code": category,
                "category_path": ref.category_paths.get(category),
                "lead_department": rule.lead_department,
                "lead_department_name": ref.departments.get(rule.lead_department),
                "co_departments": list(ref.co_departments(rule, street)),
                "time_limit": str(limit),
                "time_limit_label": limit.label_zh,
            }
    similar = None
    nearby: list[dict[str, Any]] = []
    if category:
        found = mind.similar_orders(
            text,
            body.lon,
            body.lat,
            place.entry_name,
            category,
            ctx.clock.now(),
            5,
            body.address,
            uncategorized=True,
        )
        nearby = similar_orders.describe(ctx, found, actor)
        if nearby:
            best = nearby[0]
            similar = {
                k: best[k] for k in ("order_id", "ticket_no", "score", "reasons", "evidence")
            }
    listed = [
        {
            "category_code": s.category_code,
            "category_path": ref.category_paths.get(s.category_code),
            "probability": round(s.probability, 4),
            "auto_dispatch": s.probability >= mind.threshold(s.category_code, suggester),
            "source": "model",
        }
        for s in suggestions
    ] + [
        {
            "category_code": k.category_code,
            "category_path": ref.category_paths.get(k.category_code),
            "probability": k.probability,
            "auto_dispatch": False,
            "source": "keyword",
            "words": list(k.words),
        }
        for k in by_words
    ]
    if suggester and suggestions:
        explain = [
            [t, round(w, 3)] for t, w in suggester.explain(text, suggestions[0].category_code)
        ]
    else:
        explain = [[w, 1.0] for w in (by_words[0].words if by_words else ())]
    return {
        "suggestions": listed,
        "explain": explain,
        "model_version": suggester.version if suggester else None,
        "urgency": urgency.value,
        "urgent_phrase": judged.evidence if judged.urgent else None,
        "urgent": urgency is Urgency.URGENT,
        "life_safety": judged.life_safety,
        "urgency_basis": urgency_record(judged).get("urgency"),
        "place": {
            "name": place.entry_name,
            "matched": place.matched_text,
            "confidence": round(place.confidence, 3),
            "method": place.method,
            "grid_code": place.grid_code,
            "lon": place.lon,
            "lat": place.lat,
        },
        "route": route,
        "same_incident": similar,
        # Every open order that may be the same incident, for 并入 with one click.
        "similar": nearby,
    }


def _rule_why(ref: Any, rule: Any) -> str:
    """Which linkage rule applies, in words: its category and where it holds."""
    where = ref.region_name(rule.region_code) if rule.region_code else "全市"
    what = ref.category_paths.get(rule.category_code, rule.category_code)
    return f"联动清单：{what}（{where}）→ {ref.departments.get(rule.lead_department)}"


@router.get("/work-orders/{order_id}/similar", operation_id="similarWorkOrders")
def similar(
    order_id: Annotated[int, Path(ge=1, le=2**53)],
    ctx: Ctx,
    actor: Any = require_roles(*STAFF, Role.SUPERVISOR),
    limit: int = Query(5, ge=1, le=20),
) -> dict[str, Any]:
    """相似工单: open orders that may be about the same incident (to merge from a list)."""
    return similar_orders.similar_to_order(ctx, order_id, actor, limit)


@router.post("/appeals/{appeal_id}/split", operation_id="splitAppeal")
def split(appeal_id: int, body: SplitRequest, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """拆分: take a wrongly linked appeal out of an order into its own, back to dispatch."""
    return orders.split_appeal(ctx, appeal_id, actor, body.note)


@router.get("/routing/stats", operation_id="routingStats")
def routing_stats(
    ctx: Ctx,
    _: Any = require_roles(Role.DISPATCHER, Role.LEADER, Role.ADMIN, Role.SUPERVISOR),
    since: CityDateTime | None = None,
    until: CityDateTime | None = None,
) -> dict[str, Any]:
    """Auto-dispatch rate and accuracy (智能分拨率与准确率) over a period (default 30 days)."""
    end = until or ctx.clock.now()
    return learning.auto_dispatch_stats(ctx, since or end - timedelta(days=30), end)


@router.get("/gazetteer", operation_id="listGazetteer")
def gazetteer(
    ctx: Ctx,
    _: CurrentActor,
    q: str | None = Query(None, max_length=50),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    with ctx.uow() as uow:
        stmt = select(GazetteerRow)
        if q:
            stmt = stmt.where(GazetteerRow.name.contains(q, autoescape=True))
        total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = uow.session.execute(
            stmt.order_by(GazetteerRow.name).offset((page - 1) * page_size).limit(page_size)
        ).scalars()
        items = [
            {
                "name": r.name,
                "kind": r.kind,
                "lon": r.lon,
                "lat": r.lat,
                "grid_code": r.grid_code,
                "aliases": r.aliases,
            }
            for r in rows
        ]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.post("/gazetteer/import", operation_id="importGazetteer")
async def import_gazetteer(
    file: UploadFile, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """CSV: name, kind, lon, lat[, grid_code, aliases, district, street]. Replaces the
    gazetteer; all or nothing."""
    path = await saved_upload(file)
    name = file.filename or "upload"
    try:
        with audited_change(ctx, actor, "config.gazetteer", name, request=request) as info:
            info["imported"] = admin.import_gazetteer(ctx, read_gazetteer_csv(path))
        return {"imported": info["imported"]}
    finally:
        path.unlink(missing_ok=True)
