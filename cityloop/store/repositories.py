"""Mapping between the WorkOrder aggregate and its rows. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from cityloop.audit.records import AUDIT, EVENTS, mac_for
from cityloop.domain.orders import (
    Actor,
    Assignment,
    AssignmentRole,
    AssignmentState,
    OrderEvent,
    WorkOrder,
)
from cityloop.domain.statuses import OrderStatus, Rating
from cityloop.store.models import AssignmentRow, AuditRow, OrderEventRow, WorkOrderRow, utcnow

_COPIED = (
    "time_limit",
    "rule_version",
    "due_at",
    "warn_at",
    "dispatched_at",
    "accepted_at",
    "replied_at",
    "closed_at",
    "reply_text",
    "pending_extension",
    "extension_count",
    "urge_count",
    "reopen_count",
    "return_count",
    "merged_into",
    "cancel_reason",
    "handled_on_spot",
)


def order_from_row(row: WorkOrderRow) -> WorkOrder:
    order = WorkOrder(
        ticket_no=row.ticket_no,
        received_at=row.received_at,
        status=OrderStatus(row.status),
        id=row.id,
        assignments=[
            Assignment(
                a.department_code, AssignmentRole(a.role), AssignmentState(a.state), a.note, a.id
            )
            for a in row.assignments
        ],
        rating=Rating(row.rating) if row.rating else None,
    )
    for name in _COPIED:
        setattr(order, name, getattr(row, name))
    return order


def order_to_row(order: WorkOrder, row: WorkOrderRow) -> None:
    """Copy the aggregate's state onto its row (assignments included)."""
    row.status = order.status.value
    row.rating = order.rating.value if order.rating else None
    row.lead_department = order.lead_department
    for name in _COPIED:
        setattr(row, name, getattr(order, name))
    # The time of the order's latest step, so replays and tests with a set clock agree.
    row.updated_at = order.new_events[-1].at if order.new_events else utcnow()
    by_id = {a.id: a for a in row.assignments if a.id is not None}
    for a in order.assignments:
        if a.id is not None and a.id in by_id:
            existing = by_id[a.id]
            existing.state, existing.note = a.state.value, a.note
        else:
            row.assignments.append(
                AssignmentRow(
                    department_code=a.department_code,
                    role=a.role.value,
                    state=a.state.value,
                    note=a.note,
                )
            )


def event_values(order_id: int, e: OrderEvent) -> dict[str, Any]:
    """The event's row, sealed (the order id is covered by the chain, not the seal: intake
    learns it only in the insert)."""
    values: dict[str, Any] = {
        "work_order_id": order_id,
        "action": e.action.value,
        "at": e.at,
        "from_status": e.from_status.value,
        "to_status": e.to_status.value,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "actor_role": e.actor_role.value,
        "note": e.note,
        "data": e.data,
    }
    values["mac"] = mac_for(EVENTS, values)
    return values


_INSERT_EVENTS = insert(cast(Table, OrderEventRow.__table__))


def append_events(session: Session, order_id: int, events: Sequence[OrderEvent]) -> None:
    if events:
        session.connection().execute(_INSERT_EVENTS, [event_values(order_id, e) for e in events])


def get_order_row(session: Session, order_id: int) -> WorkOrderRow | None:
    return session.execute(
        select(WorkOrderRow).where(WorkOrderRow.id == order_id)
    ).scalar_one_or_none()


def add_audit(
    session: Session,
    actor: Actor | None,
    action: str,
    target: str,
    detail: dict[str, Any],
    *,
    result: str = "success",
    source: str | None = None,
    user_agent: str | None = None,
) -> None:
    """One audit-log row (personal-data reads, imports, configuration, keys, logins); None is
    the command line. `result` is "success" or "failure"; `source` the client address. The row
    carries the writer's seal; the sealing step chains it (cityloop.audit.chain)."""
    values: dict[str, Any] = {
        "at": utcnow(),
        "actor_id": actor.user_id if actor else None,
        "actor_name": actor.name if actor else "命令行 cli",
        "role": actor.role.value if actor else "cli",
        "action": action,
        "target": target[:100],
        "result": result,
        "source": source[:64] if source else None,
        "user_agent": user_agent[:200] if user_agent else None,
        "detail": detail,
    }
    session.add(AuditRow(**values, mac=mac_for(AUDIT, values)))
