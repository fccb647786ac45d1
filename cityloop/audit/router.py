"""`GET /api/v1/audit`: the audit trail for the auditor role only (三权分立)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from cityloop.api.deps import Ctx, require_roles
from cityloop.api.edge import CityDateTime
from cityloop.audit.chain import verify_all
from cityloop.audit.query import AuditFilter, csv_lines, page
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.store.repositories import add_audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Actor, require_roles(Role.AUDITOR)]


def _source(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None), request.headers.get("user-agent")


@router.get("", operation_id="listAudit")
def list_audit(
    ctx: Ctx,
    actor: Auditor,
    request: Request,
    start: Annotated[CityDateTime | None, Query(alias="from", description="ISO 8601")] = None,
    end: Annotated[CityDateTime | None, Query(alias="to")] = None,
    who: Annotated[str | None, Query(alias="actor", max_length=80)] = None,
    event: Annotated[
        str | None, Query(max_length=40, description="exact, or prefix with '.'")
    ] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    result: Literal["success", "failure"] | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The audit trail, newest first, with the total and the failures among the matches."""
    f = AuditFilter(start, end, who, event, target, result)
    with ctx.uow() as uow:
        return page(uow.session, f, offset, limit)


@router.get("/export.csv", operation_id="exportAudit")
def export_audit(
    ctx: Ctx,
    actor: Auditor,
    request: Request,
    start: Annotated[CityDateTime | None, Query(alias="from")] = None,
    end: Annotated[CityDateTime | None, Query(alias="to")] = None,
    who: Annotated[str | None, Query(alias="actor", max_length=80)] = None,
    event: Annotated[str | None, Query(max_length=40)] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    result: Literal["success", "failure"] | None = None,
) -> StreamingResponse:
    """The filtered records as CSV; the export is itself an audit record."""
    f = AuditFilter(start, end, who, event, target, result)
    source, agent = _source(request)
    with ctx.uow() as uow:
        add_audit(
            uow.session,
            actor,
            "audit.export",
            "audit_log",
            {k: str(v) for k, v in vars(f).items() if v is not None},
            source=source,
            user_agent=agent,
        )
        uow.commit()

    def rows() -> Any:
        with ctx.uow() as uow:
            yield from csv_lines(uow.session, f)

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/verify", operation_id="verifyAudit")
def verify_audit(ctx: Ctx, actor: Auditor) -> dict[str, Any]:
    """Whether both chains are intact (what `cityloop audit verify` says), for the console."""
    out: dict[str, Any] = {}
    for table, v in verify_all(ctx.engine).items():
        f = v.finding
        out[table] = {
            "intact": v.intact,
            "checked": v.checked,
            "unsealed": v.unsealed,
            "head_seq": v.head_seq,
            "finding": None
            if f is None
            else {
                "record_id": f.record_id,
                "seq": f.seq,
                "breach": f.breach.value,
                "message": f.message,
            },
        }
    return out
