"""Work-order use cases that change an order: act on it (with its step timers), dispatch,
merge, split. Reading lives in `order_views`, scope in `order_scope`; both are re-exported
here for the callers that know this module."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cityloop.domain.errors import IllegalTransition, InvalidCommand, PermissionDenied
from cityloop.domain.jurisdiction import can_view, may
from cityloop.domain.orders import Actor, Command, WorkOrder
from cityloop.domain.sla import LimitClock, LimitSyntaxError, TimeLimit, TimeUnit
from cityloop.domain.statuses import TERMINAL, Action, OrderStatus, Rating, Role
from cityloop.domain.steps import reply_blockers
from cityloop.services import steps
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import clock_of, deadline, extend
from cityloop.services.order_scope import (
    Conflict,
    NotFound,
    load_row,
    region_clause,
    scope_of,
    visibility_clause,
)
from cityloop.services.order_views import (
    OrderFilters,
    get_order,
    list_orders,
    reveal,
    summary,
)
from cityloop.services.reference import Reference
from cityloop.store.models import AppealRow, NotificationRow, WorkOrderRow, utcnow
from cityloop.store.repositories import append_events, order_from_row, order_to_row
from cityloop.store.steps import load_timers

__all__ = [
    "ActionInput",
    "Conflict",
    "NotFound",
    "OrderFilters",
    "act",
    "dispatch_payload",
    "get_order",
    "list_orders",
    "perform",
    "region_clause",
    "reveal",
    "scope_of",
    "split_appeal",
    "summary",
    "visibility_clause",
]

log = logging.getLogger("cityloop.orders")


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
    extension_amount: int | None = None
    extension_unit: str | None = None  # working_days | hours | natural_days
    reply_result: str | None = None  # resolved | partial | unresolved
    measures: str = ""
    photos_before: tuple[dict[str, Any], ...] = ()
    photos_after: tuple[dict[str, Any], ...] = ()


# The most an extension may ask for, per unit: more is a typing slip, not a plan.
EXTENSION_UNITS: dict[str, tuple[TimeUnit, LimitClock | None, int]] = {
    "working_days": (TimeUnit.DAYS, LimitClock.WORKING, 60),
    "hours": (TimeUnit.HOURS, None, 720),  # on the clock the order runs on
    "natural_days": (TimeUnit.DAYS, LimitClock.NATURAL, 90),
}
REPLY_RESULTS = {"resolved": "已解决", "partial": "部分解决", "unresolved": "无法解决"}


def extension_limit(data: ActionInput, order_clock: LimitClock) -> TimeLimit | None:
    """The extension asked for as a number and a unit, or None when it came as text."""
    if data.extension_amount is None and data.extension_unit is None:
        return None
    if data.extension and data.extension.strip():
        raise InvalidCommand("extension", "extension_one_way")
    if data.extension_amount is None:
        raise InvalidCommand("extension_amount", "missing")
    if data.extension_unit not in EXTENSION_UNITS:
        raise InvalidCommand("extension_unit", "extension_unit")
    unit, clock, most = EXTENSION_UNITS[data.extension_unit]
    if not 1 <= data.extension_amount <= most:
        raise InvalidCommand("extension_amount", "number_range", {"min": 1, "max": most})
    return TimeLimit(data.extension_amount, unit, clock or order_clock)


def _reply_record(action: Action, data: ActionInput) -> dict[str, Any]:
    """The structured reply's event data; refused on any action but a reply."""
    given = data.reply_result or data.measures.strip() or data.photos_before or data.photos_after
    if action is not Action.REPLY:
        if given:
            field = "result" if data.reply_result else "measures"
            raise InvalidCommand(field, "reply_only")
        return {}
    if not given:
        return {}
    if data.reply_result not in REPLY_RESULTS:
        raise InvalidCommand("result", "reply_result")
    if data.reply_result == "unresolved" and len(data.note.strip()) < 10:
        raise InvalidCommand("note", "unresolved_note", {"min_length": 10})
    return {
        "result": data.reply_result,
        "measures": data.measures.strip(),
        "photos_before": list(data.photos_before),
        "photos_after": list(data.photos_after),
    }


