"""Turning community matters into work orders through the linkage list (联动清单): a passed
wish, an escalated snap report, a garbage violation. Idempotent by `external_id`, so a retry
after a crash never opens a second order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import STATUS_LABELS, Channel, OrderStatus, Role
from cityloop.services.context import CityLoop
from cityloop.services.intake import AppealInput, IntakeResult, submit_appeal
from cityloop.store.models import WorkOrderRow


def community_actor(name: str) -> Actor:
    return Actor(user_id=None, name=name, role=Role.ADMIN)


def open_order(
    ctx: CityLoop,
    *,
    source: str,
    external_id: str,
    title: str,
    content: str,
    channel: str,
    category_code: str | None,
    lon: float | None,
    lat: float | None,
    address: str = "",
    reporter_user_id: int | None = None,
    attachments: list[dict[str, object]] | None = None,
) -> IntakeResult:
    data = AppealInput(
        channel=Channel(channel),
        content=content,
        title=title[:100],
        address=address,
        lon=lon,
        lat=lat,
        category_code=category_code,
        external_id=external_id,
        reporter_user_id=reporter_user_id,
        attachments=list(attachments or []),
    )
    return submit_appeal(ctx, data, community_actor(source))


@dataclass(frozen=True)
class Progress:
    ticket_no: str
    status: str
    status_label: str
    due_at: datetime | None
    reply: str
    closed_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "ticket_no": self.ticket_no,
            "status": self.status,
            "status_label": self.status_label,
            "due_at": self.due_at,
            "reply": self.reply,
            "closed_at": self.closed_at,
        }


def progress_of(ctx: CityLoop, order_ids: list[int]) -> dict[int, Progress]:
    if not order_ids:
        return {}
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(WorkOrderRow).where(WorkOrderRow.id.in_(order_ids))
        ).scalars()
        out: dict[int, Progress] = {}
        for r in rows:
            label = STATUS_LABELS.get(OrderStatus(r.status), (r.status, ""))[0]
            out[r.id] = Progress(r.ticket_no, r.status, label, r.due_at, r.reply_text, r.closed_at)
        return out
