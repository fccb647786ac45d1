"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cityloop.api.field_errors import field_error
from cityloop.domain.errors import IllegalTransition, InvalidCommand, PermissionDenied
from cityloop.geo.regions import ImportRejected
from cityloop.security.keyring import CipherError
from cityloop.services.orders import Conflict, NotFound
from cityloop.services.users import LoginFailed, LoginThrottled

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("cityloop.api")


def problem(
    status: int, title: str, detail: str = "", headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Each error carries a stable code and its parameters, for the console to word.
        errors = [field_error(e) for e in exc.errors()]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            "输入有误 Invalid input",
            f"invalid field(s): {fields}",
            code="invalid_input",
            errors=errors,
        )

    @app.exception_handler(InvalidCommand)
    async def _invalid(_: Request, exc: InvalidCommand) -> JSONResponse:
        # The same shape as a request-validation problem: the console words the code.
        return problem(
            422,
            "输入有误 Invalid input",
            str(exc),
            code="invalid_input",
            errors=[command_error(exc)],
        )

    @app.exception_handler(IllegalTransition)
    async def _illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        return problem(
            409,
            "当前状态不允许此操作 Action not allowed now",
            str(exc),
            action=exc.action,
            current_status=exc.status,
            allowed_actions=exc.allowed,
            code=exc.code,
            params=exc.params,
        )

    @app.exception_handler(PermissionDenied)
    async def _denied(_: Request, exc: PermissionDenied) -> JSONResponse:
        return problem(403, "无权操作 Forbidden", str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "未找到 Not found", f"no such record: {exc}")

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return problem(409, "工单已被他人修改 Changed meanwhile", "reload the order and retry")

    @app.exception_handler(LoginFailed)
    async def _login_failed(_: Request, exc: LoginFailed) -> JSONResponse:
        return problem(
            401,
            "用户名或密码错误 Wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(LoginThrottled)
    async def _throttled(_: Request, exc: LoginThrottled) -> JSONResponse:
        return problem(
            429,
            "登录失败次数过多 Too many failed logins",
            str(exc),
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(ImportRejected)
    async def _rejected(_: Request, exc: ImportRejected) -> JSONResponse:
        # Each problem: code, params, row (1-based; 0 = the whole file), field, and the
        # message and what to do in Chinese and English; the console shows the chosen one.
        n = len(exc.problems)
        return problem(
            422,
            "导入被拒绝 Import rejected",
            f"共 {n} 个问题，未导入任何数据 {n} problem(s); nothing was imported",
            code="import_rejected",
            params={"count": n, "unit": exc.what},
            errors=[p.as_dict() for p in exc.problems[:1000]],
        )

    @app.exception_handler(CipherError)
    async def _cipher(_: Request, exc: CipherError) -> JSONResponse:
        # A stored value that does not open (altered, or sealed with a key this process does
        # not have): the request cannot be served as the data stands; the operator must look.
        log.error("field does not decrypt: %s", exc)
        return problem(
            409,
            "存储的数据无法解密 Stored data cannot be decrypted",
            str(exc),
            code=f"cipher_{exc.code}",
            field=exc.field,
            key_id=exc.key_id,
        )

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> JSONResponse:
        if not transient(exc):
            raise exc  # a real fault: the last-resort 500 with its request id
        # A lock held past the busy timeout, or a lost connection: nothing was written by this
        # request (its transaction rolled back), so the client may send it again.
        log.error("database unavailable for %s: %s", request.url.path, exc.orig)
        return problem(
            503,
            "服务繁忙，请稍后重试 Service busy, retry shortly",
            "数据库暂时不可用，本次请求未写入任何数据。",
            headers={"Retry-After": "2"},
            code="database_busy",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


def command_error(exc: InvalidCommand) -> dict[str, Any]:
    """A refused command as one field error: field, stable code, params, English message."""
    return {"field": exc.field, "code": exc.code, "params": exc.params, "message": exc.message}


def transient(exc: OperationalError) -> bool:
    """A database error that passes by itself: SQLite's lock or busy timeout, or PostgreSQL's
    connection lost or refused (not a missing table or a bad statement)."""
    text = str(exc.orig).lower()
    if "database is locked" in text or "database is busy" in text:
        return True
    return (
        exc.connection_invalidated
        or type(exc.orig).__module__.startswith("psycopg")
        and ("connection" in text or "server closed" in text or "terminating" in text)
    )