# -- acting -----------------------------------------------------------------------------------
def act(
    ctx: CityLoop, order_id: int, action: Action, data: ActionInput, actor: Actor
) -> dict[str, Any]:
    perform(ctx, order_id, action, data, actor)
    # The answer carries the order in full for the roles that see personal data: audited too.
    return get_order(ctx, order_id, actor)


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
        row = load_row(session, order_id)
        if not authorized:
            scope = scope_of(session, row, ref)
            if not can_view(actor, scope):
                raise NotFound(order_id)
            if not may(actor, action, scope):
                raise PermissionDenied(f"role '{actor.role}' may not '{action}' this order")
        order = order_from_row(row)
        conn = session.connection()
        timers = load_timers(conn, row.id)
        if action is Action.REPLY:
            scope = scope_of(session, row, ref)
            _refuse_skipped_steps(order, timers, actor, scope, now, ctx.settings.co_feedback_wait)
        reply = _reply_record(action, data)
        cmd = _command(ctx, ref, row, order, action, data, actor, now)
        order.execute(cmd, actor)
        if reply:
            order.new_events[-1].data.update(reply)
        if (
            action is Action.DISPATCH
            and data.category_code
            and data.category_code != (row.category_code)
        ):
            # A dispatcher's correction is kept as a labelled example for retraining.
            order.new_events[-1].data["category_from"] = row.category_code
            order.new_events[-1].data["category_to"] = data.category_code
            row.category_code = data.category_code
        after = steps.record(
            conn,
            ctx,
            row.id,
            timers,
            order.new_events,
            steps.is_urgent(row.urgency, row.life_safety),
            now,
        )
        if action is Action.REPLY:
            missing = sorted(set(steps.missing_co(after)) - set(steps.missing_co(timers)))
            if missing:
                # Counted against them (KPIs read the step rows); the timeline says who.
                order.new_events[-1].data["co_missing"] = missing
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


def _refuse_skipped_steps(
    order: WorkOrder,
    timers: list[Any],
    actor: Actor,
    scope: Any,
    now: datetime,
    wait_for_co: bool,
) -> None:
    """Steps a reply cannot skip: a pending extension is decided first, and the lead waits
    for co-handlers' feedback until their limit has passed (docs/ARCHITECTURE.md)."""
    allowed = [
        a.value for a in order.allowed_actions() if may(actor, a, scope) and a is not Action.REPLY
    ]
    if order.pending_extension is not None:
        raise IllegalTransition(
            Action.REPLY.value,
            order.status.value,
            allowed,
            f"延期申请（{order.pending_extension}）待审批，须先同意或驳回 / an extension request "
            f"({order.pending_extension}) is pending: approve or deny it before the reply",
            code="extension_pending",
            params={
                "extension": order.pending_extension,
                "resolve_with": [Action.APPROVE_EXTENSION.value, Action.DENY_EXTENSION.value],
            },
        )
    waiting = reply_blockers(timers, now) if wait_for_co else []
    if waiting and order.status in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS):
        depts = [t.department_code for t in waiting]
        until = max(t.due_at for t in waiting)
        raise IllegalTransition(
            Action.REPLY.value,
            order.status.value,
            allowed,
            f"协办单位 {'、'.join(d or '' for d in depts)} 尚未反馈，协办反馈时限到 "
            f"{until.isoformat()} 前不能答复 / co-handlers {', '.join(d or '' for d in depts)} "
            f"have not given feedback; the reply waits until {until.isoformat()}",
            code="co_feedback_pending",
            params={"departments": depts, "until": until.isoformat()},
        )


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
        order_clock = clock_of(order.time_limit)
        structured = extension_limit(data, order_clock)
        if structured is not None:
            text = str(structured)
            if structured.clock is not order_clock and "@" not in text:
                # "3d" alone would be read on the order's (natural) clock when approved.
                text = f"{text}@{structured.clock.value}"
            return Command(**base, extension=text)
        if data.extension:
            # More time on the clock the order already runs on, unless said otherwise.
            extra = _parse_limit(data.extension, "extension", clock_of(order.time_limit))
            return Command(**base, extension=str(extra))
        return Command(**base, extension=data.extension)
    if action is Action.APPROVE_EXTENSION:
        if order.pending_extension and order.due_at and order.dispatched_at:
            extra = TimeLimit.parse(order.pending_extension, clock_of(order.time_limit))
            due, warn = extend(ctx, order.dispatched_at, order.due_at, extra)
            return Command(**base, due_at=due, warn_at=warn)
        return Command(**base)
    if action in (Action.REJECT_REPLY, Action.RATE):
        rating = data.rating
        if action is Action.RATE and rating is None:
            raise InvalidCommand("rating", "missing")
        if action is Action.REJECT_REPLY or rating is Rating.UNSATISFIED:
            limit = TimeLimit.parse(order.time_limit or ctx.settings.default_time_limit)
            due, warn = deadline(ctx, now, limit)
            return Command(**base, rating=rating, due_at=due, warn_at=warn)
        return Command(**base, rating=rating)
    if action is Action.MERGE:
        if data.merge_into is None:
            raise InvalidCommand("merge_into", "missing")
        return Command(**base, merge_into=data.merge_into)
    if action is Action.CO_REPLY:
        return Command(**base, department_code=actor.department_code)
    return Command(**base)


