from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from cityloop.api.deps import Ctx, CurrentActor, OptionalActor, require_roles
from cityloop.api.responses import model_json
from cityloop.api.schemas import (
    MOBILE_OR_LANDLINE,
    AppealAccepted,
    AppealCreate,
    OnSpotAccepted,
    OnSpotCreate,
    TrackRate,
)
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import STATUS_LABELS, Channel, OrderStatus, Role
from cityloop.knowledge import service as knowledge
from cityloop.operations import metrics
from cityloop.services import ratelimit, tracking
from cityloop.services.caller_history import caller_history
from cityloop.services.context import CityLoop
from cityloop.services.intake import AppealInput, IntakeResult, submit_appeal
from cityloop.services.on_spot import handle_on_spot
from cityloop.services.orders import ActionInput
from cityloop.services.orders import NotFound as OrderNotFound

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])

# Who may record an appeal on each channel. Public channels take anonymous residents too.
_STAFF = {Role.OPERATOR, Role.DISPATCHER, Role.ADMIN}
CHANNEL_SUBMITTERS: dict[Channel, set[Role] | None] = {
    Channel.HOTLINE: _STAFF,
    Channel.SMS: _STAFF,
    Channel.MAILBOX: None,
    Channel.WEB: None,
    Channel.WECHAT: None,
    Channel.APP: None,
    Channel.GRID_PATROL: {Role.GRID_WORKER, Role.ADMIN},
    Channel.SENSOR: {Role.ADMIN},
    Channel.OPEN311: {Role.ADMIN},
}


def _submitter(body: AppealCreate, actor: Actor | None) -> Actor:
    allowed = CHANNEL_SUBMITTERS[body.channel]
    if allowed is not None and (actor is None or actor.role not in allowed):
        raise HTTPException(403, f"渠道 {body.channel} 需要角色 requires: {', '.join(allowed)}")
    if actor is None:
        if not body.reporter_phone:
            raise HTTPException(422, "匿名提交需要联系电话 reporter_phone is required")
        return Actor(user_id=None, name="群众", role=Role.RESIDENT)
    return actor


@router.post(
    "",
    status_code=201,
    response_model=AppealAccepted,
    operation_id="createAppeal",
    responses={200: {"model": AppealAccepted, "description": "already received (same id)"}},
)
def create_appeal(body: AppealCreate, ctx: Ctx, actor: OptionalActor, request: Request) -> Response:
    """Receive an appeal from any channel (诉求受理). The same (channel, external_id) answers
    200 with the appeal already received and creates nothing. Anonymous appeals are rate
    limited per address (429 with Retry-After)."""
    submitter = _submitter(body, actor)
    # 并入 and 直接办结 are the operator's decisions, never a resident's.
    if (body.merge_into is not None or body.answer is not None) and submitter.role not in _STAFF:
        field = "merge_into" if body.merge_into is not None else "answer"
        raise InvalidCommand(field, "staff_only")
    if body.knowledge_id is not None:
        if body.answer is None:
            raise InvalidCommand("knowledge_id", "knowledge_answer_only")
        try:
            knowledge.get(ctx, body.knowledge_id)
        except OrderNotFound as exc:
            raise InvalidCommand(
                "knowledge_id", "unknown_knowledge", {"id": body.knowledge_id}
            ) from exc
    if actor is None:
        ratelimit.hit(ctx, "anonymous_appeal", ratelimit.client_address(request))
    # 并入 and 直接办结 travel only on this endpoint (never on 就地处置's).
    data = replace(
        _input(body, submitter),
        merge_into=body.merge_into,
        answer=body.answer,
        knowledge_id=body.knowledge_id,
    )
    result = submit_appeal(ctx, data, submitter)
    if result.created and body.knowledge_id is not None:
        knowledge.count_use(ctx, body.knowledge_id)
    if result.created:
        metrics.APPEALS_RECEIVED.labels(body.channel).inc()
    return model_json(AppealAccepted, _accepted(ctx, result), 201 if result.created else 200)


