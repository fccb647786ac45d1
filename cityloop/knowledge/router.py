"""/api/v1/knowledge: the knowledge base (知识库). Administrators keep it (CRUD, import from
CSV or Excel); operators and dispatchers search it to answer a consultation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import Ctx, require_roles
from cityloop.api.edge import CityDateTime
from cityloop.audit.changes import audited_change
from cityloop.community.registry.sheets import read_table
from cityloop.domain.statuses import Role
from cityloop.knowledge import service
from cityloop.knowledge.service import Entry

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
READERS = (Role.OPERATOR, Role.DISPATCHER, Role.ADMIN)
EntryId = Annotated[int, Path(ge=1, le=2**53)]
_MAX_IMPORT = 5 * 1024 * 1024  # a knowledge base of a few thousand answers fits in far less


class KnowledgeEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_code: str = Field(default="", max_length=12)
    question: str = Field(min_length=2, max_length=300)
    answer: str = Field(min_length=2, max_length=4000)
    keywords: str = Field(default="", max_length=300)
    active: bool = True

    def entry(self) -> Entry:
        return Entry(self.question, self.answer, self.category_code, self.keywords, self.active)


@router.get("", operation_id="searchKnowledge")
def search(
    ctx: Ctx,
    actor: Any = require_roles(*READERS),
    q: str = Query("", max_length=200),
    category: str | None = Query(None, max_length=12),
    include_inactive: bool = False,
    limit: int = Query(10, ge=1, le=200),
) -> dict[str, Any]:
    """Entries best matching the words of ``q`` (and the category's family, when given)."""
    return service.search(
        ctx,
        q,
        category,
        include_inactive=include_inactive and actor.role is Role.ADMIN,
        limit=limit,
    )


@router.get("/stats", operation_id="knowledgeStats")
def stats(
    ctx: Ctx,
    _: Any = require_roles(*READERS, Role.LEADER),
    since: CityDateTime | None = None,
    until: CityDateTime | None = None,
) -> dict[str, Any]:
    """直接办结 counts over a period (default 30 days) and the answers used most."""
    end = until or ctx.clock.now()
    return service.stats(ctx, since or end - timedelta(days=30), end)


@router.get("/{entry_id}", operation_id="getKnowledgeEntry")
def get_entry(entry_id: EntryId, ctx: Ctx, _: Any = require_roles(*READERS)) -> dict[str, Any]:
    return service.get(ctx, entry_id)


@router.post("", status_code=201, operation_id="createKnowledgeEntry")
def create(
    body: KnowledgeEntryIn, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    with audited_change(ctx, actor, "config.knowledge", body.question, request=request) as info:
        view = service.create(ctx, body.entry(), actor)
        info["id"] = view["id"]
    return view


@router.put("/{entry_id}", operation_id="updateKnowledgeEntry")
def update(
    entry_id: EntryId,
    body: KnowledgeEntryIn,
    ctx: Ctx,
    request: Request,
    actor: Any = require_roles(Role.ADMIN),
) -> dict[str, Any]:
    with audited_change(ctx, actor, "config.knowledge", str(entry_id), request=request):
        return service.update_entry(ctx, entry_id, body.entry(), actor)


@router.delete("/{entry_id}", status_code=204, operation_id="deleteKnowledgeEntry")
def delete(
    entry_id: EntryId, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> Response:
    with audited_change(ctx, actor, "config.knowledge.delete", str(entry_id), request=request):
        service.delete(ctx, entry_id)
    return Response(status_code=204)


@router.post("/import", operation_id="importKnowledge")
async def import_entries(
    file: UploadFile, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """CSV (UTF-8 or GB18030) or Excel (.xlsx): category_code, question, answer[, keywords].
    A question already in its category gets the new answer. All or nothing."""
    data = await file.read(_MAX_IMPORT + 1)
    if len(data) > _MAX_IMPORT:
        raise HTTPException(413, "文件过大 file larger than 5 MB")
    name = file.filename or "upload.csv"
    with audited_change(ctx, actor, "config.knowledge.import", name, request=request) as info:
        info.update(service.import_rows(ctx, read_table(name, data), actor))
    return {k: info[k] for k in ("added", "updated")}
