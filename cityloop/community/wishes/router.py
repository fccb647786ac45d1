"""/api/v1/community/wishes: the wish wall (心愿墙)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.community.wishes import service

router = APIRouter(prefix="/api/v1/community/wishes", tags=["community: wishes"])


class WishCreate(BaseModel):
    title: str = Field(..., min_length=2, max_length=100)
    content: str = Field(..., min_length=2, max_length=2000)
    category: str | None = Field(None, description="category code or path (城乡建设/市政设施)")


class VoteIn(BaseModel):
    vote: Literal["support", "oppose"] = "support"


@router.post("", status_code=201, operation_id="communityPostWish")
def post_wish(body: WishCreate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.post_wish(ctx, actor, body.title, body.content, body.category)


@router.get("", operation_id="communityListWishes")
def list_wishes(
    ctx: Ctx, actor: CurrentActor, community: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Residents see their own community's wishes; staff those in their jurisdiction."""
    return service.list_wishes(ctx, actor, community, status)


@router.get("/{wish_id}", operation_id="communityGetWish")
def get_wish(wish_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.get_wish(ctx, actor, wish_id)


@router.put("/{wish_id}/vote", operation_id="communityVoteWish")
def vote(wish_id: int, body: VoteIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Support or oppose (one vote per resident; voting again changes it)."""
    return service.vote(ctx, actor, wish_id, body.vote == "support")


@router.delete("/{wish_id}/vote", operation_id="communityWithdrawVote")
def withdraw(wish_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.vote(ctx, actor, wish_id, None)


@router.post("/{wish_id}/close", operation_id="communityCloseWish")
def close(wish_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.close_wish(ctx, actor, wish_id)
