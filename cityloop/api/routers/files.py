"""Uploads: attachments for appeals, and the administrator's imports as files."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse

from cityloop.api.deps import Ctx, OptionalActor, require_roles
from cityloop.audit.changes import audited_change
from cityloop.domain.statuses import Role
from cityloop.importers import read_csv, read_rules
from cityloop.services import admin, attachments, ratelimit

router = APIRouter(prefix="/api/v1", tags=["files"])
_MAX_IMPORT = 20 * 1024 * 1024


@router.post(
    "/attachments",
    status_code=201,
    operation_id="uploadAttachment",
    dependencies=[Depends(ratelimit.limited("upload"))],
)
async def upload(file: UploadFile, ctx: Ctx) -> dict[str, Any]:
    """Upload a photo or PDF (随手拍照片); put the answer into an appeal's `attachments`.
    Open to residents without an account, like the public intake channels; rate limited per
    address (429 with Retry-After)."""
    data = await file.read(ctx.settings.attachment_max_bytes + 1)
    stored = attachments.store(ctx, file.filename or "file", data)
    return {
        "name": stored.name,
        "url": stored.url,
        "download_url": attachments.download_url(stored.url),
        "content_type": stored.content_type,
        "size": stored.size,
    }


@router.get("/attachments/{ident}", operation_id="getAttachment")
def download(
    ident: str,
    ctx: Ctx,
    actor: OptionalActor,
    exp: Annotated[int | None, Query(ge=0, le=10**11)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> FileResponse:
    """An attachment, for a signed-in user or with the signed, expiring link that order
    details and the upload hand out (`download_url`). Served sandboxed: images inline, other
    types (PDF) only as downloads, never rendered as a page of this origin."""
    found = attachments.find(ctx, ident)
    if found is None:
        raise HTTPException(404, "未找到附件 no such attachment")
    if actor is None and not attachments.link_valid(ident, exp, sig):
        raise HTTPException(
            401, "请先登录或使用有效的下载链接 sign in or use a valid download link"
        )
    path, content_type = found
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": f'{disposition}; filename="{path.name}"',
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def saved_upload(upload: UploadFile) -> Path:
    data = await upload.read(_MAX_IMPORT + 1)
    if len(data) > _MAX_IMPORT:
        raise HTTPException(413, "文件过大 file larger than 20 MB")
    suffix = Path(upload.filename or "import.csv").suffix.lower() or ".csv"
    with tempfile.NamedTemporaryFile(delete=False, suffix=suffix) as tmp:
        tmp.write(data)
    return Path(tmp.name)


@router.post("/departments/import", operation_id="importDepartments")
async def import_departments(
    file: UploadFile, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """CSV: code, name, level (city|district|street), region_code[, phone]. All or nothing."""
    path = await saved_upload(file)
    name = file.filename or "upload"
    try:
        with audited_change(ctx, actor, "config.departments", name, request=request) as info:
            info["imported"] = admin.import_departments(
                ctx, read_csv(path, ["code", "name", "level"])
            )
        return {"imported": info["imported"]}
    finally:
        path.unlink(missing_ok=True)


@router.post("/categories/import", operation_id="importTaxonomy")
async def import_taxonomy(
    file: UploadFile,
    ctx: Ctx,
    request: Request,
    actor: Any = require_roles(Role.ADMIN),
    columns: str = "一级分类,二级分类,三级分类",
) -> dict[str, Any]:
    """CSV of the three-level taxonomy; existing codes are kept."""
    cols = tuple(c.strip() for c in columns.split(","))
    path = await saved_upload(file)
    name = file.filename or "upload"
    try:
        with audited_change(ctx, actor, "config.taxonomy", name, request=request) as info:
            info["imported"] = admin.import_taxonomy(ctx, read_csv(path, list(cols[:1])), cols)
        return {"imported": info["imported"]}
    finally:
        path.unlink(missing_ok=True)


@router.post("/linkage-rules/import", operation_id="importLinkageRules")
async def import_rules(
    file: UploadFile, ctx: Ctx, request: Request, actor: Any = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """CSV or YAML linkage list; becomes the new active version."""
    path = await saved_upload(file)
    name = file.filename or "upload"
    try:
        with audited_change(ctx, actor, "config.rules", name, request=request) as info:
            version = info["version"] = admin.import_rules(ctx, read_rules(path), source=name)
    finally:
        path.unlink(missing_ok=True)
    return {"version": version}
