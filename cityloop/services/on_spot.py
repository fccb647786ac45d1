"""就地处置: a grid worker reports a problem on patrol that they have already dealt with.

The appeal is received on the grid-patrol channel and its order closed in the same step, with
what was done as the answer and a photo of the result: no department is dispatched, no step
timer starts. The order carries `handled_on_spot` so that the KPIs count it apart (it is
nobody's reply to judge), and the step is sealed in the order's timeline and the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.exc import IntegrityError

from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor, Command, WorkOrder
from cityloop.domain.statuses import Action, Channel, Role
from cityloop.services.context import CityLoop
from cityloop.services.intake import (
    AppealInput,
    IntakeResult,
    already_received,
    draft_appeal,
    save_draft,
)
from cityloop.store.fast_insert import AlreadyReceived
from cityloop.store.repositories import add_audit

log = logging.getLogger("cityloop.on_spot")

MIN_NOTE = 4  # characters of what was done ("已清理干净" and the like)


def _check(data: AppealInput, note: str, actor: Actor) -> str:
    if actor.role is not Role.GRID_WORKER:
        raise PermissionDenied(
            f"就地处置仅限网格员 only a grid worker handles on the spot ({actor.role})"
        )
    text = note.strip()
    if len(text) < MIN_NOTE:
        raise InvalidCommand("handling_note", "on_spot_note", {"min_length": MIN_NOTE})
    if not any(str(a.get("content_type", "")).startswith("image/") for a in data.attachments):
        raise InvalidCommand("attachments", "on_spot_photo")
    return text


def handle_on_spot(ctx: CityLoop, data: AppealInput, note: str, actor: Actor) -> IntakeResult:
    """Receive the patrol report and close it at once (受理即办结)."""
    note = _check(data, note, actor)
    data = replace(data, channel=Channel.GRID_PATROL)
    # Understood and located like any appeal (category, grid), but never joined to another
    # order: what the grid worker fixed is their own report.
    draft = draft_appeal(ctx, data, actor, link_duplicates=False)
    row = draft.row
    if row.life_safety:
        raise InvalidCommand("life_safety", "life_safety_dispatch")
    if row.grid_code is None:
        raise InvalidCommand("lat", "place_not_located")
    if actor.region_code and not row.grid_code.startswith(actor.region_code):
        raise InvalidCommand("lat", "place_outside_grid")
    at = row.received_at
    order = WorkOrder.receive("", at, actor, note="渠道：网格巡查（就地处置）")
    order.execute(Command(Action.HANDLE_ON_SPOT, at, note=note), actor)
    draft.order = order
    draft.after.clear()  # closed at receipt: no step timers
    draft.routing.update(
        {
            "auto_dispatch": False,
            "reason": "网格员就地处置，受理即办结 handled on the spot",
            "on_spot": True,
        }
    )
    photos = sum(1 for a in data.attachments if str(a.get("content_type", "")).startswith("image/"))
    try:
        with ctx.uow() as uow:
            save_draft(uow.session, draft)
            add_audit(
                uow.session,
                actor,
                "order.handled_on_spot",
                draft.row.ticket_no,
                {"order_id": draft.row.id, "grid_code": row.grid_code, "photos": photos},
            )
            uow.commit()
    except (IntegrityError, AlreadyReceived) as refused:
        return already_received(ctx, data, refused)
    log.info(
        "handled on the spot",
        extra={"ticket_no": draft.row.ticket_no, "order_id": draft.row.id},
    )
    return draft.result()
