"""/api/v1/community/points: the points ledger (积分), redemption, volunteering."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.api.edge import CityDateTime
from cityloop.community.points import service

router = APIRouter(prefix="/api/v1/community/points", tags=["community: points"])


class ResidentRef(BaseModel):
    resident_id: int | None = Field(None, description="omit: the caller's own record")


class GarbageEventIn(BaseModel):
    household_code: str
    kind: Literal["drop", "recycle", "violation"]
    event_id: str = Field(..., min_length=1, max_length=60)
    device: str = Field(..., min_length=1, max_length=60)
    at: CityDateTime
    material: str | None = None
    kilograms: float | None = Field(None, gt=0, le=500)


class GrantIn(BaseModel):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")


class RedeemIn(BaseModel):
    account: str
    item_id: int
    quantity: int = Field(1, ge=1, le=20)
    request_id: str = Field(..., min_length=6, max_length=80)


class ReverseIn(BaseModel):
    key: str
    reason: str = Field(..., min_length=2, max_length=200)


class ItemIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    channel: Literal["station", "shop", "online"]
    place: str = ""
    cost: int = Field(..., gt=0, le=1_000_000)
    stock: int = Field(..., ge=0, le=1_000_000)


class TaskIn(BaseModel):
    title: str = Field(..., min_length=2, max_length=100)


class CompleteIn(BaseModel):
    points: int | None = Field(None, gt=0, le=1000)


@router.post("/accounts/open", operation_id="pointsOpenAccount")
def open_account(body: ResidentRef, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Open the resident's and household's accounts; +100 once."""
    return service.open_account(ctx, actor, body.resident_id)


@router.post("/face-verification", operation_id="pointsFaceVerified")
def face(body: ResidentRef, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """+300 once, when the resident's face is verified."""
    return service.face_verified(ctx, actor, body.resident_id)


@router.get("/accounts/mine", operation_id="pointsMyAccounts")
def mine(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return service.my_accounts(ctx, actor)


@router.get("/accounts/{code}", operation_id="pointsAccount")
def account(code: str, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.account(ctx, actor, code)


@router.get("/accounts/{code}/statement", operation_id="pointsStatement")
def statement(code: str, month: str, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Monthly statement: opening, credits, debits, closing and every line."""
    return service.statement(ctx, actor, code, month)


@router.post("/garbage-events", operation_id="pointsGarbageEvent")
def garbage(body: GarbageEventIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A smart-bin or AI-camera event; idempotent on (device, event_id)."""
    return service.garbage_event(ctx, actor, **body.model_dump())


@router.post("/monthly-grant", operation_id="pointsMonthlyGrant")
def grant(body: GrantIn, ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    return service.monthly_grant(ctx, actor, body.month)


@router.get("/items", operation_id="pointsItems")
def items(ctx: Ctx, actor: CurrentActor, channel: str | None = None) -> list[dict[str, Any]]:
    return service.list_items(ctx, channel)


@router.post("/items", status_code=201, operation_id="pointsCreateItem")
def create_item(body: ItemIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.create_item(
        ctx, actor, body.name, body.channel, body.place, body.cost, body.stock
    )


@router.post("/redemptions", operation_id="pointsRedeem")
def redeem(body: RedeemIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.redeem(ctx, actor, body.account, body.item_id, body.quantity, body.request_id)


@router.post("/reversals", operation_id="pointsReverse")
def reverse(body: ReverseIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.reverse(ctx, actor, body.key, body.reason)


@router.get("/fraud", operation_id="pointsFraud")
def fraud(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Drops held back by the fraud checks (too frequent for one household)."""
    return service.fraud_flags(ctx, actor)


@router.post("/tasks", status_code=201, operation_id="pointsReportTask")
def report_task(body: TaskIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.report_task(ctx, actor, body.title)


@router.get("/tasks", operation_id="pointsTasks")
def tasks(ctx: Ctx, actor: CurrentActor, status: str | None = None) -> list[dict[str, Any]]:
    return service.list_tasks(ctx, actor, status)


@router.post("/tasks/{task_id}/claim", operation_id="pointsClaimTask")
def claim(task_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.claim_task(ctx, actor, task_id)


@router.post("/tasks/{task_id}/complete", operation_id="pointsCompleteTask")
def complete(task_id: int, body: CompleteIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.complete_task(ctx, actor, task_id, body.points)


@router.get("/ranking", operation_id="pointsRanking")
def ranking(
    ctx: Ctx,
    actor: CurrentActor,
    region: str | None = None,
    party_only: bool = False,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Volunteer points per resident in a community (12-digit code) or street (9-digit)."""
    return service.ranking(ctx, actor, region, party_only, min(max(limit, 1), 100))
