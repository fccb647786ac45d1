"""Configuration changes and imports on the audit trail, succeeded or refused (安全审计).

    with audited_change(ctx, actor, "config.rules", file.filename, request=request) as info:
        info["version"] = admin.import_rules(...)

A refused change (bad rows, a bad value) is recorded as a failure with its reason, then the
error goes on to the caller. The record is written after the change commits, in its own
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cityloop.domain.orders import Actor
from cityloop.store.repositories import add_audit


def client_of(request: Any) -> tuple[str | None, str | None]:
    """The client address and user agent of a Starlette request (None for the CLI)."""
    if request is None:
        return None, None
    host = request.client.host if request.client else None
    return host, request.headers.get("user-agent")


def record(
    ctx: Any,
    actor: Actor | None,
    action: str,
    target: str,
    detail: dict[str, Any],
    *,
    result: str = "success",
    request: Any = None,
) -> None:
    source, agent = client_of(request)
    with ctx.uow() as uow:
        add_audit(
            uow.session,
            actor,
            action,
            target,
            detail,
            result=result,
            source=source,
            user_agent=agent,
        )
        uow.commit()


@contextmanager
def audited_change(
    ctx: Any,
    actor: Actor | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    *,
    request: Any = None,
) -> Iterator[dict[str, Any]]:
    info: dict[str, Any] = dict(detail or {})
    try:
        yield info
    except Exception as exc:
        problem = getattr(exc, "problems", None)
        info["error"] = str(exc)[:300] or type(exc).__name__
        if problem:
            info["problems"] = len(problem)
        record(ctx, actor, action, target, info, result="failure", request=request)
        raise
    record(ctx, actor, action, target, info, request=request)
