"""Intake (诉求受理): any channel → one Appeal and its WorkOrder, routed, with a ticket number.

Idempotent on (channel, external_id): a channel's own id is never taken twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor, Command, WorkOrder
from cityloop.domain.statuses import Action, Channel, Urgency
from cityloop.domain.urgency import detect_urgency
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline
from cityloop.services.routing import CategorySuggester, RoutingDecision, decide
from cityloop.store.models import AppealRow, WorkOrderRow, utcnow
from cityloop.store.repositories import append_events, order_to_row


@dataclass(frozen=True)
class AppealInput:
    channel: Channel
    content: str
    title: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    category_code: str | None = None
    urgency: Urgency | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    external_id: str | None = None
    reporter_user_id: int | None = None
    received_at: datetime | None = None  # history imports only; live intake uses the clock


@dataclass
class IntakeResult:
    created: bool
    appeal_id: int
    work_order_id: int
    ticket_no: str
    status: str
    location_status: str
    grid_code: str | None
    category_code: str | None
    urgency: str
    lead_department: str | None
    co_departments: list[str]
    due_at: datetime | None
    routing: dict[str, Any]


def submit_appeal(
    ctx: CityLoop,
    data: AppealInput,
    actor: Actor,
    suggester: CategorySuggester | None = None,
) -> IntakeResult:
    if data.external_id:
        existing = find_existing(ctx, data.channel, data.external_id)
        if existing is not None:
            return existing

    ref = ctx.reference.get()
    if data.category_code and data.category_code not in ref.categories:
        raise InvalidCommand("category_code", f"unknown category {data.category_code}")

    grid_code, location_status = None, "needs_review"
    if data.lat is not None and data.lon is not None:
        hit = ref.grids.locate(data.lon, data.lat)
        grid_code, location_status = (hit.grid_code, "located") if hit else (None, "outside")
    ancestry = ref.region_ancestry(grid_code)
    by_level = {ref.regions[c].level: c for c in ancestry if c in ref.regions}

    text = f"{data.title} {data.content}".strip()
    urgent_phrase = None
    if data.urgency is not None:
        urgency = data.urgency
    else:
        urgency, urgent_phrase = detect_urgency(text)
    decision = decide(
        ref,
        text=text,
        operator_category=data.category_code,
        grid_code=grid_code,
        urgency=urgency,
        suggester=suggester,
        threshold=ctx.settings.auto_dispatch_threshold,
    )
    received_at = data.received_at or ctx.clock.now()
    ticket_no = ctx.tickets.next(ctx.local(received_at))

    order = WorkOrder.receive(ticket_no, received_at, actor, note=_receipt_note(data))
    system = Actor.system()
    if decision.auto_dispatch:
        _auto_dispatch(ctx, order, decision, ref.rule_version, received_at, system)
    else:
        order.execute(Command(Action.SUBMIT, received_at, note=decision.reason), system)

    routing = decision.as_record(ref.rule_version)
    if urgent_phrase:
        routing["urgent_phrase"] = urgent_phrase
    row = WorkOrderRow(
        ticket_no=ticket_no,
        channel=data.channel.value,
        title=data.title or data.content[:30],
        content=data.content,
        category_code=decision.category_code,
        urgency=urgency.value,
        grid_code=grid_code,
        community_code=by_level.get("community"),
        street_code=by_level.get("street"),
        district_code=by_level.get("district"),
        lon=data.lon,
        lat=data.lat,
        received_at=received_at,
        routing=routing,
        updated_at=utcnow(),
    )
    order_to_row(order, row)
    appeal = AppealRow(
        ticket_no=ticket_no,
        channel=data.channel.value,
        external_id=data.external_id,
        title=data.title,
        content=data.content,
        address=data.address,
        lon=data.lon,
        lat=data.lat,
        location_status=location_status,
        grid_code=grid_code,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        reporter_user_id=data.reporter_user_id,
        category_code=decision.category_code,
        category_source=decision.category_source,
        urgency=urgency.value,
        attachments=data.attachments,
        received_at=received_at,
    )
    with ctx.uow() as uow:
        uow.session.add(row)
        uow.session.flush()
        appeal.work_order_id = row.id
        uow.session.add(appeal)
        append_events(uow.session, row.id, order.new_events)
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent request with the same channel id won the race: answer with its
            # appeal, as the idempotency rule promises.
            if data.external_id:
                uow.session.rollback()
                existing = find_existing(ctx, data.channel, data.external_id)
                if existing is not None:
                    return existing
            raise
    return IntakeResult(
        created=True,
        appeal_id=appeal.id,
        work_order_id=row.id,
        ticket_no=ticket_no,
        status=order.status.value,
        location_status=location_status,
        grid_code=grid_code,
        category_code=decision.category_code,
        urgency=urgency.value,
        lead_department=order.lead_department,
        co_departments=[a for a in order.active_departments() if a != order.lead_department],
        due_at=order.due_at,
        routing=routing,
    )


def _auto_dispatch(
    ctx: CityLoop,
    order: WorkOrder,
    decision: RoutingDecision,
    rule_version: int | None,
    at: datetime,
    actor: Actor,
) -> None:
    assert decision.rule is not None and decision.time_limit is not None
    due, warn = deadline(ctx, at, decision.time_limit)
    order.execute(
        Command(
            Action.DISPATCH,
            at,
            note=decision.reason,
            lead_department=decision.rule.lead_department,
            co_departments=decision.rule.co_departments,
            time_limit=str(decision.time_limit),
            rule_version=rule_version,
            due_at=due,
            warn_at=warn,
        ),
        actor,
    )


def _receipt_note(data: AppealInput) -> str:
    return f"渠道：{data.channel.value}"


def find_existing(ctx: CityLoop, channel: Channel, external_id: str) -> IntakeResult | None:
    with ctx.uow() as uow:
        found = uow.session.execute(
            select(AppealRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(AppealRow.channel == channel.value, AppealRow.external_id == external_id)
        ).first()
        if found is None:
            return None
        appeal, order = found
        return IntakeResult(
            created=False,
            appeal_id=appeal.id,
            work_order_id=order.id,
            ticket_no=appeal.ticket_no,
            status=order.status,
            location_status=appeal.location_status,
            grid_code=appeal.grid_code,
            category_code=order.category_code,
            urgency=order.urgency,
            lead_department=order.lead_department,
            co_departments=[
                a.department_code
                for a in order.assignments
                if a.role == "co" and a.state not in ("returned", "withdrawn")
            ],
            due_at=order.due_at,
            routing=order.routing,
        )
