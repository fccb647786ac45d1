"""Write the flash reports an urgent order is due (a job every few seconds calls `write_due`),
deliver them to the leaders, and read them back for the screen and the downloads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.analytics.flash.compose import (
    KIND_LABELS,
    Incident,
    Report,
    ReportKind,
    Step,
    compose,
    due_reports,
)
from cityloop.analytics.flash.store import FlashReportRow
from cityloop.domain.errors import PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import STATUS_LABELS, OrderStatus, Role
from cityloop.services.context import CityLoop
from cityloop.services.order_scope import NotFound, visibility_clause
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow

READERS = frozenset({Role.LEADER, Role.DISPATCHER, Role.SUPERVISOR})
CENTRE = "城市运行管理指挥中心"
WINDOW = timedelta(days=7)  # orders older than this get no new reports (a backlog is history)


def _place(ctx: CityLoop, row: WorkOrderRow) -> str:
    ref = ctx.reference.get()
    names = [
        ref.regions[c].name
        for c in (row.district_code, row.street_code, row.community_code)
        if c and c in ref.regions
    ]
    spot = ((row.routing or {}).get("place") or {}).get("name")
    return "".join(names) + (spot or "")


def incident_of(
    ctx: CityLoop,
    s: Session,
    row: WorkOrderRow,
    events: Sequence[OrderEventRow] | None = None,
    reporters: int | None = None,
) -> Incident:
    """The order as a report reads it; `events` (in id order) and the number of `reporters`
    when the caller has read them for many orders at once."""
    ref = ctx.reference.get()
    steps = []
    if events is None:
        events = (
            s.execute(
                select(OrderEventRow)
                .where(OrderEventRow.work_order_id == row.id)
                .order_by(OrderEventRow.id)
            )
            .scalars()
            .all()
        )
    for e in events:
        data = e.data or {}
        code = data.get("lead_department") or data.get("department_code") or data.get("department")
        dept = ref.departments.get(code, code) if isinstance(code, str) else None
        if dept is None and e.action in ("accept", "return", "reply"):
            dept = row.lead_department and ref.departments.get(row.lead_department)
        try:
            label = STATUS_LABELS[OrderStatus(e.to_status)][0]
        except ValueError:
            label = ""
        steps.append(
            Step(
                action=e.action,
                at=ctx.local(e.at),
                actor=e.actor_name,
                note=e.note or "",
                department=dept,
                agency=data.get("agency"),
                to_status=e.to_status,
                status_label=label,
                co_departments=tuple(
                    ref.departments.get(c, c) for c in data.get("co_departments") or ()
                ),
            )
        )
    if reporters is None:
        reporters = s.execute(
            select(func.count()).select_from(AppealRow).where(AppealRow.work_order_id == row.id)
        ).scalar_one()
    try:
        status_label = STATUS_LABELS[OrderStatus(row.status)][0]
    except ValueError:
        status_label = row.status
    due = ctx.local(row.due_at) if row.due_at else None
    return Incident(
        ticket_no=row.ticket_no,
        title=row.title,
        content=row.content,
        category=ref.category_paths.get(row.category_code or "", ""),
        place=_place(ctx, row),
        channel=row.channel,
        received_at=ctx.local(row.received_at),
        urgency="life_safety" if row.life_safety else row.urgency,
        status_label=status_label,
        due_text=f"{due.month}月{due.day}日{due.hour}时{due.minute:02d}分" if due else "",
        reporters=int(reporters or 1),
        departments=tuple(
            ref.departments.get(a.department_code, a.department_code) for a in row.assignments
        ),
        steps=tuple(steps),
        reply=row.reply_text or "",
        region_code=row.street_code,
    )


def _urgent_since(since: datetime) -> Any:
    return (
        or_(WorkOrderRow.urgency == "urgent", WorkOrderRow.life_safety.is_(True)),
        WorkOrderRow.received_at >= since,
    )


def write_due(
    ctx: CityLoop, now: datetime | None = None, window: timedelta = WINDOW
) -> list[Report]:
    """Write every report that urgent orders received within `window` are due and not yet
    have. Safe to run on several workers at once: a report another worker wrote first is
    skipped."""
    now = now or ctx.clock.now()
    written: list[Report] = []
    with ctx.uow() as uow:
        s = uow.session
        ids = list(s.execute(select(WorkOrderRow.id).where(*_urgent_since(now - window))).scalars())
        have: dict[int, set[tuple[str, int]]] = {}
        reported_to: dict[int, datetime] = {}  # the latest step an order's reports cover
        for oid, kind, seq, as_of in s.execute(
            select(
                FlashReportRow.work_order_id,
                FlashReportRow.kind,
                FlashReportRow.seq,
                FlashReportRow.as_of,
            ).where(FlashReportRow.work_order_id.in_(ids))
        ).all():
            have.setdefault(oid, set()).add((kind, seq))
            reported_to[oid] = max(as_of, reported_to.get(oid, as_of))
        last_step = dict(
            s.execute(
                select(OrderEventRow.work_order_id, func.max(OrderEventRow.at))
                .where(OrderEventRow.work_order_id.in_(list(reported_to)))
                .group_by(OrderEventRow.work_order_id)
            ).all()
        )
        # Only an order with no report yet, or with a step after the last one reported (and
        # not closed out by a 终报), can owe one: every 20 s this job would otherwise read every
        # urgent order of the week with all its steps.
        owing = [
            oid
            for oid in ids
            if oid not in reported_to
            or (
                (ReportKind.FINAL.value, 0) not in have[oid]
                and last_step.get(oid) is not None
                and last_step[oid] > reported_to[oid]
            )
        ]
        rows = list(s.execute(select(WorkOrderRow).where(WorkOrderRow.id.in_(owing))).scalars())
        # Their steps and reporters in two reads for all (with 40 % urgent appeals under load,
        # two reads per order made this job a tenth of the worker's time).
        steps: dict[int, list[OrderEventRow]] = {r.id: [] for r in rows}
        for e in s.execute(
            select(OrderEventRow)
            .where(OrderEventRow.work_order_id.in_(list(steps)))
            .order_by(OrderEventRow.id)
        ).scalars():
            steps[e.work_order_id].append(e)
        reporters = dict(
            s.execute(
                select(AppealRow.work_order_id, func.count())
                .where(AppealRow.work_order_id.in_(list(steps)))
                .group_by(AppealRow.work_order_id)
            ).all()
        )
        incidents = {
            r.id: incident_of(ctx, s, r, steps[r.id], int(reporters.get(r.id, 0))) for r in rows
        }
    for oid, incident in incidents.items():
        for kind, seq, at in due_reports(incident, have.get(oid, set()), ctx.local(now)):
            report = compose(incident, kind, seq, at, CENTRE)
            with ctx.uow() as uow:
                uow.session.add(
                    FlashReportRow(
                        work_order_id=oid,
                        ticket_no=incident.ticket_no,
                        kind=kind.value,
                        seq=seq,
                        heading=report.heading,
                        paragraphs=list(report.paragraphs),
                        as_of=at,
                        created_at=now,
                        street_code=incident.region_code,
                    )
                )
                try:
                    uow.commit()
                except IntegrityError:  # another worker wrote it a moment ago
                    continue
            written.append(report)
    return written


def job(ctx: CityLoop) -> dict[str, Any]:
    """The scheduled job: write what is due and tell the leaders (and the street's
    supervisors) at once, quiet hours or not."""
    from cityloop.operations.notify.service import emit
    from cityloop.operations.notify.templates import Event, Notice

    written = write_due(ctx)
    notices = [
        Notice(
            event=Event.BRIEFING,
            key=f"flash:{r.ticket_no}:{r.kind.value}:{r.seq}",
            ticket_no=r.ticket_no,
            title=r.heading,
            note=f"{r.heading}：{r.paragraphs[1]}请在 大屏 → 突发事件快报 查看全文。",
            urgent=True,
            to_roles=(Role.LEADER.value,),
            region_code=r.region_code,  # and the supervisors over that street
        )
        for r in written
    ]
    return {"reports": len(written), "messages": emit(ctx, notices) if notices else 0}


def _view(row: FlashReportRow) -> dict[str, Any]:
    kind = ReportKind(row.kind)
    return {
        "id": row.id,
        "work_order_id": row.work_order_id,
        "ticket_no": row.ticket_no,
        "kind": row.kind,
        "kind_label": KIND_LABELS[kind],
        "seq": row.seq,
        "heading": row.heading,
        "paragraphs": row.paragraphs,
        "as_of": row.as_of,
        "created_at": row.created_at,
    }


def _require(actor: Actor) -> None:
    if actor.role not in READERS:
        raise PermissionDenied("快报面向领导、指挥中心和督办人员 flash reports are for leaders")


def _scoped(actor: Actor) -> Any:
    stmt = select(FlashReportRow).join(
        WorkOrderRow, WorkOrderRow.id == FlashReportRow.work_order_id
    )
    clause = visibility_clause(actor)
    return stmt if clause is None else stmt.where(clause)


def list_reports(
    ctx: CityLoop,
    actor: Actor,
    *,
    ticket_no: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> dict[str, Any]:
    _require(actor)
    stmt = _scoped(actor)
    if ticket_no:
        stmt = stmt.where(FlashReportRow.ticket_no == ticket_no)
    if kind:
        stmt = stmt.where(FlashReportRow.kind == kind)
    with ctx.uow() as uow:
        s = uow.session
        total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = s.execute(
            stmt.order_by(FlashReportRow.created_at.desc(), FlashReportRow.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).scalars()
        return {
            "total": total,
            "page": page,
            "page_size": page_size,
            "items": [_view(r) for r in rows],
        }


def get_report(ctx: CityLoop, actor: Actor, report_id: int) -> Report:
    _require(actor)
    with ctx.uow() as uow:
        row = uow.session.execute(_scoped(actor).where(FlashReportRow.id == report_id)).scalar()
        if row is None:
            raise NotFound(report_id)
        return Report(ReportKind(row.kind), row.seq, row.heading, row.as_of, tuple(row.paragraphs))