def _parse_limit(
    text: str, field_name: str, default_clock: LimitClock = LimitClock.WORKING
) -> TimeLimit:
    try:
        return TimeLimit.parse(text, default_clock)
    except LimitSyntaxError as exc:
        raise InvalidCommand(field_name, exc.code, exc.params) from exc


def dispatch_payload(
    ctx: CityLoop, ref: Reference, row: WorkOrderRow, data: ActionInput, now: datetime
) -> dict[str, Any]:
    from cityloop.domain.linkage import match_rule

    category = data.category_code or row.category_code
    if category and category not in ref.categories:
        raise InvalidCommand("category_code", "unknown_category", {"code": category})
    rule = (
        match_rule(ref.rules, ref.category_ancestry(category), ref.region_ancestry(row.grid_code))
        if category
        else None
    )
    lead = data.lead_department or (rule.lead_department if rule else None)
    if not lead:
        raise InvalidCommand("lead_department", "no_linkage_rule")
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
            raise InvalidCommand(name, "unknown_department", {"code": code})
    urgent = steps.is_urgent(row.urgency, bool(row.life_safety))
    if data.time_limit:
        # Urgent limits default to the natural clock: "2h" for a gas leak is two real hours.
        clock = LimitClock.NATURAL if urgent else LimitClock.WORKING
        limit = _parse_limit(data.time_limit, "time_limit", clock)
    else:
        limit = steps.completion_limit(ctx, rule, urgent)
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
        raise InvalidCommand("merge_into", "unknown_order", {"id": target_id})
    if OrderStatus(target.status) in TERMINAL:
        raise InvalidCommand(
            "merge_into", "order_not_open", {"ticket": target.ticket_no, "status": target.status}
        )
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
        raise InvalidCommand("note", "reason_required")
    now = ctx.clock.now()
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        appeal = session.get(AppealRow, appeal_id)
        if appeal is None:
            raise NotFound(appeal_id)
        old = load_row(session, appeal.work_order_id)
        if old.ticket_no == appeal.ticket_no:
            raise InvalidCommand("appeal_id", "split_first_appeal")
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
            life_safety=bool(appeal.life_safety),
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
        urgent = steps.is_urgent(row.urgency, row.life_safety)
        steps.record(session.connection(), ctx, row.id, [], new.new_events, urgent, now)
        append_events(session, row.id, new.new_events)
        old_order = order_from_row(old)
        old_order.record(
            Action.SPLIT, now, actor, f"拆分诉求 {appeal.ticket_no}：{note}", split_to=row.id
        )
        append_events(session, old.id, old_order.new_events)
        uow.commit()
        new_id = row.id
    return get_order(ctx, new_id, actor)  # audited like any full answer
