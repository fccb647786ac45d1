"""/api/v1/community/groups: micro-grids, their group chats' messages, topics, questions and
the three-level view (微网格长微信群主题数据库)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.community.groups import adapters, chats, overview, registry
from cityloop.domain.errors import InvalidCommand

router = APIRouter(prefix="/api/v1/community/groups", tags=["community: group chats"])
Id = Annotated[int, Field(ge=1, le=2**53)]


class MicroGridIn(BaseModel):
    code: str = Field(..., min_length=1, max_length=24, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=100)
    grid_code: str = Field(..., pattern=r"^\d{15}$")
    estate: str = Field("", max_length=100)
    buildings: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list, max_length=20
    )
    leader_name: str = Field(..., min_length=1, max_length=80)
    leader_kind: Literal["resident", "worker"] = "resident"
    leader_user_id: Id | None = None


class ImportIn(BaseModel):
    csv: str = Field(
        ...,
        max_length=2_000_000,
        description="CSV text with the columns 编码, 名称, 网格编码, 小区, 楼栋, 微网格长, 身份",
    )


class GroupIn(BaseModel):
    platform: Literal["wecom", "export"]
    external_id: str = Field(..., min_length=1, max_length=80)
    name: str = Field(..., min_length=1, max_length=100)
    member_count: int = Field(0, ge=0, le=5000)


class MessagesIn(BaseModel):
    format: Literal["wecom", "text", "csv"]
    content: str = Field(..., max_length=5_000_000)


class DecisionIn(BaseModel):
    confirm: bool
    note: str = Field("", max_length=200)


@router.post("/micro-grids", status_code=201, operation_id="groupsCreateMicroGrid")
def create_micro_grid(body: MicroGridIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return registry.create(ctx, actor, **body.model_dump())


@router.post("/micro-grids/import", operation_id="groupsImportMicroGrids")
def import_micro_grids(body: ImportIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return registry.import_csv(ctx, actor, body.csv.encode())


@router.get("/micro-grids", operation_id="groupsListMicroGrids")
def list_micro_grids(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return registry.list_micro_grids(ctx, actor)


@router.post(
    "/micro-grids/{micro_grid_id}/groups", status_code=201, operation_id="groupsAddChatGroup"
)
def add_group(micro_grid_id: Id, body: GroupIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return registry.add_group(ctx, actor, micro_grid_id, **body.model_dump())


@router.post("/chat-groups/{group_id}/messages", operation_id="groupsIngestMessages")
def ingest(group_id: Id, body: MessagesIn, ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Messages of one group: the WeCom archive's decrypted JSON records, a text export or a
    CSV export (formats in docs/COMMUNITY.md). Re-sending the same messages changes nothing."""
    tz = ctx.settings.tz
    try:
        if body.format == "wecom":
            msgs = adapters.parse_wecom(body.content, tz)
        elif body.format == "text":
            msgs = adapters.parse_text(body.content, tz, f"group:{group_id}")
        else:
            msgs = adapters.parse_csv(body.content.encode(), tz, f"group:{group_id}")
    except adapters.FormatError as exc:
        raise InvalidCommand("content", exc.code, exc.params) from None
    return chats.ingest(ctx, actor, group_id, msgs)


@router.get("/topics", operation_id="groupsListTopics")
def list_topics(
    ctx: Ctx,
    actor: CurrentActor,
    status: Literal["open", "escalated", "confirmed", "dismissed"] | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Most residents first; `status=escalated` is what waits for the leader."""
    return chats.list_topics(ctx, actor, status, page, page_size)


@router.get("/topics/{topic_id}", operation_id="groupsGetTopic")
def get_topic(topic_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return chats.get_topic(ctx, actor, topic_id)


@router.post("/topics/{topic_id}/decision", operation_id="groupsDecideTopic")
def decide(topic_id: Id, body: DecisionIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return chats.decide(ctx, actor, topic_id, confirm=body.confirm, note=body.note)


@router.get("/questions", operation_id="groupsUnansweredQuestions")
def questions(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Residents' questions no staff member has answered in the group for two hours."""
    return chats.unanswered_questions(ctx, actor)


@router.post("/messages/{message_id}/answered", operation_id="groupsMarkAnswered")
def answered(message_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return chats.mark_answered(ctx, actor, message_id)


@router.get("/overview", operation_id="groupsOverview")
def overview_(
    ctx: Ctx, actor: CurrentActor, level: Literal["district", "street", "community"] = "community"
) -> list[dict[str, Any]]:
    return overview.overview(ctx, actor, level)
