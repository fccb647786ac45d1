"""Who sees which orders: an order's scope, and the SQL form of `can_view` for lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cityloop.domain.jurisdiction import CITY_WIDE, OrderScope
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.reference import Reference
from cityloop.store.models import AppealRow, AssignmentRow, WorkOrderRow
from cityloop.store.prefix import starts_with


class NotFound(Exception):
    """No such order, or none the actor may see (the two are not told apart)."""


class Conflict(Exception):
    """Someone else changed the order at the same moment; the client should reload."""


def scope_of(session: Session, row: WorkOrderRow, ref: Reference) -> OrderScope:
    reporters = session.execute(
        select(AppealRow.reporter_user_id).where(
            AppealRow.work_order_id == row.id, AppealRow.reporter_user_id.is_not(None)
        )
    ).scalars()
    active = [a for a in row.assignments if a.state not in ("returned", "withdrawn")]
    return OrderScope(
        region_codes=frozenset(ref.region_ancestry(row.grid_code)),
        departments=frozenset(a.department_code for a in row.assignments),
        lead_department=row.lead_department,
        co_departments=frozenset(a.department_code for a in active if a.role == "co"),
        reporter_user_ids=frozenset(int(u) for u in reporters if u is not None),
    )


def visibility_clause(actor: Actor) -> Any:
    """The SQL form of `can_view`: what an actor's lists are limited to."""
    if actor.role in CITY_WIDE:
        return None
    if actor.role is Role.RESIDENT:
        return exists().where(
            AppealRow.work_order_id == WorkOrderRow.id,
            AppealRow.reporter_user_id == actor.user_id,
        )
    if actor.role is Role.DEPARTMENT_HANDLER:
        return exists().where(
            AssignmentRow.work_order_id == WorkOrderRow.id,
            AssignmentRow.department_code == actor.department_code,
        )
    if actor.role in (Role.SUPERVISOR, Role.GRID_WORKER) and actor.region_code:
        return region_clause(actor.region_code)
    return WorkOrderRow.id.is_(None)  # sees nothing


def region_clause(code: str) -> Any:
    """The orders inside a region of any level. Region codes nest by prefix (GB/T 30428.1) and
    an order's community, street and district are those of its grid, so these are the orders
    whose grid code starts with the region's."""
    return starts_with(WorkOrderRow.grid_code, code)


def load_row(session: Session, order_id: int) -> WorkOrderRow:
    row = session.get(WorkOrderRow, order_id)
    if row is None:
        raise NotFound(order_id)
    return row
