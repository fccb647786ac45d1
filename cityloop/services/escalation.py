"""Urgency and life safety at intake: step timers for new orders, urgency raised on an open
order when an urgent appeal joins it, and emergency hand-offs (110/119/120/122 联动)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from cityloop.domain.linkage import match_rule
from cityloop.domain.orders import Actor, OrderEvent
from cityloop.domain.statuses import OPEN, Action, OrderStatus, Urgency
from cityloop.domain.steps import Step, escalate
from cityloop.services import steps
from cityloop.services.context import CityLoop
from cityloop.services.reference import Reference
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow
from cityloop.store.repositories import event_values
from cityloop.store.steps import load_timers, save_timers

# Called by the intake write once the order's id is known, with the events it just wrote.
AfterWrite = Callable[[Connection, int, Sequence[OrderEvent]], None]

AGENCIES: dict[str, tuple[str, str]] = {
    "110": ("公安110指挥中心", "police (110)"),
    "119": ("消防119指挥中心", "fire service (119)"),
    "120": ("急救120指挥中心", "emergency medical service (120)"),
    "122": ("交警122指挥中心", "traffic police (122)"),
}

_ORDERS = cast(Table, WorkOrderRow.__table__)
_EVENTS = cast(Table, OrderEventRow.__table__)


def handoff_agencies(ctx: CityLoop, ref: Reference, category: str | None) -> list[str]:
    """The emergency services a city hands this category off to (settings), nearest first."""
    table = ctx.settings.emergency_handoffs
    if not table or not category:
        return []
    for code in reversed(ref.category_ancestry(category)):
        if code in table:
            return [a.strip() for a in table[code].split("|") if a.strip() in AGENCIES]
    return []


def handoffs(agencies: Sequence[str], at: datetime, note: str) -> list[dict[str, Any]]:
    return [
        {"agency": a, "to": AGENCIES[a][0], "at": at.isoformat(), "note": note} for a in agencies
    ]


def record_handoffs(order: Any, records: list[dict[str, Any]], at: datetime) -> None:
    """One timeline entry per hand-off on the aggregate (`WorkOrder.record`)."""
    for h in records:
        order.record(
            Action.HANDOFF,
            at,
            Actor.system(),
            f"已联动 {h['agency']}（{h['to']}）",
            agency=h["agency"],
            to=h["to"],
        )


def raise_urgency(ctx: CityLoop, appeal: AppealRow, actor: Actor, at: datetime) -> AfterWrite:
    """An urgent appeal joined an open order: the order becomes urgent (and life-safety when
    the appeal is), its open steps get the urgent limits from this moment, and the timeline
    says so. Nothing happens when the order is urgent already or closed."""

    def hook(conn: Connection, order_id: int, events: Sequence[OrderEvent]) -> None:
        # The appeal's number is taken by the write, so it is read only now.
        appeal_ticket, life_safety = appeal.ticket_no, bool(appeal.life_safety)
        row = conn.execute(
            select(
                _ORDERS.c.status,
                _ORDERS.c.urgency,
                _ORDERS.c.life_safety,
                _ORDERS.c.category_code,
                _ORDERS.c.grid_code,
                _ORDERS.c.due_at,
            ).where(_ORDERS.c.id == order_id)
        ).one()
        status = OrderStatus(row.status)
        already = Urgency(row.urgency) is Urgency.URGENT and (row.life_safety or not life_safety)
        if status not in OPEN or already:
            return
        ref = ctx.reference.get()
        rule = (
            match_rule(
                ref.rules,
                ref.category_ancestry(row.category_code),
                ref.region_ancestry(row.grid_code),
            )
            if row.category_code
            else None
        )
        complete = steps.completion_limit(ctx, rule, urgent=True)
        limits = steps.step_limits(ctx, urgent=True, complete=complete)
        before = load_timers(conn, order_id)
        after = escalate(before, at, limits, steps.CityCalendar(ctx))
        save_timers(conn, order_id, after, at, before)
        values: dict[str, Any] = {
            "urgency": Urgency.URGENT.value,
            "life_safety": bool(row.life_safety or life_safety),
            "version": _ORDERS.c.version + 1,
            "updated_at": at,
        }
        done = next((t for t in after if t.open and t.step is Step.COMPLETE), None)
        if done is not None and (row.due_at is None or done.due_at != row.due_at):
            values.update(due_at=done.due_at, warn_at=done.warn_at, time_limit=str(done.limit))
        conn.execute(update(_ORDERS).where(_ORDERS.c.id == order_id).values(**values))
        note = f"紧急诉求 {appeal_ticket} 并入，工单升级为紧急，各环节时限自此按紧急时限重算"
        moved = {
            t.step.value: t.due_at.isoformat()
            for t, old in zip(after, before, strict=False)
            if t.due_at != old.due_at
        }
        event = OrderEvent(
            Action.ESCALATE,
            at,
            status,
            status,
            actor.user_id,
            actor.name,
            actor.role,
            note,
            {"appeal_ticket": appeal_ticket, "life_safety": life_safety, "due": moved},
        )
        conn.execute(insert(_EVENTS), [event_values(order_id, event)])

    return hook
