"""Deadline sweep (时限监控): 签收超时, 预警 and 超期 as they happen, told once each.

Overdue is not a stored status (a reading compares due_at with now), so the sweep looks for
orders whose moment passed since the lookback window began; the message key (order, the
deadline it is about) makes each one told once however often the sweep runs, and a deadline
moved by an extension is a new moment, told again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import WITH_DEPARTMENT, OrderStatus
from cityloop.operations.notify.service import emit
from cityloop.operations.notify.templates import Event, Notice
from cityloop.operations.tails import _depts, _first_address, live_order, order_notice, place_of
from cityloop.services import deadlines
from cityloop.services.context import CityLoop
from cityloop.store.models import WorkOrderRow

HOLDING = sorted(s.value for s in WITH_DEPARTMENT)
# The screen hears of an order going overdue when its deadline passed since about the last
# sweep (every minute); the screen drops a repeat of the same order and kind.
LIVE_WINDOW = timedelta(seconds=120)


def sweep_deadlines(ctx: CityLoop) -> dict[str, Any]:
    now = ctx.clock.now()
    since = now - timedelta(hours=ctx.settings.notify_lookback_hours)
    ref = ctx.reference.get()
    accept_limit = TimeLimit.parse(ctx.settings.notify_accept_timeout)
    overdue_live: list[tuple[WorkOrderRow, str]] = []
    counts = {"warning": 0, "overdue": 0, "accept_timeout": 0}
    with ctx.uow() as uow:
        s = uow.session
        due_rows = s.scalars(
            select(WorkOrderRow).where(
                WorkOrderRow.status.in_(HOLDING),
                WorkOrderRow.due_at > since,
                WorkOrderRow.due_at <= now + timedelta(days=30),
            )
        ).all()
        waiting = s.scalars(
            select(WorkOrderRow).where(
                WorkOrderRow.status == OrderStatus.DISPATCHED.value,
                WorkOrderRow.dispatched_at > since - timedelta(days=7),
                # A working-time limit is never shorter than the same wall-clock time.
                WorkOrderRow.dispatched_at <= now - accept_limit.natural_delta,
            )
        ).all()
        addresses = _first_address(s, [w.id for w in (*due_rows, *waiting)])
        notices: list[Notice] = []
        for w in due_rows:
            assert w.due_at is not None
            addr = addresses.get(w.id, "")
            stamp = w.due_at.isoformat()
            if w.due_at <= now:
                notices.append(
                    order_notice(
                        ctx,
                        ref,
                        w,
                        Event.OVERDUE,
                        f"overdue:{w.id}:{stamp}",
                        addr,
                        addr,
                        departments=_depts(w),
                        region_code=w.grid_code,
                    )
                )
                overdue_live.append((w, place_of(ref, addr, w.grid_code)))
                counts["overdue"] += 1
            elif w.warn_at is not None and w.warn_at <= now and w.warn_at > since:
                notices.append(
                    order_notice(
                        ctx,
                        ref,
                        w,
                        Event.WARNING,
                        f"warning:{w.id}:{stamp}",
                        "",
                        addr,
                        departments=_depts(w),
                    )
                )
                counts["warning"] += 1
        for w in waiting:
            assert w.dispatched_at is not None
            limit_at, _warn = deadlines.deadline(ctx, w.dispatched_at, accept_limit)
            if limit_at > now:
                continue
            addr = addresses.get(w.id, "")
            notices.append(
                order_notice(
                    ctx,
                    ref,
                    w,
                    Event.ACCEPT_TIMEOUT,
                    f"accept_timeout:{w.id}:{w.dispatched_at.isoformat()}",
                    "",
                    addr,
                    departments=_depts(w),
                    region_code=w.grid_code,
                )
            )
            counts["accept_timeout"] += 1
        created = emit(ctx, notices, s)
        uow.commit()
    for w, place in overdue_live:
        assert w.due_at is not None
        if w.due_at > now - LIVE_WINDOW:
            live_order(ctx, "overdue", w, place, due_at=w.due_at.isoformat())
    return {**counts, "messages": created}
