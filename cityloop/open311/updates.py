"""Service request updates (mySociety's Open311 extension, `servicerequestupdates`).

FixMyStreet's Open311 client polls this with its key and a start_date/end_date window to bring
status changes back to the reports it sent. Each update is one event of the order's timeline
that a resident may see: a change of status (described by its public label) or the
department's reply; internal events (dispatch notes, urges, co-handlers' drafts) stay inside.
Only the requests the calling key created are answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from cityloop.domain.statuses import STATUS_LABELS, Action, Channel, OrderStatus
from cityloop.open311.errors import bad_request
from cityloop.open311.keys import ClientInfo
from cityloop.open311.service_requests import scrub, window
from cityloop.services.context import CityLoop
from cityloop.store.models import AppealRow, OrderEventRow

# CityLoop status → the extension's status values (FixMyStreet maps these onto its states).
UPDATE_STATUS: dict[OrderStatus, str] = {
    OrderStatus.RECEIVED: "open",
    OrderStatus.PENDING_DISPATCH: "open",
    OrderStatus.DISPATCHED: "open",
    OrderStatus.RETURNED: "open",  # back with the dispatcher, to go to the right department
    OrderStatus.ACCEPTED: "action_scheduled",
    OrderStatus.IN_PROGRESS: "in_progress",
    OrderStatus.REPLIED: "in_progress",  # answered; closed once the resident is satisfied
    OrderStatus.REOPENED: "reopen",
    OrderStatus.CLOSED: "closed",
    OrderStatus.MERGED: "duplicate",
    OrderStatus.CANCELLED: "no_further_action",
}

# The creation of the request is not an update; linking another caller changes nothing.
_NOT_UPDATES = frozenset({Action.RECEIVE.value, Action.LINK.value})


def created_by(appeal: AppealRow, client: ClientInfo) -> bool:
    """Whether this key's client filed the appeal (the client is noted in its attachments)."""
    for a in appeal.attachments or []:
        if isinstance(a, dict) and a.get("name") == "open311":
            if "client_id" in a:
                return bool(a["client_id"] == client.id)
            return bool(a.get("client") == client.name)  # requests filed before client_id
    return False


def _describe(event: OrderEventRow, appeal: AppealRow) -> str | None:
    """What the resident is told, or None for an event that is not theirs to see."""
    if event.action in _NOT_UPDATES:
        return None
    if event.action == Action.REPLY.value:
        return scrub(event.note, appeal) or STATUS_LABELS[OrderStatus(event.to_status)][0]
    if event.from_status == event.to_status:
        return None  # notes, urges, co-handlers' drafts, extensions: internal
    label = STATUS_LABELS[OrderStatus(event.to_status)][0]
    if event.action == Action.MERGE.value:
        return f"{label}：与同一事项的工单合并办理"
    return label


def list_updates(
    ctx: CityLoop,
    client: ClientInfo,
    *,
    start_date: str | None,
    end_date: str | None,
    max_results: int,
) -> list[dict[str, Any]]:
    start_at, end_at = window(ctx, start_date, end_date)
    stmt = (
        select(OrderEventRow, AppealRow)
        .join(AppealRow, AppealRow.work_order_id == OrderEventRow.work_order_id)
        .where(
            AppealRow.channel == Channel.OPEN311.value,
            OrderEventRow.at >= start_at,
            OrderEventRow.at <= end_at,
        )
        .order_by(OrderEventRow.at, OrderEventRow.id, AppealRow.id)
    )
    out: list[dict[str, Any]] = []
    with ctx.uow() as uow:
        for event, appeal in uow.session.execute(stmt):
            if not created_by(appeal, client):
                continue
            description = _describe(event, appeal)
            if description is None:
                continue
            out.append(_view(ctx, event, appeal, description))
            if len(out) > max_results:
                raise bad_request(
                    f"more than {max_results} updates in the window; ask for a shorter one"
                )
    return out


def _iso(ctx: CityLoop, at: datetime) -> str:
    return ctx.local(at).isoformat(timespec="seconds")


def _view(
    ctx: CityLoop, event: OrderEventRow, appeal: AppealRow, description: str
) -> dict[str, Any]:
    return {
        # One event can concern several requests (appeals linked to one order): the id names
        # both, so a client never takes one request's update for another's.
        "update_id": f"{appeal.ticket_no}-{event.id}",
        "service_request_id": appeal.ticket_no,
        "status": UPDATE_STATUS[OrderStatus(event.to_status)],
        "updated_datetime": _iso(ctx, event.at),
        "description": description,
        "media_url": None,  # the timeline carries no photos yet
    }
