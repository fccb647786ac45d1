"""来电历史: the caller's earlier appeals, found by the phone number the operator typed, so the
operator can say "you called about this on 12 May; it is with the 城管局" while still on the line.

Contact details are shown as the actor's role allows (domain/jurisdiction.SEES_PERSONAL_DATA);
every unmasked lookup is written to the audit trail, masked with the number it looked for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cityloop.domain.jurisdiction import SEES_PERSONAL_DATA
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name, mask_phone, mask_text
from cityloop.domain.statuses import TERMINAL, OrderStatus
from cityloop.services.context import CityLoop
from cityloop.store.models import AppealRow, WorkOrderRow
from cityloop.store.repositories import add_audit

__all__ = ["caller_history"]


def caller_history(ctx: CityLoop, actor: Actor, phone: str, limit: int = 20) -> dict[str, Any]:
    """The appeals made from ``phone``, newest first, with the state of their orders."""
    ref = ctx.reference.get()
    unmasked = actor.role in SEES_PERSONAL_DATA
    with ctx.uow() as uow:
        session = uow.session
        base = (
            select(AppealRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(AppealRow.reporter_phone == phone)
        )
        rows = session.execute(
            base.order_by(AppealRow.received_at.desc(), AppealRow.id.desc()).limit(limit)
        ).all()
        items = []
        for appeal, order in rows:
            names = [appeal.reporter_name]
            status = OrderStatus(order.status)
            items.append(
                {
                    "appeal_id": appeal.id,
                    "ticket_no": appeal.ticket_no,
                    "work_order_id": order.id,
                    "order_ticket_no": order.ticket_no,
                    "received_at": appeal.received_at,
                    "channel": appeal.channel,
                    "title": order.title if unmasked else mask_text(order.title, names),
                    "content": appeal.content if unmasked else mask_text(appeal.content, names),
                    "status": status.value,
                    "open": status not in TERMINAL,
                    "category_path": ref.category_paths.get(order.category_code or ""),
                    "lead_department_name": ref.departments.get(order.lead_department or ""),
                    "rating": order.rating,
                    "reporter_name": (
                        appeal.reporter_name if unmasked else mask_name(appeal.reporter_name)
                    ),
                }
            )
        if unmasked and items:
            add_audit(
                session,
                actor,
                "read_personal_data",
                mask_phone(phone) or "",
                {"lookup": "caller_history", "appeals": len(items)},
            )
            uow.commit()
    return {
        "phone": phone if unmasked else mask_phone(phone),
        "items": items,
        "open": sum(1 for i in items if i["open"]),
        "personal_data_masked": not unmasked,
    }
