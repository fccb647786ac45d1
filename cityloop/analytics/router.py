"""Analytics API: KPIs, league table, drill-down, hot issues, warnings, reply check."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from cityloop.analytics import early_warning, hotspots, kpi, step_kpi
from cityloop.analytics.flash.router import router as flash_router
from cityloop.analytics.formulas import ScoreWeights
from cityloop.analytics.kpi_facts import DRILL_MAX
from cityloop.analytics.reply_quality import default_checker
from cityloop.api.deps import Ctx, require_roles
from cityloop.api.edge import CityDate
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import dashboard

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
VIEWERS = (Role.LEADER, Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR)
HOT_ISSUES_TTL_SECONDS = 60.0  # the screen asks every five minutes; clusters move slowly
REPLIERS = (Role.DEPARTMENT_HANDLER, Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR)


def _weights(text: str | None) -> ScoreWeights | None:
    if not text:
        return None
    try:
        return ScoreWeights.parse(text)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/kpi", operation_id="analyticsKpi")
def kpi_table(
    ctx: Ctx,
    period: str = Query(..., description="2026-10, 2026-W43, 2026-Q4, 2026, 2026-10-05 or a..b"),
    by: str = Query(
        "department",
        description="department, district, street, community, grid, "
        "category (category1/2/3), channel, city",
    ),
    accept_limit: str | None = Query(None, description="签收时限, e.g. 1d or 4h"),
    weights: str | None = Query(None, description="response=0.3,resolution=0.35,satisfaction=0.35"),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """KPIs by one dimension for one period, with composite score and grade, within the caller's
    jurisdiction."""
    try:
        return kpi.kpi_table(ctx, actor, period, by, accept_limit, _weights(weights))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/step-kpi", operation_id="analyticsStepKpi")
def step_kpi_table(
    ctx: Ctx,
    period: str = Query(..., description="2026-10, 2026-W43, 2026-Q4, 2026, 2026-10-05 or a..b"),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """派单及时率, 签收及时率, 按时办结率 and 协办反馈及时率 by department, from the step timers."""
    try:
        return step_kpi.step_kpis(ctx, actor, period)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/league", operation_id="analyticsLeague")
def league(
    ctx: Ctx,
    month: str = Query(..., description="2026-10"),
    weights: str | None = None,
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """Monthly league table (月度排名) of departments by composite score."""
    try:
        return kpi.league(ctx, actor, month, _weights(weights))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/kpi/orders", operation_id="analyticsKpiOrders")
def kpi_orders(
    ctx: Ctx,
    period: str,
    by: str,
    member: str,
    kpi_name: str = Query(..., alias="kpi"),
    part: str = Query("denominator", description="numerator, denominator or missed"),
    accept_limit: str | None = None,
    limit: int = Query(1000, ge=1, le=DRILL_MAX),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """The orders behind one KPI cell (drill-down), limited to what the caller may see."""
    try:
        return kpi.drilldown(ctx, actor, period, by, member, kpi_name, part, accept_limit, limit)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/hot-issues", operation_id="analyticsHotIssues")
def hot_issues(
    ctx: Ctx,
    days: int | None = Query(None, ge=1, le=366),
    top: int = Query(10, ge=1, le=50),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """Current hot issues (热点问题) from the last `days` days of appeals. Clustering a month of
    appeals is the heaviest read behind the screens, so one computation per jurisdiction serves
    them all for `HOT_ISSUES_TTL_SECONDS`."""
    return dashboard.per_scope(
        ctx,
        actor,
        ("hot-issues", days, top),
        lambda: hotspots.live_hot_issues(ctx, actor, days, top),
        HOT_ISSUES_TTL_SECONDS,
    )


@router.get("/warnings", operation_id="analyticsWarnings")
def warnings(
    ctx: Ctx,
    day: CityDate | None = None,
    days: int = Query(1, ge=1, le=31),
    category_level: int = Query(1, ge=1, le=3),
    region_level: str = Query("district", pattern="^(district|street|community|grid)$"),
    alpha: float | None = Query(None, gt=0, lt=0.5),
    actor: Actor = require_roles(*VIEWERS),
) -> dict[str, Any]:
    """Early warnings (预警): category × region days far above their seasonal baseline."""
    return early_warning.warnings_for(
        ctx, actor, day, days, category_level, region_level, alpha=alpha
    )


class ReplyCheckIn(BaseModel):
    appeal: str = Field(..., min_length=1, max_length=20000, description="诉求内容（标题+正文）")
    reply: str = Field(..., min_length=1, max_length=20000, description="拟答复内容")


@router.post("/reply-check", operation_id="analyticsReplyCheck")
def reply_check(body: ReplyCheckIn, actor: Actor = require_roles(*REPLIERS)) -> dict[str, Any]:
    """Score a draft reply (relevance, completeness, explanation) with hints, before sending."""
    return asdict(default_checker().check(body.appeal, body.reply))


router.include_router(flash_router)  # /api/v1/analytics/flash-reports
