"""The notification service: notices in, one tracked message per recipient and channel out.

Creating a message is idempotent (its key); the inbox copy is delivered at once, the others
are queued for the delivery job (notify/delivery.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cityloop.operations.notify.channels import configured_channels
from cityloop.operations.notify.recipients import Directory, Target, robot_targets, staff_targets
from cityloop.operations.notify.templates import (
    ALWAYS_URGENT,
    Event,
    Notice,
    render,
    render_markdown,
    render_resident,
)
from cityloop.operations.store import MessageRow
from cityloop.services.context import CityLoop


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(MessageRow)
    stmt = ins.on_conflict_do_nothing(index_elements=["key"]).returning(MessageRow.id)
    return len(session.execute(stmt, rows).all())


def messages_for(
    ctx: CityLoop, session: Session, notices: list[Notice], now: datetime
) -> list[dict[str, Any]]:
    s = ctx.settings
    available = set(configured_channels(s))
    hooks = {"wecom": s.notify_wecom_webhooks, "dingtalk": s.notify_dingtalk_webhooks}
    local_now = ctx.local(now)
    rows: list[dict[str, Any]] = []

    def row(n: Notice, t: Target, title: str, body: str, hold: datetime | None) -> None:
        inbox = t.channel == "inbox"
        rows.append(
            {
                "key": f"{n.key}:{t.channel}:{t.user_id if t.user_id else t.address}"[:200],
                "event": n.event.value,
                "channel": t.channel,
                "user_id": t.user_id,
                "address": t.address,
                "ticket_no": n.ticket_no,
                "title": title[:200],
                "body": body,
                "urgent": n.urgent or n.event in ALWAYS_URGENT,
                "status": "sent" if inbox else "queued",
                "attempts": 0,
                "next_attempt_at": (hold.astimezone(UTC) if hold else now),
                "claimed_by": None,
                "claimed_until": None,
                "sent_at": now if inbox else None,
                "last_error": "",
                "read_at": None,
                "created_at": now,
                "data": {"order_id": n.order_id, **n.data},
            }
        )

    directory: Directory | None = None
    for n in notices:
        if n.event in (Event.INTAKE, Event.REPLY):
            if (
                n.resident_phone
                and "sms" in available
                and n.event.value in s.notify_resident_events
            ):
                title, body = render_resident(n)
                row(n, Target("sms", n.resident_phone, None), title, body, None)
            continue
        title, body = render(n)
        directory = directory or Directory.load(session)
        for t, hold in staff_targets(directory, n, available, local_now):
            row(n, t, title, body, hold)
        markdown = render_markdown(n)
        for t in robot_targets(n, available, hooks):
            row(n, t, title, markdown, None)
    return rows


def emit(ctx: CityLoop, notices: list[Notice], session: Session | None = None) -> int:
    """Create the messages of `notices`; the number created (repeats create none)."""
    if not notices:
        return 0
    now = ctx.clock.now()
    if session is not None:
        return _insert(session, messages_for(ctx, session, notices, now))
    with ctx.uow() as uow:
        n = _insert(uow.session, messages_for(ctx, uow.session, notices, now))
        uow.commit()
    return n


# -- the in-app inbox --------------------------------------------------------------------------
def _inbox_view(m: MessageRow) -> dict[str, Any]:
    return {
        "id": m.id,
        "event": m.event,
        "ticket_no": m.ticket_no,
        "order_id": (m.data or {}).get("order_id"),
        "title": m.title,
        "body": m.body,
        "urgent": m.urgent,
        "at": m.created_at.isoformat(),
        "read": m.read_at is not None,
    }


def inbox(ctx: CityLoop, user_id: int, unread: bool, limit: int = 50) -> dict[str, Any]:
    with ctx.uow() as uow:
        base = select(MessageRow).where(
            MessageRow.user_id == user_id, MessageRow.channel == "inbox"
        )
        if unread:
            base = base.where(MessageRow.read_at.is_(None))
        rows = uow.session.scalars(base.order_by(MessageRow.id.desc()).limit(limit)).all()
        count = unread_count(uow.session, user_id)
    return {"unread": count, "items": [_inbox_view(m) for m in rows]}


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).where(
                MessageRow.user_id == user_id,
                MessageRow.channel == "inbox",
                MessageRow.read_at.is_(None),
            )
        ).scalar_one()
    )


def mark_read(ctx: CityLoop, user_id: int, message_id: int | None) -> int:
    """Mark one message (or, with None, every message) of the user's inbox read."""
    stmt = update(MessageRow).where(
        MessageRow.user_id == user_id,
        MessageRow.channel == "inbox",
        MessageRow.read_at.is_(None),
    )
    if message_id is not None:
        stmt = stmt.where(MessageRow.id == message_id)
    with ctx.uow() as uow:
        n = uow.session.execute(stmt.values(read_at=ctx.clock.now())).rowcount  # type: ignore[attr-defined]
        uow.commit()
    return int(n or 0)
