"""Reading work orders: lists with filters and watch lists, one order with its timeline and
step timers, and unmasking callers' contact details (audited)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select

from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.jurisdiction import can_view, may, may_reveal, sees_personal_data
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_address, mask_name, mask_phone, mask_text
from cityloop.domain.remaining import order_remaining_words
from cityloop.domain.sla import LimitClock, TimeLimit
from cityloop.domain.statuses import WITH_DEPARTMENT, Action, OrderStatus, Role
from cityloop.domain.steps import Step, StepTimer, reply_blockers
from cityloop.services import attachments, steps
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import clock_of, reading
from cityloop.services.order_scope import (
    NotFound,
    load_row,
    region_clause,
    scope_of,
    visibility_clause,
)
from cityloop.services.reference import Reference
from cityloop.services.watch import Watch, life_safety_first, watch_clause
from cityloop.store.models import AppealRow, AssignmentRow, OrderEventRow, WorkOrderRow
from cityloop.store.prefix import starts_with
from cityloop.store.repositories import add_audit, order_from_row
from cityloop.store.steps import load_timers, timers_by_order


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
    watch: Watch | None = None  # a watch list (services/watch.py)
    overdue_step: Step | None = None  # with watch=overdue (or warning): only this step


_SORTS: dict[str, Any] = {
    "received_at": WorkOrderRow.received_at.asc(),
    "-received_at": WorkOrderRow.received_at.desc(),
    "due_at": WorkOrderRow.due_at.asc(),
    "-due_at": WorkOrderRow.due_at.desc(),
}


def list_orders(
    ctx: CityLoop, actor: Actor, filters: OrderFilters, page: int, page_size: int
) -> dict[str, Any]:
    now = ctx.clock.now()
    stmt = _filtered(select(WorkOrderRow), actor, filters, now)
    with ctx.uow() as uow:
        total = uow.session.execute(
            _filtered(select(func.count()).select_from(WorkOrderRow), actor, filters, now)
        ).scalar_one()
        rows = list(
            uow.session.execute(
                stmt.order_by(
                    life_safety_first(),
                    _SORTS.get(filters.sort, _SORTS["-received_at"]),
                    WorkOrderRow.id.desc(),
                )
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).scalars()
        )
        ref = ctx.reference.get()
        timers = timers_by_order(uow.session.connection(), [r.id for r in rows])
        items = [summary(ctx, r, ref, now, timers[r.id]) for r in rows]
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
    if f.watch is not None:
        clauses.append(watch_clause(f.watch, now, f.overdue_step))
    if f.q:
        # autoescape: a % or _ the caller typed matches itself, not any text
        clauses.append(
            or_(
                WorkOrderRow.ticket_no.contains(f.q, autoescape=True),
                WorkOrderRow.title.contains(f.q, autoescape=True),
                WorkOrderRow.content.contains(f.q, autoescape=True),
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
    clock = clock_of(row.time_limit)
    r = reading(ctx, row.dispatched_at, row.due_at, end or now, clock)
    day = ctx.sla.office_hours.seconds_per_day
    return {
        "status": r.status.value,
        "label": r.status.label_zh,
        "used_fraction": round(r.used_fraction, 4),
        "remaining_seconds": round(r.remaining_seconds),
        "running": end is None,
        # Which clock the seconds are on, and how long its day is, so that the console says
        # "剩余 2.6 个工作日" rather than "23小时38分" (domain/remaining.py).
        "clock": clock.value,
        "day_seconds": day if clock is LimitClock.WORKING else 86400,
        "remaining_text": order_remaining_words(r.remaining_seconds, clock, day).as_dict(),
    }


def summary(
    ctx: CityLoop,
    row: WorkOrderRow,
    ref: Reference,
    now: datetime,
    timers: list[StepTimer] | None = None,
) -> dict[str, Any]:
    timers = timers or []
    return {
        "id": row.id,
        "ticket_no": row.ticket_no,
        "status": row.status,
        "channel": row.channel,
        # Lists show the title with personal data in it masked for everyone (details unmask).
        "title": mask_text(row.title),
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
        "life_safety": bool(row.life_safety),
        "handled_on_spot": bool(row.handled_on_spot),
        # Where the problem is (the grid worker's map of their open orders; no address).
        "lat": row.lat,
        "lon": row.lon,
        "next_due": steps.next_due(ctx, timers, now),
        "step_state": steps.step_state(timers, now),
    }


def get_order(ctx: CityLoop, order_id: int, actor: Actor, audit: bool = True) -> dict[str, Any]:
    now = ctx.clock.now()
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        row = load_row(session, order_id)
        scope = scope_of(session, row, ref)
        if not can_view(actor, scope):
            raise NotFound(order_id)
        unmasked = sees_personal_data(actor, scope)
        appeals = list(
            session.execute(
                select(AppealRow).where(AppealRow.work_order_id == row.id).order_by(AppealRow.id)
            ).scalars()
        )
        names = [a.reporter_name for a in appeals if a.reporter_name]

        def text(value: str | None) -> str | None:
            # Free text as the actor may see it: personal data masked unless unmasked.
            return value if unmasked else mask_text(value, names)

        events = list(
            session.execute(
                select(OrderEventRow)
                .where(OrderEventRow.work_order_id == row.id)
                .order_by(OrderEventRow.id)
            ).scalars()
        )
        order = order_from_row(row)
        timers = load_timers(session.connection(), row.id)
        detail = summary(ctx, row, ref, now, timers)
        allowed = [a for a in order.allowed_actions() if may(actor, a, scope)]
        waiting = ctx.settings.co_feedback_wait and reply_blockers(timers, now)
        if Action.REPLY in allowed and (row.pending_extension or waiting):
            allowed.remove(Action.REPLY)  # steps a reply cannot skip (services/orders.py)
        detail.update(
            {
                "title": text(row.title),
                "content": text(row.content),
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
                "reply_text": text(row.reply_text),
                "pending_extension": row.pending_extension,
                "pending_extension_label": _limit_label(row.pending_extension, row.time_limit),
                "time_limit_label": _limit_label(row.time_limit, row.time_limit),
                "reply": _last_reply(events),
                "extension_count": row.extension_count,
                "reopen_count": row.reopen_count,
                "return_count": row.return_count,
                "merged_into": row.merged_into,
                "cancel_reason": row.cancel_reason,
                # The routing explanation quotes the caller's words (the urgent phrase, the
                # model's evidence): masked like every other free text.
                "routing": row.routing if unmasked else _masked(row.routing, text),
                "assignments": [
                    {
                        "department_code": a.department_code,
                        "department_name": ref.departments.get(a.department_code),
                        "role": a.role,
                        "state": a.state,
                        "note": text(a.note),
                    }
                    for a in row.assignments
                ],
                "appeals": [_appeal_view(a, unmasked, names) for a in appeals],
                "timeline": [_event_view(e, unmasked, names) for e in events],
                "personal_data_masked": not unmasked,
                "allowed_actions": [a.value for a in allowed],
                "steps": [steps.step_view(ctx, t, now) for t in timers],
                "handoffs": row.handoffs or [],
                "may_reveal": (not unmasked) and may_reveal(actor, scope),
            }
        )
        if audit and unmasked and actor.role is not Role.RESIDENT:
            # Every read of personal data by a role that sees it is on the record.
            add_audit(session, actor, "read_personal_data", row.ticket_no, {"order_id": row.id})
            uow.commit()
    return detail


def _masked(value: Any, text: Callable[[str | None], str | None]) -> Any:
    """Every string inside a JSON value passed through the free-text mask."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: _masked(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, text) for v in value]
    return value


