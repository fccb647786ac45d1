"""/api/v1/community/disputes: dispute mediation (矛盾纠纷调解)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.community.mediation import service

router = APIRouter(prefix="/api/v1/community/disputes", tags=["community: mediation"])


class Party(BaseModel):
    name: str = Field(..., min_length=1, max_length=80)
    role: str = Field("", max_length=20)
    phone: str | None = Field(None, max_length=20)


class DisputeCreate(BaseModel):
    title: str = Field(..., min_length=2, max_length=200)
    description: str = Field("", max_length=4000)
    type: str
    region_code: str
    parties: list[Party] = Field(..., min_length=2)
    mediator: str = Field("", max_length=80)


class StepIn(BaseModel):
    step: Literal["session", "settle", "fail", "escalate", "follow_up"]
    note: str = Field(..., min_length=2, max_length=4000)
    version: int | None = None


@router.post("", status_code=201, operation_id="disputeOpen")
def open_case(body: DisputeCreate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.open_case(
        ctx,
        actor,
        title=body.title,
        description=body.description,
        type=body.type,
        region_code=body.region_code,
        parties=[p.model_dump() for p in body.parties],
        mediator=body.mediator,
    )


@router.get("", operation_id="disputeList")
def list_cases(
    ctx: Ctx,
    actor: CurrentActor,
    status: str | None = None,
    type: str | None = None,
    overdue: bool | None = None,
) -> list[dict[str, Any]]:
    return service.list_cases(ctx, actor, status, type, overdue)


@router.get("/statistics", operation_id="disputeStatistics")
def statistics(ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.statistics(ctx, actor)


@router.post("/sweep", operation_id="disputeSweep")
def sweep(ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Escalate every case whose level's working-day limit has passed."""
    return {"escalated": service.sweep(ctx, actor)}


@router.get("/{case_id}", operation_id="disputeGet")
def get_case(case_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.get_case(ctx, actor, case_id)


@router.post("/{case_id}/steps", operation_id="disputeStep")
def step(case_id: int, body: StepIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A mediation session, the agreement, failure, escalation or the follow-up visit."""
    return service.step(ctx, actor, case_id, body.step, body.note, body.version)
