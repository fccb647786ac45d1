"""The delivery queue: claim due messages, send them, record the outcome.

Any number of workers may run `deliver_due` at once. A claim is one UPDATE … RETURNING over
rows picked with FOR UPDATE SKIP LOCKED (PostgreSQL) — two workers never pick the same row —
or a conditional UPDATE under SQLite's single writer. A claim expires (a worker that died
mid-send releases its rows), and every outcome is written only by the claim's holder."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from cityloop.operations.notify.channels import Channel, DeliveryError, Outgoing
from cityloop.operations.store import MessageRow
from cityloop.services.context import CityLoop

log = logging.getLogger("cityloop.notify")

CLAIM_SECONDS = 120  # longer than any one send may take (HTTP and SMTP time out sooner)
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min … at most an hour: a gateway outage is not hammered."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "given_up": self.given_up}


def claim(ctx: CityLoop, worker: str, limit: int, channels: set[str]) -> list[MessageRow]:
    now = ctx.clock.now()
    pick = (
        select(MessageRow.id)
        .where(
            MessageRow.status.in_(("queued", "failed")),
            MessageRow.channel.in_(channels),
            MessageRow.next_attempt_at <= now,
            or_(MessageRow.claimed_until.is_(None), MessageRow.claimed_until < now),
        )
        .order_by(MessageRow.urgent.desc(), MessageRow.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with ctx.uow() as uow:
        s = uow.session
        ids = list(
            s.scalars(
                update(MessageRow)
                .where(
                    MessageRow.id.in_(pick.scalar_subquery()),
                    # Repeated here: under SQLite the subquery is not locked, so the row must
                    # still be unclaimed when this statement writes it.
                    or_(MessageRow.claimed_until.is_(None), MessageRow.claimed_until < now),
                )
                .values(claimed_by=worker, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(MessageRow.id)
            )
        )
        uow.commit()
        if not ids:
            return []
        return list(s.scalars(select(MessageRow).where(MessageRow.id.in_(ids))))


def _record(ctx: CityLoop, m: MessageRow, worker: str, values: dict[str, Any]) -> bool:
    history = list((m.data or {}).get("attempts", []))[-9:]
    history.append(
        {
            "at": ctx.clock.now().isoformat(),
            "status": values["status"],
            "error": values.get("last_error", ""),
            "by": worker,
        }
    )
    values["data"] = {**(m.data or {}), "attempts": history}
    with ctx.uow() as uow:
        n = uow.session.execute(
            update(MessageRow)
            .where(and_(MessageRow.id == m.id, MessageRow.claimed_by == worker))
            .values(claimed_by=None, claimed_until=None, **values)
        ).rowcount  # type: ignore[attr-defined]
        uow.commit()
    return bool(n)


def deliver_due(
    ctx: CityLoop, channels: Mapping[str, Channel], worker: str | None = None, limit: int = 200
) -> DeliveryReport:
    worker = worker or worker_name()
    report = DeliveryReport()
    if not channels:
        return report
    max_attempts = ctx.settings.notify_max_attempts
    for m in claim(ctx, worker, limit, set(channels)):
        channel = channels[m.channel]
        attempts = m.attempts + 1
        # A robot message was stored in its markdown form (notify/service.py).
        out = Outgoing(m.channel, m.address, m.title, m.body, m.body, m.ticket_no)
        try:
            channel.send(out)
        except DeliveryError as exc:
            give_up = attempts >= max_attempts or not exc.retryable
            status = "given_up" if give_up else "failed"
            _record(
                ctx,
                m,
                worker,
                {
                    "status": status,
                    "attempts": attempts,
                    "last_error": exc.reason,
                    "next_attempt_at": ctx.clock.now() + backoff(attempts),
                },
            )
            log.warning(
                "%s message %s %s: %s",
                m.channel,
                m.id,
                status,
                exc.reason,
                extra={"ticket_no": m.ticket_no},
            )
            if give_up:
                report.given_up += 1
            else:
                report.failed += 1
            continue
        _record(
            ctx,
            m,
            worker,
            {"status": "sent", "attempts": attempts, "sent_at": ctx.clock.now(), "last_error": ""},
        )
        report.sent += 1
    return report


def delivery_stats(ctx: CityLoop, since: datetime | None = None) -> list[dict[str, Any]]:
    from sqlalchemy import func

    stmt = select(MessageRow.channel, MessageRow.status, func.count()).group_by(
        MessageRow.channel, MessageRow.status
    )
    if since is not None:
        stmt = stmt.where(MessageRow.created_at >= since)
    with ctx.uow() as uow:
        return [
            {"channel": c, "status": st, "count": int(n)} for c, st, n in uow.session.execute(stmt)
        ]