def reveal(ctx: CityLoop, order_id: int, actor: Actor, reason: str) -> list[dict[str, Any]]:
    """Unmask the callers' contact details (查看完整信息): allowed to some roles, always audited."""
    if not reason.strip():
        raise InvalidCommand("reason", "reason_full_data")
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        row = load_row(session, order_id)
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


def _appeal_view(a: AppealRow, unmasked: bool, names: list[str] | None = None) -> dict[str, Any]:
    names = names or ([a.reporter_name] if a.reporter_name else [])
    return {
        "id": a.id,
        "ticket_no": a.ticket_no,
        "channel": a.channel,
        "title": a.title if unmasked else mask_text(a.title, names),
        "content": a.content if unmasked else mask_text(a.content, names),
        "address": a.address if unmasked else mask_address(a.address),
        "reporter_name": a.reporter_name if unmasked else mask_name(a.reporter_name),
        "reporter_phone": a.reporter_phone if unmasked else mask_phone(a.reporter_phone),
        "received_at": a.received_at,
        "location_status": a.location_status,
        # Signed, expiring links: the console's <img> sends no bearer token.
        "attachments": [
            {**m, "download_url": attachments.download_url(str(m.get("url", "")))}
            if isinstance(m, dict)
            else m
            for m in a.attachments or []
        ],
        "understanding": a.understanding if unmasked else _masked_understanding(a.understanding),
    }


def _masked_understanding(understood: dict[str, Any] | None) -> dict[str, Any] | None:
    """The link's evidence names the shared address: masked like the address field."""
    dup = (understood or {}).get("duplicate")
    if not isinstance(dup, dict):
        return understood
    evidence = dict(dup.get("evidence") or {})
    if evidence.get("same_address"):
        evidence["same_address"] = mask_address(evidence["same_address"])
    masked = {**dup, "reasons": mask_address(dup.get("reasons")), "evidence": evidence}
    return {**(understood or {}), "duplicate": masked}


def _limit_label(text: str | None, order_limit: str | None) -> dict[str, str] | None:
    """A stored limit ("3d", "8h@natural") in words: 3个工作日, 8小时（自然时）."""
    if not text:
        return None
    try:
        limit = TimeLimit.parse(text, clock_of(order_limit))
    except ValueError:
        return {"zh": text, "en": text}
    return {"zh": limit.label_zh, "en": limit.label_en}


def _signed(items: Any) -> list[Any]:
    return [
        {**m, "download_url": attachments.download_url(str(m.get("url", "")))}
        if isinstance(m, dict)
        else m
        for m in items or []
    ]


def _last_reply(events: list[OrderEventRow]) -> dict[str, Any] | None:
    """The structured part of the latest reply (办理结果, measures, photos), if it had one."""
    for e in reversed(events):
        if e.action == Action.REPLY.value:
            data = e.data or {}
            if "result" not in data:
                return None
            return {
                "result": data["result"],
                "measures": data.get("measures", ""),
                "photos_before": _signed(data.get("photos_before")),
                "photos_after": _signed(data.get("photos_after")),
                "at": e.at,
            }
    return None


def _event_view(
    e: OrderEventRow, unmasked: bool = True, names: list[str] | None = None
) -> dict[str, Any]:
    return {
        "action": e.action,
        "at": e.at,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_name": e.actor_name,
        "actor_role": e.actor_role,
        "note": e.note if unmasked else mask_text(e.note, names or ()),
        "data": e.data,
    }
