"""Operations API: jobs (admins), the in-app inbox and notification preferences (every
staff member), live events over SSE, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from cityloop.api.deps import Ctx, CurrentActor, require_roles
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.operations import events, metrics
from cityloop.operations.notify import service as notify
from cityloop.operations.notify.recipients import STAFF_CHANNELS, parse_quiet_hours
from cityloop.operations.notify.templates import Event
from cityloop.operations.readiness import readiness
from cityloop.services.orders import NotFound

router = APIRouter(tags=["operations"])
Admin = Annotated[Actor, require_roles(Role.ADMIN)]
Watcher = Annotated[
    Actor, require_roles(Role.ADMIN, Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.OPERATOR)
]


# -- jobs ------------------------------------------------------------------------------------
@router.get("/api/v1/jobs", operation_id="listJobs")
def list_jobs(ctx: Ctx, _admin: Admin) -> dict[str, Any]:
    """Each job: schedule, last run (status, result, error), failures, next run, retry."""
    from cityloop.operations.jobs.status import job_status, recent_runs

    return {"jobs": job_status(ctx), "runs": recent_runs(ctx, None, 30)}


@router.get("/api/v1/jobs/{name}/runs", operation_id="listJobRuns")
def job_runs(ctx: Ctx, _admin: Admin, name: str) -> dict[str, Any]:
    from cityloop.operations.jobs.catalogue import jobs
    from cityloop.operations.jobs.status import recent_runs

    if name not in {s.name for s in jobs(ctx.settings)}:
        raise NotFound(name)
    return {"runs": recent_runs(ctx, name, 100)}


@router.post("/api/v1/jobs/{name}/run", status_code=202, operation_id="runJob")
def run_job_now(ctx: Ctx, _admin: Admin, name: str) -> dict[str, Any]:
    """Queue a run now (PostgreSQL: for any worker; SQLite: in this process's background)."""
    from cityloop.operations.jobs.catalogue import jobs
    from cityloop.operations.jobs.engine import defer, make_app, period_of, run_job, uses_postgres

    specs = {s.name: s for s in jobs(ctx.settings)}
    if name not in specs:
        raise NotFound(name)
    if uses_postgres(ctx):
        job_id = asyncio.run(defer(make_app(ctx), name))
        return {"queued": name, "job_id": job_id}

    def run() -> None:
        # A failure is recorded in job_runs and logged by run_job.
        with contextlib.suppress(Exception):
            run_job(ctx, specs[name], period_of(None))

    threading.Thread(target=run, name=f"job-{name}", daemon=True).start()
    return {"queued": name, "job_id": None}


# -- inbox -----------------------------------------------------------------------------------
def _user(actor: Actor) -> int:
    if actor.user_id is None:
        raise HTTPException(403, "需要登录用户 requires a user account")
    return actor.user_id


@router.get("/api/v1/inbox", operation_id="inbox")
def inbox(
    ctx: Ctx,
    actor: CurrentActor,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    return notify.inbox(ctx, _user(actor), unread, limit)


@router.get("/api/v1/inbox/unread", operation_id="inboxUnread")
def inbox_unread(ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    with ctx.uow() as uow:
        return {"unread": notify.unread_count(uow.session, _user(actor))}


@router.post("/api/v1/inbox/{message_id}/read", operation_id="inboxRead")
def inbox_read(ctx: Ctx, actor: CurrentActor, message_id: int) -> dict[str, int]:
    if notify.mark_read(ctx, _user(actor), message_id) == 0:
        with ctx.uow() as uow:
            from cityloop.operations.store import MessageRow

            m = uow.session.get(MessageRow, message_id)
            if m is None or m.user_id != actor.user_id or m.channel != "inbox":
                raise NotFound(message_id)
    with ctx.uow() as uow:
        return {"unread": notify.unread_count(uow.session, _user(actor))}


@router.post("/api/v1/inbox/read-all", operation_id="inboxReadAll")
def inbox_read_all(ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    return {"marked": notify.mark_read(ctx, _user(actor), None), "unread": 0}


class Preferences(BaseModel):
    channels: list[str] = Field(default_factory=lambda: ["inbox", "email"])
    email: str = Field(default="", max_length=200)
    muted_events: list[str] = Field(default_factory=list)
    quiet_hours: str = Field(default="", max_length=11, examples=["22:00-07:00"])

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in STAFF_CHANNELS]
        if bad:
            raise PydanticCustomError(
                "unknown_choice", "unknown: {values}", {"values": ", ".join(bad)}
            )
        return sorted(set(v) | {"inbox"})

    @field_validator("muted_events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        names = {e.value for e in Event}
        bad = [e for e in v if e not in names]
        if bad:
            raise PydanticCustomError(
                "unknown_choice", "unknown: {values}", {"values": ", ".join(bad)}
            )
        return sorted(set(v))

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip()
        if v and ("@" not in v or " " in v or v.startswith("@") or v.endswith("@")):
            raise PydanticCustomError("email_invalid", "not an e-mail address")
        return v


@router.get("/api/v1/me/notifications", operation_id="getNotificationPreferences")
def get_preferences(ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    from cityloop.operations.store import PreferenceRow

    with ctx.uow() as uow:
        p = uow.session.get(PreferenceRow, _user(actor))
    if p is None:
        return {**Preferences().model_dump(), "events": [e.value for e in Event]}
    return {
        "channels": p.channels,
        "email": p.email,
        "muted_events": p.muted_events,
        "quiet_hours": p.quiet_hours,
        "events": [e.value for e in Event],
    }


@router.put("/api/v1/me/notifications", operation_id="setNotificationPreferences")
def set_preferences(ctx: Ctx, actor: CurrentActor, body: Preferences) -> dict[str, Any]:
    from cityloop.operations.store import PreferenceRow

    try:
        parse_quiet_hours(body.quiet_hours)
    except ValueError:
        raise InvalidCommand("quiet_hours", "quiet_hours_format") from None
    uid = _user(actor)
    with ctx.uow() as uow:
        p = uow.session.get(PreferenceRow, uid)
        if p is None:
            p = PreferenceRow(user_id=uid, updated_at=ctx.clock.now())
            uow.session.add(p)
        p.channels, p.email = body.channels, body.email
        p.muted_events, p.quiet_hours = body.muted_events, body.quiet_hours.strip()
        p.updated_at = ctx.clock.now()
        uow.commit()
    return get_preferences(ctx, actor)


# -- live events -----------------------------------------------------------------------------
def _visible(actor: Actor, event: dict[str, Any]) -> bool:
    if actor.role in (Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.OPERATOR):
        return True
    region = actor.region_code or ""
    return not region or str(event.get("grid_code") or "").startswith(region)


@router.get("/api/v1/events/stream", operation_id="liveEvents")
async def live_events(request: Request, ctx: Ctx, actor: Watcher) -> StreamingResponse:
    """Server-sent events: `alarm`, `urgent_order`, `life_safety`, `overdue`, `urge`, each
    with the ticket, the place and where on the map; a comment every 15 s keeps proxies
    from closing the stream."""
    source = events.bus(ctx.settings).subscribe()

    async def stream() -> AsyncIterator[bytes]:
        yield b": connected\n\nretry: 2000\n\n"
        pending: asyncio.Task[Any] | None = None
        try:
            while not await request.is_disconnected():
                pending = pending or asyncio.ensure_future(source.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=15.0)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                event = pending.result()
                pending = None
                if _visible(actor, event):
                    data = json.dumps(event, ensure_ascii=False)
                    yield f"event: {event.get('kind', 'message')}\ndata: {data}\n\n".encode()
        finally:
            if pending is not None:
                # The cancelled __anext__ must finish before the generator can be closed, or
                # aclose() raises "asynchronous generator is already running".
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await pending
            await source.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- readiness and metrics -------------------------------------------------------------------
@router.get("/api/v1/ready", tags=["health"], operation_id="ready")
def ready(ctx: Ctx) -> Any:
    ok, checks = readiness(ctx)
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


def _metrics_allowed(request: Request, ctx: Ctx) -> bool:
    token = ctx.settings.metrics_token
    if token:
        import hmac

        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    for allowed in ctx.settings.metrics_allow:
        try:
            if addr in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


@router.get("/metrics", include_in_schema=False)
def prometheus(request: Request, ctx: Ctx) -> Response:
    if not _metrics_allowed(request, ctx):
        raise HTTPException(403, "无权读取指标 metrics need the token or an allowed address")
    return Response(metrics.render(ctx), media_type="text/plain; version=0.0.4; charset=utf-8")
