"""What happened since the last look: order events, sensor incidents, new appeals and the
residents' outbox, read in id order from a cursor, turned into notices and live events.

Tailing the tables the services already write keeps the hot paths (intake at ~1,000/s, the
sensing pipeline) free of notification work, and nothing is lost if a worker is down: the
next run reads on from the cursor. Message keys make a re-read harmless, so each tail also
re-reads a small overlap behind its cursor: a PostgreSQL sequence hands out ids before their
transactions commit, so a row with a smaller id can become visible after a larger one."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from cityloop.domain.statuses import Action, OrderStatus, Urgency
from cityloop.operations import events
from cityloop.operations.notify.service import emit
from cityloop.operations.notify.templates import Event, Notice
from cityloop.operations.store import CursorRow
from cityloop.services.context import CityLoop
from cityloop.services.reference import Reference
from cityloop.store.models import AppealRow, NotificationRow, OrderEventRow, WorkOrderRow

OVERLAP = 500  # ids re-read behind a cursor (see the module note)
BATCH = 5000
# Ids this process handled within the overlap, per engine and tail: a re-read skips them, so
# only rows that became visible late (or that another worker handled) are looked at again.
_HANDLED: weakref.WeakKeyDictionary[Engine, dict[str, set[int]]] = weakref.WeakKeyDictionary()


def _fresh_rows(ctx: CityLoop, name: str, start: int, ids: list[int]) -> set[int]:
    """The ids of this batch to handle: new ones, and overlap ones not handled here yet."""
    handled = _HANDLED.setdefault(ctx.engine, {}).setdefault(name, set())
    todo = {i for i in ids if i > start or i not in handled}
    handled.update(ids)
    floor = (max(ids) if ids else start) - OVERLAP
    for i in [i for i in handled if i <= floor]:
        handled.discard(i)
    return todo


@dataclass
class TailReport:
    read: int = 0
    notices: int = 0
    messages: int = 0
    live: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "notices": self.notices,
            "messages": self.messages,
            "live": self.live,
            **self.extra,
        }


def _cursor(session: Session, name: str, current_max: int | None, now: datetime) -> int:
    row = session.get(CursorRow, name)
    if row is None:
        # A first start reads on from now: history is not announced again.
        row = CursorRow(name=name, value=current_max or 0, updated_at=now)
        session.add(row)
        session.flush()
    return int(row.value)


def _advance(session: Session, name: str, value: int, now: datetime) -> None:
    session.execute(
        update(CursorRow)
        .where(CursorRow.name == name, CursorRow.value < value)
        .values(value=value, updated_at=now)
    )


def local_text(ctx: CityLoop, at: datetime | None) -> str:
    if at is None:
        return ""
    t = ctx.local(at)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def place_of(ref: Reference, address: str | None, grid_code: str | None) -> str:
    names = [ref.regions[c].name for c in ref.region_ancestry(grid_code) if c in ref.regions]
    area = "".join(names[-3:]) if names else ""
    return "，".join(p for p in (address or "", area) if p)


def order_notice(
    ctx: CityLoop,
    ref: Reference,
    w: WorkOrderRow,
    event: Event,
    key: str,
    note: str = "",
    address: str = "",
    **kw: Any,
) -> Notice:
    return Notice(
        event=event,
        key=key,
        ticket_no=w.ticket_no,
        order_id=w.id,
        title=w.title,
        place=place_of(ref, address, w.grid_code),
        category=ref.category_paths.get(w.category_code or "", ""),
        department=ref.departments.get(w.lead_department or "", w.lead_department or ""),
        due=local_text(ctx, w.due_at),
        note=note,
        urgent=w.urgency == Urgency.URGENT.value or bool(getattr(w, "life_safety", False)),
        **kw,
    )


def _first_address(session: Session, order_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not order_ids:
        return out
    for oid, addr in session.execute(
        select(AppealRow.work_order_id, AppealRow.address)
        .where(AppealRow.work_order_id.in_(order_ids), AppealRow.address != "")
        .order_by(AppealRow.id)
    ):
        out.setdefault(oid, addr)
    return out


def live_order(ctx: CityLoop, kind: str, w: WorkOrderRow, place: str, **extra: Any) -> None:
    events.publish(
        ctx.settings,
        kind,
        order_id=w.id,
        ticket_no=w.ticket_no,
        title=w.title,
        place=place,
        urgency=w.urgency,
        life_safety=bool(getattr(w, "life_safety", False)),
        lon=w.lon,
        lat=w.lat,
        # the stream shows a supervisor the events in their region only (by this code)
        grid_code=w.grid_code,
        at=ctx.clock.now().isoformat(),
        **extra,
    )


def tail_order_events(ctx: CityLoop) -> TailReport:
    """派单 → the departments; 督办 → the departments (and live); 退单 → the dispatchers;
    重办 → the departments; a new urgent or life-safety order → the dispatchers (and live)."""
    report = TailReport()
    ref = ctx.reference.get()
    now = ctx.clock.now()
    after: list[tuple[str, WorkOrderRow, str, dict[str, Any]]] = []
    with ctx.uow() as uow:
        s = uow.session
        top = s.execute(select(func.max(OrderEventRow.id))).scalar()
        start = _cursor(s, "order_events", top, now)
        rows = s.scalars(
            select(OrderEventRow)
            .where(OrderEventRow.id > max(start - OVERLAP, 0))
            .order_by(OrderEventRow.id)
            .limit(BATCH)
        ).all()
        report.read = len(rows)
        last_id = rows[-1].id if rows else None
        todo = _fresh_rows(ctx, "order_events", start, [e.id for e in rows])
        rows = [e for e in rows if e.id in todo]
        orders = {
            w.id: w
            for w in s.scalars(
                select(WorkOrderRow).where(WorkOrderRow.id.in_({e.work_order_id for e in rows}))
            )
        }
        addresses = _first_address(s, list(orders))
        notices: list[Notice] = []
        for e in rows:
            w = orders.get(e.work_order_id)
            if w is None:
                continue
            addr = addresses.get(w.id, "")
            key = f"ev{e.id}"
            fresh = e.id > start  # the overlap's events were announced live already
            if e.action == Action.DISPATCH.value:
                notices.append(
                    order_notice(
                        ctx, ref, w, Event.DISPATCH, key, w.content, addr, departments=_depts(w)
                    )
                )
            elif e.action == Action.URGE.value:
                notices.append(
                    order_notice(
                        ctx,
                        ref,
                        w,
                        Event.URGE,
                        key,
                        e.note,
                        addr,
                        departments=_depts(w),
                        region_code=w.grid_code,
                    )
                )
                if fresh:
                    after.append(("urge", w, addr, {"note": e.note}))
            elif e.action == Action.RETURN.value:
                notices.append(
                    order_notice(ctx, ref, w, Event.RETURN, key, e.note, addr, to_dispatchers=True)
                )
            elif e.to_status == OrderStatus.REOPENED.value and e.from_status != e.to_status:
                notices.append(
                    order_notice(
                        ctx, ref, w, Event.REOPEN, key, e.note, addr, departments=_depts(w)
                    )
                )
            elif e.action == Action.RECEIVE.value and fresh:
                life = bool(getattr(w, "life_safety", False))
                if life or w.urgency == Urgency.URGENT.value:
                    after.append(("life_safety" if life else "urgent_order", w, addr, {}))
        report.notices = len(notices)
        report.messages = emit(ctx, notices, s)
        if last_id is not None:
            _advance(s, "order_events", last_id, now)
        uow.commit()
    for kind, w, addr, extra in after:
        live_order(ctx, kind, w, place_of(ref, addr, w.grid_code), **extra)
    report.live = len(after)
    return report


def _depts(w: WorkOrderRow) -> tuple[str, ...]:
    codes = tuple(a.department_code for a in w.assignments)
    return codes or ((w.lead_department,) if w.lead_department else ())


def tail_incidents(ctx: CityLoop) -> TailReport:
    """告警: a sensor incident opened → the owning department, the grid's supervisors, the
    command centre (leaders), and the screen."""
    from cityloop.domain.statuses import Role
    from cityloop.sensing.store import DeviceRow, IncidentRow

    report = TailReport()
    ref = ctx.reference.get()
    now = ctx.clock.now()
    live: list[dict[str, Any]] = []
    with ctx.uow() as uow:
        s = uow.session
        top = s.execute(select(func.max(IncidentRow.id))).scalar()
        start = _cursor(s, "sensing_incidents", top, now)
        rows = s.execute(
            select(IncidentRow, DeviceRow)
            .join(DeviceRow, DeviceRow.id == IncidentRow.device_pk)
            .where(IncidentRow.id > max(start - OVERLAP, 0))
            .order_by(IncidentRow.id)
            .limit(BATCH)
        ).all()
        report.read = len(rows)
        last_incident = rows[-1][0].id if rows else None
        todo = _fresh_rows(ctx, "sensing_incidents", start, [i.id for i, _ in rows])
        rows = [r for r in rows if r[0].id in todo]
        orders = {
            w.id: w
            for w in s.scalars(
                select(WorkOrderRow).where(
                    WorkOrderRow.id.in_({i.work_order_id for i, _ in rows if i.work_order_id})
                )
            )
        }
        notices: list[Notice] = []
        for inc, dev in rows:
            w = orders.get(inc.work_order_id or -1)
            title = w.title if w is not None else f"{dev.name or dev.device_id} {inc.rule_id}"
            depts = _depts(w) if w is not None else ()
            if dev.owner_kind == "department" and dev.owner_code:
                depts = tuple(dict.fromkeys((*depts, dev.owner_code)))
            place = place_of(ref, dev.address, dev.grid_code)
            notices.append(
                Notice(
                    event=Event.ALARM,
                    key=f"inc{inc.id}",
                    ticket_no=inc.ticket_no,
                    order_id=inc.work_order_id,
                    title=title,
                    place=place,
                    urgent=True,
                    departments=depts,
                    region_code=dev.grid_code,
                    to_roles=(Role.LEADER.value,),
                    data={"device_id": dev.device_id, "rule_id": inc.rule_id},
                )
            )
            if inc.id > start:
                live.append(
                    {
                        "incident_id": inc.id,
                        "order_id": inc.work_order_id,
                        "ticket_no": inc.ticket_no,
                        "title": title,
                        "place": place,
                        "device_id": dev.device_id,
                        "device_type": dev.type,
                        "rule_id": inc.rule_id,
                        "lon": dev.lon,
                        "lat": dev.lat,
                        "grid_code": dev.grid_code,
                        "at": inc.opened_at.isoformat(),
                    }
                )
        report.notices = len(notices)
        report.messages = emit(ctx, notices, s)
        if last_incident is not None:
            _advance(s, "sensing_incidents", last_incident, now)
        uow.commit()
    for data in live:
        events.publish(ctx.settings, "alarm", **data)
    report.live = len(live)
    return report


def tail_residents(ctx: CityLoop) -> TailReport:
    """Residents who gave a phone: the ticket on intake (受理告知), the answer on reply (the
    outbox rows the order service writes when an order closes)."""
    report = TailReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        notices: list[Notice] = []
        top = s.execute(select(func.max(AppealRow.id))).scalar()
        start = _cursor(s, "appeals", top, now)
        appeals = s.execute(
            select(AppealRow.id, AppealRow.ticket_no, AppealRow.reporter_phone)
            .where(AppealRow.id > max(start - OVERLAP, 0))
            .order_by(AppealRow.id)
            .limit(BATCH)
        ).all()
        todo = _fresh_rows(ctx, "appeals", start, [a[0] for a in appeals])
        for aid, ticket, phone in appeals:
            if phone and aid in todo:
                notices.append(
                    Notice(
                        event=Event.INTAKE,
                        key=f"intake:{ticket}",
                        ticket_no=ticket,
                        resident_phone=phone,
                    )
                )
        outbox = s.scalars(
            select(NotificationRow)
            .where(NotificationRow.sent_at.is_(None), NotificationRow.channel == "sms")
            .order_by(NotificationRow.id)
            .limit(BATCH)
        ).all()
        for o in outbox:
            notices.append(
                Notice(
                    event=Event.REPLY,
                    key=f"outbox{o.id}",
                    ticket_no=o.ticket_no,
                    resident_phone=o.recipient,
                    data={"text": o.text},
                )
            )
            o.sent_at = now  # handed to the delivery queue, which tracks it from here
        report.read = len(appeals) + len(outbox)
        report.notices = len(notices)
        report.messages = emit(ctx, notices, s)
        if appeals:
            _advance(s, "appeals", appeals[-1][0], now)
        uow.commit()
    return report
