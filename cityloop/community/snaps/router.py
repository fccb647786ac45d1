"""/api/v1/community/snaps (随手拍) and /api/v1/community/notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.community.snaps import service

router = APIRouter(prefix="/api/v1/community", tags=["community: snaps"])


class Attachment(BaseModel):
    name: str = ""
    url: str
    content_type: str = ""
    size: int = 0


class SnapCreate(BaseModel):
    text: str = Field(..., min_length=2, max_length=500)
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    address: str = Field("", max_length=300)
    category: str | None = None
    attachments: list[Attachment] = Field(
        ..., description="as returned by POST /api/v1/attachments"
    )


@router.post("/snaps", status_code=201, operation_id="communitySnap")
def snap(body: SnapCreate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Report a problem with a photo. Reports of the same incident are grouped; a group that
    enough people reported becomes a work order."""
    return service.report(
        ctx,
        actor,
        body.text,
        body.lon,
        body.lat,
        body.address,
        [a.model_dump() for a in body.attachments],
        body.category,
    )


@router.get("/snaps/mine", operation_id="communityMySnaps")
def mine(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return service.my_snaps(ctx, actor)


@router.get("/snaps/{snap_id}", operation_id="communityGetSnap")
def get_snap(snap_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.get_snap(ctx, actor, snap_id)


@router.get("/snap-groups", operation_id="communitySnapGroups")
def groups(
    ctx: Ctx, actor: CurrentActor, status: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    """Incidents in the caller's jurisdiction."""
    return service.list_groups(ctx, actor, status, region)


@router.get("/snap-groups/{group_id}", operation_id="communitySnapGroup")
def group(group_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return service.group_detail(ctx, actor, group_id)


@router.get("/notifications", operation_id="communityNotifications")
def notifications(ctx: Ctx, actor: CurrentActor, unread: bool = False) -> list[dict[str, Any]]:
    """The caller's messages: their snap report went to a department, and its outcome."""
    return service.notifications(ctx, actor, unread)


@router.post("/notifications/{notification_id}/read", status_code=204, operation_id="communityRead")
def read(notification_id: int, ctx: Ctx, actor: CurrentActor) -> Response:
    service.mark_read(ctx, actor, notification_id)
    return Response(status_code=204)
