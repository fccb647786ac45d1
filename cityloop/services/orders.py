"""Work-order use cases: act on an order, list with filters, read one with its timeline."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.jurisdiction import (
    CITY_WIDE,
    OrderScope,
    can_view,
    may,
    may_reveal,
    sees_personal_data,
)
from cityloop.domain.orders import Actor, Command, WorkOrder
from cityloop.domain.privacy import mask_address, mask_name, mask_phone
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import (
    TERMINAL,
    WITH_DEPARTMENT,
    Action,
    OrderStatus,
    Rating,
    Role,
)
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline, extend, reading
from cityloop.services.reference import Reference
from cityloop.store.models import (
    AppealRow,
    AssignmentRow,
    NotificationRow,
    OrderEventRow,
    WorkOrderRow,
    utcnow,
)
from cityloop.store.prefix import starts_with
from cityloop.store.repositories import add_audit, append_events, order_from_row, order_to_row

log = logging.getLogger("cityloop.orders")


class NotFound(Exception):
    """No such order, or none the actor may see (the two are not told apart)."""


class Conflict(Exception):
    """Someone else changed the order at the same moment; the client should reload."""


@dataclass(frozen=True)
class ActionInput:
    note: str = ""
    lead_department: str | None = None
    co_departments: tuple[str, ...] | None = None
    time_limit: str | None = None
    category_code: str | None = None
    rating: Rating | None = None
    merge_into: int | None = None
    extension: str | None = None


@dataclass
class OrderFilters:
    status: list[OrderStatus] = field(default_factory=list)
    department: str | None = None
    category: str | None = None
    region: str | None = None
    channel: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    overdue: bool | None = None
    q: str | None = None
    sort: str = "-received_at"


_SORTS: dict[str, Any] = {
    "received_at": WorkOrderRow.received_at.asc(),
    "-received_at": WorkOrderRow.received_at.desc(),
    "due_at": WorkOrderRow.due_at.asc(),
    "-due_at": WorkOrderRow.due_at.desc(),
}


# -- scope ------------------------------------------------------------------------------------
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


# -- acting -----------------------------------------------------------------------------------
def act(
    ctx: CityLoop, order_id: int, action: Action, data: ActionInput, actor: Actor
) -> dict[str, Any]:
    perform(ctx, order_id, action, data, actor)
    return get_order(ctx, order_id, actor, audit=False)


def perform(
    ctx: CityLoop,
    order_id: int,
    action: Action,
    data: ActionInput,
    actor: Actor,
    *,
    authorized: bool = False,
) -> None:
    """Run one action in one transaction. `authorized` is for callers that proved the right
    another way (a resident rating by ticket number and phone)."""
    now = ctx.clock.now()
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        row = _load(session, order_id)
        if not authorized:
            scope = scope_of(session, row, ref)
            if not can_view(actor, scope):
                raise NotFound(order_id)
            if not may(actor, action, scope):
                raise PermissionDenied(f"role '{actor.role}' may not '{action}' this order")
        order = order_from_row(row)
        cmd = _command(ctx, ref, row, order, action, data, actor, now)
        order.execute(cmd, actor)
        if (
            action is Action.DISPATCH
            and data.category_code
            and data.category_code != (row.category_code)
        ):
            # A dispatcher's correction is kept as a labelled example for retraining.
            order.new_events[-1].data["category_from"] = row.category_code
            order.new_events[-1].data["category_to"] = data.category_code
            row.category_code = data.category_code
        order_to_row(order, row)
        if action is Action.MERGE:
            _merge_into(session, row, order, cmd.merge_into, actor, now, ref)
        if order.status is OrderStatus.CLOSED:
            _notify_callers(session, row, now)
        append_events(session, row.id, order.new_events)
        try:
            uow.commit()
        except StaleDataError as exc:
            raise Conflict(order_id) from exc
    log.info(
        "%s by %s: %s → %s",
        action.value,
        actor.role.value,
        order.history[-1].from_status.value,
        order.status.value,
        extra={"ticket_no": row.ticket_no, "order_id": row.id, "action": action.value},
    )


def _load(session: Session, order_id: int) -> WorkOrderRow:
    row = session.get(WorkOrderRow, order_id)
    if row is None:
        raise NotFound(order_id)
    return row


def _command(
    ctx: CityLoop,
    ref: Reference,
    row: WorkOrderRow,
    order: WorkOrder,
    action: Action,
    data: ActionInput,
    actor: Actor,
    now: datetime,
) -> Command:
    base: dict[str, Any] = {"action": action, "at": now, "note": data.note}
    if action is Action.DISPATCH:
        return Command(**base, **dispatch_payload(ctx, ref, row, data, now))
    if action is Action.REQUEST_EXTENSION:
        if data.extension:
            _parse_limit(data.extension, "extension")
        return Command(**base, extension=data.extension)
    if action is Action.APPROVE_EXTENSION:
        if order.pending_extension and order.due_at and order.dispatched_at:
            due, warn = extend(
                ctx, order.dispatched_at, order.due_at, TimeLimit.parse(order.pending_extension)
            )
            return Command(**base, due_at=due, warn_at=warn)
        return Command(**base)
    if action in (Action.REJECT_REPLY, Action.RATE):
        rating = data.rating
        if action is Action.RATE and rating is None:
            raise InvalidCommand("rating", "a rating is required")
        if action is Action.REJECT_REPLY or rating is Rating.UNSATISFIED:
            limit = TimeLimit.parse(order.time_limit or ctx.settings.default_time_limit)
            due, warn = deadline(ctx, now, limit)
            return Command(**base, rating=rating, due_at=due, warn_at=warn)
        return Command(**base, rating=rating)
    if action is Action.MERGE:
        if data.merge_into is None:
            raise InvalidCommand("merge_into", "the order to merge into is required")
        return Command(**base, merge_into=data.merge_into)
    if action is Action.CO_REPLY:
        return Command(**base, department_code=actor.department_code)
    return Command(**base)


def _parse_limit(text: str, field_name: str) -> TimeLimit:
    try:
        return TimeLimit.parse(text)
    except ValueError as exc:
        raise InvalidCommand(field_name, f"'{text}' is not a time limit like 2h or 5d") from exc


def dispatch_payload(
    ctx: CityLoop, ref: Reference, row: WorkOrderRow, data: ActionInput, now: datetime
) -> dict[str, Any]:
    from cityloop.domain.linkage import match_rule
    from cityloop.domain.statuses import Urgency

    category = data.category_code or row.category_code
    if category and category not in ref.categories:
        raise InvalidCommand("category_code", f"unknown category {category}")
    rule = (
        match_rule(ref.rules, ref.category_ancestry(category), ref.region_ancestry(row.grid_code))
        if category
        else None
    )
    lead = data.lead_department or (rule.lead_department if rule else None)
    if not lead:
        raise InvalidCommand(
            "lead_department", "no linkage rule matches; choose the lead department"
        )
    co = (
        tuple(data.co_departments)
        if data.co_departments is not None
        else (
            ref.co_departments(rule, row.street_code)
            if rule and rule.lead_department == lead
            else ()
        )
    )
    for code, name in [(lead, "lead_department"), *((c, "co_departments") for c in co)]:
        if code not in ref.departments:
            raise InvalidCommand(name, f"unknown department {code}")
    if data.time_limit:
        limit = _parse_limit(data.time_limit, "time_limit")
    elif rule:
        limit = rule.limit_for(Urgency(row.urgency))
    else:
        limit = TimeLimit.parse(ctx.settings.default_time_limit)
    due, warn = deadline(ctx, now, limit)
    return {
        "lead_department": lead,
        "co_departments": co,
        "time_limit": str(limit),
        "rule_version": ref.rule_version if rule else None,
        "due_at": due,
        "warn_at": warn,
    }


def _merge_into(
    session: Session,
    row: WorkOrderRow,
    order: WorkOrder,
    target_id: int | None,
    actor: Actor,
    now: datetime,
    ref: Reference,
) -> None:
    target = session.get(WorkOrderRow, target_id) if target_id is not None else None
    if target is None or not can_view(actor, scope_of(session, target, ref)):
        raise InvalidCommand("merge_into", f"no order {target_id}")
    if OrderStatus(target.status) in TERMINAL:
        raise InvalidCommand("merge_into", f"order {target.ticket_no} is already {target.status}")
    # The callers of both orders are followed together from now on.
    for appeal in session.execute(
        select(AppealRow).where(AppealRow.work_order_id == row.id)
    ).scalars():
        appeal.work_order_id = target.id
    target_order = order_from_row(target)
    target_order.record(Action.LINK, now, actor, f"合并工单 {row.ticket_no}", merged_from=row.id)
    target.updated_at = utcnow()
    append_events(session, target.id, target_order.new_events)


def _notify_callers(session: Session, row: WorkOrderRow, now: datetime) -> None:
    """Every caller of the order hears that it is closed (多人反映, 一并告知)."""
    reply = (row.reply_text or "").strip()
    excerpt = reply[:60] + ("…" if len(reply) > 60 else "")
    for ticket_no, phone in session.execute(
        select(AppealRow.ticket_no, AppealRow.reporter_phone).where(
            AppealRow.work_order_id == row.id, AppealRow.reporter_phone.is_not(None)
        )
    ):
        session.add(
            NotificationRow(
                created_at=now,
                channel="sms",
                recipient=phone,
                ticket_no=ticket_no,
                text=f"【12345】您反映的问题（受理编号{ticket_no}）已办结。{excerpt}",
            )
        )


def split_appeal(ctx: CityLoop, appeal_id: int, actor: Actor, note: str) -> dict[str, Any]:
    """拆分: an appeal linked to another caller's order by mistake gets its own order, back in
    the dispatch queue; both timelines record it."""
    if actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise PermissionDenied("only dispatchers split appeals")
    if not note.strip():
        raise InvalidCommand("note", "say why the appeal is a different matter")
    now = ctx.clock.now()
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        appeal = session.get(AppealRow, appeal_id)
        if appeal is None:
            raise NotFound(appeal_id)
        old = _load(session, appeal.work_order_id)
        if old.ticket_no == appeal.ticket_no:
            raise InvalidCommand("appeal_id", "this appeal opened the order; nothing to split")
        new = WorkOrder.receive(appeal.ticket_no, now, actor, note=f"从工单 {old.ticket_no} 拆分")
        new.execute(Command(Action.SUBMIT, now, note=note), actor)
        hit = ref.grids.locate(appeal.lon, appeal.lat) if appeal.lon and appeal.lat else None
        ancestry = ref.region_ancestry(hit.grid_code if hit else appeal.grid_code)
        by_level = {ref.regions[c].level: c for c in ancestry if c in ref.regions}
        row = WorkOrderRow(
            ticket_no=appeal.ticket_no,
            channel=appeal.channel,
            title=appeal.title or appeal.content[:30],
            content=appeal.content,
            category_code=appeal.category_code,
            urgency=appeal.urgency,
            grid_code=by_level.get("grid"),
            community_code=by_level.get("community"),
            street_code=by_level.get("street"),
            district_code=by_level.get("district"),
            lon=appeal.lon,
            lat=appeal.lat,
            received_at=appeal.received_at,
            routing={"split_from": old.id, "reason": note},
        )
        order_to_row(new, row)
        session.add(row)
        session.flush()
        appeal.work_order_id = row.id
        append_events(session, row.id, new.new_events)
        old_order = order_from_row(old)
        old_order.record(
            Action.SPLIT, now, actor, f"拆分诉求 {appeal.ticket_no}：{note}", split_to=row.id
        )
        append_events(session, old.id, old_order.new_events)
        uow.commit()
        new_id = row.id
    return get_order(ctx, new_id, actor, audit=False)


# -- reading ----------------------------------------------------------------------------------
def list_orders(
    ctx: CityLoop, actor: Actor, filters: OrderFilters, page: int, page_size: int
) -> dict[str, Any]:
    now = ctx.clock.now()
    stmt = _filtered(select(WorkOrderRow), actor, filters, now)
    with ctx.uow() as uow:
        total = uow.session.execute(
            _filtered(select(func.count()).select_from(WorkOrderRow), actor, filters, now)
        ).scalar_one()
        rows = uow.session.execute(
            stmt.order_by(_SORTS.get(filters.sort, _SORTS["-received_at"]), WorkOrderRow.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).scalars()
        ref = ctx.reference.get()
        items = [summary(ctx, r, ref, now) for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def _filtered(stmt: Select[Any], actor: Actor, f: OrderFilters, now: datetime) -> Select[Any]:
    clauses: list[Any] = []
    visible = visibility_clause(actor)
    if visible is not None:
        clauses.append(visible)
    if f.status:
        clauses.append(WorkOrderRow.status.in_([s.value for s in f.status]))
    if f.department:
        clauses.append(
            exists().where(
                AssignmentRow.work_order_id == WorkOrderRow.id,
                AssignmentRow.department_code == f.department,
            )
        )
    if f.category:
        clauses.append(starts_with(WorkOrderRow.category_code, f.category))
    if f.region:
        clauses.append(region_clause(f.region))
    if f.channel:
        clauses.append(WorkOrderRow.channel == f.channel)
    if f.received_from:
        clauses.append(WorkOrderRow.received_at >= f.received_from)
    if f.received_to:
        clauses.append(WorkOrderRow.received_at < f.received_to)
    if f.overdue is not None:
        held = WorkOrderRow.status.in_([s.value for s in WITH_DEPARTMENT])
        late = and_(held, WorkOrderRow.due_at < now)
        clauses.append(late if f.overdue else ~late)
    if f.q:
        like = f"%{f.q}%"
        clauses.append(
            or_(
                WorkOrderRow.ticket_no.like(like),
                WorkOrderRow.title.like(like),
                WorkOrderRow.content.like(like),
            )
        )
    return stmt.where(*clauses) if clauses else stmt


def _sla(ctx: CityLoop, row: WorkOrderRow, now: datetime) -> dict[str, Any] | None:
    if row.due_at is None or row.dispatched_at is None:
        return None
    status = OrderStatus(row.status)
    end = row.replied_at if status in (OrderStatus.REPLIED, OrderStatus.CLOSED) else None
    if status not in WITH_DEPARTMENT and end is None:
        return None
    r = reading(ctx, row.dispatched_at, row.due_at, end or now)
    return {
        "status": r.status.value,
        "label": r.status.label_zh,
        "used_fraction": round(r.used_fraction, 4),
        "remaining_seconds": round(r.remaining_seconds),
        "running": end is None,
    }


def summary(ctx: CityLoop, row: WorkOrderRow, ref: Reference, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "ticket_no": row.ticket_no,
        "status": row.status,
        "channel": row.channel,
        "title": row.title,
        "category_code": row.category_code,
        "category_path": ref.category_paths.get(row.category_code or ""),
        "urgency": row.urgency,
        "grid_code": row.grid_code,
        "region_name": ref.region_name(row.community_code) or ref.region_name(row.street_code),
        "lead_department": row.lead_department,
        "lead_department_name": ref.departments.get(row.lead_department or ""),
        "received_at": row.received_at,
        "due_at": row.due_at,
        "sla": _sla(ctx, row, now),
        "urge_count": row.urge_count,
        "rating": row.rating,
    }


def get_order(ctx: CityLoop, order_id: int, actor: Actor, audit: bool = True) -> dict[str, Any]:
    now = ctx.clock.now()
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        row = _load(session, order_id)
        scope = scope_of(session, row, ref)
        if not can_view(actor, scope):
            raise NotFound(order_id)
        unmasked = sees_personal_data(actor, scope)
        appeals = session.execute(
            select(AppealRow).where(AppealRow.work_order_id == row.id).order_by(AppealRow.id)
        ).scalars()
        events = session.execute(
            select(OrderEventRow)
            .where(OrderEventRow.work_order_id == row.id)
            .order_by(OrderEventRow.id)
        ).scalars()
        order = order_from_row(row)
        detail = summary(ctx, row, ref, now)
        detail.update(
            {
                "content": row.content,
                "lon": row.lon,
                "lat": row.lat,
                "region": {
                    lvl: {"code": code, "name": ref.region_name(code)}
                    for lvl, code in (
                        ("district", row.district_code),
                        ("street", row.street_code),
                        ("community", row.community_code),
                        ("grid", row.grid_code),
                    )
                    if code
                },
                "time_limit": row.time_limit,
                "rule_version": row.rule_version,
                "dispatched_at": row.dispatched_at,
                "accepted_at": row.accepted_at,
                "replied_at": row.replied_at,
                "closed_at": row.closed_at,
                "warn_at": row.warn_at,
                "reply_text": row.reply_text,
                "pending_extension": row.pending_extension,
                "extension_count": row.extension_count,
                "reopen_count": row.reopen_count,
                "return_count": row.return_count,
                "merged_into": row.merged_into,
                "cancel_reason": row.cancel_reason,
                "routing": row.routing,
                "assignments": [
                    {
                        "department_code": a.department_code,
                        "department_name": ref.departments.get(a.department_code),
                        "role": a.role,
                        "state": a.state,
                        "note": a.note,
                    }
                    for a in row.assignments
                ],
                "appeals": [_appeal_view(a, unmasked) for a in appeals],
                "timeline": [_event_view(e) for e in events],
                "personal_data_masked": not unmasked,
                "allowed_actions": [
                    a.value for a in order.allowed_actions() if may(actor, a, scope)
                ],
                "may_reveal": (not unmasked) and may_reveal(actor, scope),
            }
        )
        if audit and unmasked and actor.role is not Role.RESIDENT:
            # Every read of personal data by a role that sees it is on the record.
            add_audit(session, actor, "read_personal_data", row.ticket_no, {"order_id": row.id})
            uow.commit()
    return detail


def reveal(ctx: CityLoop, order_id: int, actor: Actor, reason: str) -> list[dict[str, Any]]:
    """Unmask the callers' contact details (查看完整信息): allowed to some roles, always audited."""
    if not reason.strip():
        raise InvalidCommand("reason", "say why the full personal data is needed")
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        row = _load(session, order_id)
        scope = scope_of(session, row, ref)
        if not can_view(actor, scope):
            raise NotFound(order_id)
        if not (sees_personal_data(actor, scope) or may_reveal(actor, scope)):
            raise PermissionDenied(f"role '{actor.role}' may not view residents' personal data")
        appeals = list(
            session.execute(
                select(AppealRow).where(AppealRow.work_order_id == row.id).order_by(AppealRow.id)
            ).scalars()
        )
        add_audit(session, actor, "reveal_personal_data", row.ticket_no, {"reason": reason})
        uow.commit()
        return [_appeal_view(a, True) for a in appeals]


def _appeal_view(a: AppealRow, unmasked: bool) -> dict[str, Any]:
    return {
        "id": a.id,
        "ticket_no": a.ticket_no,
        "channel": a.channel,
        "title": a.title,
        "content": a.content,
        "address": a.address if unmasked else mask_address(a.address),
        "reporter_name": a.reporter_name if unmasked else mask_name(a.reporter_name),
        "reporter_phone": a.reporter_phone if unmasked else mask_phone(a.reporter_phone),
        "received_at": a.received_at,
        "location_status": a.location_status,
        "attachments": a.attachments,
        "understanding": a.understanding,
    }


def _event_view(e: OrderEventRow) -> dict[str, Any]:
    return {
        "action": e.action,
        "at": e.at,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_name": e.actor_name,
        "actor_role": e.actor_role,
        "note": e.note,
        "data": e.data,
    }