@router.post(
    "/on-spot",
    status_code=201,
    response_model=OnSpotAccepted,
    operation_id="handleOnSpot",
    responses={200: {"model": OnSpotAccepted, "description": "already received (same id)"}},
)
def on_spot(body: OnSpotCreate, ctx: Ctx, actor: CurrentActor) -> Response:
    """就地处置: a grid worker reports what they found on patrol and already dealt with; the
    order is received and closed in one step (at least one photo and a note of what was done),
    counted apart in the KPIs. Grid workers only (403 for every other role)."""
    result = handle_on_spot(ctx, _input(body, actor), body.handling_note, actor)
    if result.created:
        metrics.APPEALS_RECEIVED.labels(body.channel).inc()
    return model_json(
        OnSpotAccepted,
        {**_accepted(ctx, result), "handled_on_spot": True},
        201 if result.created else 200,
    )


def _input(body: AppealCreate, submitter: Actor) -> AppealInput:
    return AppealInput(
        channel=body.channel,
        content=body.content,
        title=body.title,
        address=body.address,
        lat=body.lat,
        lon=body.lon,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        category_code=body.category_code,
        urgency=body.urgency,
        life_safety=body.life_safety,
        attachments=[a.model_dump() for a in body.attachments],
        external_id=body.external_id,
        reporter_user_id=submitter.user_id if submitter.role is Role.RESIDENT else None,
    )


def _accepted(ctx: CityLoop, result: IntakeResult) -> dict[str, Any]:
    status = OrderStatus(result.status)
    dept = ctx.reference.get().departments.get(result.lead_department or "")
    due = ctx.local(result.due_at) if result.due_at else None
    return {
        **result.__dict__,
        "status_label": STATUS_LABELS[status][0],
        **tracking.next_steps(
            status,
            dept,
            due,
            urgent=result.urgency == "urgent",
            life_safety=result.life_safety,
        ),
    }


@router.get("/mine", operation_id="myAppeals")
def mine(ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """我的诉求: a signed-in resident's own appeals, newest first, each with its status, next
    step and plain-language steps (as 进度查询 shows them)."""
    if actor.role is not Role.RESIDENT:
        raise PermissionDenied("我的诉求仅限群众账号 residents only")
    return {"items": tracking.mine(ctx, actor)}


@router.get("/history", operation_id="callerHistory")
def history(
    ctx: Ctx,
    actor: Any = require_roles(*_STAFF),
    phone: str = Query(pattern=MOBILE_OR_LANDLINE, description="the caller's number"),
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    """来电历史: the appeals made earlier from this number, newest first (audited)."""
    return caller_history(ctx, actor, phone, limit)


@router.get("/track", operation_id="trackAppeal")
def track(
    ctx: Ctx,
    request: Request,
    ticket_no: str = Query(min_length=8, max_length=20),
    phone: str = Query(min_length=5, max_length=20),
) -> dict[str, Any]:
    """进度查询: a resident follows an appeal by ticket number and the phone they gave.
    Rate limited per address and per ticket (ticket numbers are sequential, so phones
    must not be guessable from many addresses)."""
    _track_limits(ctx, request, ticket_no)
    return tracking.track(ctx, ticket_no, phone)


def _track_limits(ctx: Ctx, request: Request, ticket_no: str) -> None:
    ratelimit.hit(ctx, "track", ratelimit.client_address(request))
    ratelimit.hit(ctx, "track_ticket", ticket_no)


@router.post("/track/rate", operation_id="rateAppeal")
def rate(ctx: Ctx, body: TrackRate, request: Request) -> dict[str, Any]:
    """满意度评价 by ticket number and phone; an unsatisfied rating reopens the order."""
    _track_limits(ctx, request, body.ticket_no)
    return tracking.rate(
        ctx, body.ticket_no, body.phone, ActionInput(note=body.note, rating=body.rating)
    )
