"""/api/v1/analytics/flash-reports: the incident flash reports, listed and downloaded."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from cityloop.analytics.flash import render, service
from cityloop.api.deps import Ctx, CurrentActor

router = APIRouter(prefix="/flash-reports", tags=["analytics"])

_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@router.get("", operation_id="flashReportList")
def list_reports(
    ctx: Ctx,
    actor: CurrentActor,
    ticket_no: Annotated[str | None, Query(pattern=r"^\d{8}-\d{6}$")] = None,
    kind: Literal["first", "follow_up", "final"] | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Newest first, inside the caller's jurisdiction (leaders, dispatchers, supervisors)."""
    return service.list_reports(
        ctx, actor, ticket_no=ticket_no, kind=kind, page=page, page_size=page_size
    )


@router.get("/{report_id}", operation_id="flashReportGet", response_model=None)
def get_report(
    report_id: Annotated[int, Path(ge=1, le=2**53)],
    ctx: Ctx,
    actor: CurrentActor,
    format: Literal["html", "pdf", "docx"] = "html",
) -> Response:
    report = service.get_report(ctx, actor, report_id)
    if format == "html":
        return HTMLResponse(render.to_html(report))
    data = render.to_pdf(report) if format == "pdf" else render.to_docx(report)
    name = f"flash-{report_id}.{format}"
    return Response(
        data,
        media_type=_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
