"""Intake (诉求受理): any channel → one Appeal and its WorkOrder, routed, with a ticket number.

Idempotent on (channel, external_id): a channel's own id is never taken twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor, Command, OrderEvent, WorkOrder
from cityloop.domain.statuses import CHANNEL_LABELS, Action, Channel, Urgency
from cityloop.domain.steps import StepTimer
from cityloop.nlp.titles import title_from
from cityloop.services import escalation, steps
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline
from cityloop.services.routing import decide
from cityloop.services.steps import completion_limit
from cityloop.services.understanding import OPEN_FOR_LINKING, PLACE_CONFIDENT, IncidentLink
from cityloop.services.urgency import judge_urgency, urgency_record, with_category
from cityloop.store.fast_insert import AlreadyReceived, insert_order
from cityloop.store.models import AppealRow, AssignmentRow, OrderEventRow, WorkOrderRow, utcnow
from cityloop.store.repositories import event_values, order_from_row, order_to_row
from cityloop.store.steps import save_timers, timer_values
from cityloop.store.tickets import take_ticket, ticket_day

log = logging.getLogger("cityloop.intake")


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
    life_safety: bool = False  # the operator marked it 生命安全
    attachments: list[dict[str, Any]] = field(default_factory=list)
    external_id: str | None = None
    reporter_user_id: int | None = None
    received_at: datetime | None = None  # history imports only; live intake uses the clock
    # The operator's own choice: join this open order (并入) instead of opening one …
    merge_into: int | None = None
    # … or answer the caller on the line and close at once (直接办结, a consultation).
    answer: str | None = None
    knowledge_id: int | None = None


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
    understanding: dict[str, Any] | None = None
    life_safety: bool = False


@dataclass
class AppealDraft:
    """An appeal and its order, decided but not yet stored (so history imports can replay
    further steps on the same aggregate before writing many at once)."""

    order: WorkOrder
    row: WorkOrderRow
    appeal: AppealRow
    routing: dict[str, Any]
    # The day whose next ticket number the write takes (store/tickets.py); until then the
    # appeal and order carry an empty ticket_no.
    ticket_day: str = ""
    # Set when the appeal joins an open order about the same incident instead of opening one:
    # (order id, score, reasons, actor, at); the link event is recorded once the number is known.
    link: tuple[int, float, str, Actor, datetime] | None = None
    # Run by the write once the order's id is known, with the events it wrote (urgency raised
    # on a joined order): services/escalation.py.
    after: list[escalation.AfterWrite] = field(default_factory=list)
    # A new order's step timers from the events the write stores (written with them).
    timers: Callable[[Sequence[OrderEvent]], list[StepTimer]] | None = None

    @property
    def linked_to(self) -> int | None:
        return self.link[0] if self.link else None

    def result(self, created: bool = True) -> IntakeResult:
        lead = self.order.lead_department
        return IntakeResult(
            created=created,
            appeal_id=self.appeal.id,
            work_order_id=self.row.id,
            ticket_no=self.appeal.ticket_no,  # the caller's own, even when linked
            status=self.order.status.value,
            location_status=self.appeal.location_status,
            grid_code=self.appeal.grid_code,
            category_code=self.row.category_code,
            urgency=self.row.urgency,
            lead_department=lead,
            co_departments=[a for a in self.order.active_departments() if a != lead],
            due_at=self.order.due_at,
            routing=self.routing,
            understanding=self.appeal.understanding,
            life_safety=bool(self.row.life_safety),
        )


def submit_appeal(ctx: CityLoop, data: AppealInput, actor: Actor) -> IntakeResult:
    draft = draft_appeal(ctx, data, actor)
    try:
        if ctx.engine.dialect.name == "postgresql" and draft.linked_to is None:
            # One statement writes the whole appeal and is atomic by itself: in autocommit it
            # needs no separate BEGIN and COMMIT round trips.
            with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                _write(conn, draft)
        else:
            with ctx.uow() as uow:
                save_draft(uow.session, draft)
                uow.commit()
    except (IntegrityError, AlreadyReceived) as refused:
        return already_received(ctx, data, refused)
    log.info(
        "appeal received on %s, %s",
        data.channel.value,
        draft.order.status.value,
        extra={"ticket_no": draft.row.ticket_no, "order_id": draft.row.id},
    )
    return draft.result()


def draft_appeal(
    ctx: CityLoop,
    data: AppealInput,
    actor: Actor,
    *,
    understand: bool = True,
    link_duplicates: bool = True,
    sensing_rule: str | None = None,
) -> AppealDraft:
    """Validate, locate, judge urgency, understand, route and (when confident) dispatch — in
    memory. `understand=False` skips the model, place and same-incident steps (history
    replays that already know the answers). `sensing_rule`: the rule behind a sensor event,
    which links only with events of that rule."""
    ref = ctx.reference.get()
    if data.category_code and data.category_code not in ref.categories:
        raise InvalidCommand("category_code", "unknown_category", {"code": data.category_code})
    if data.answer is not None and data.merge_into is not None:
        raise InvalidCommand("answer", "answer_or_merge")
    if data.answer is not None and not data.answer.strip():
        raise InvalidCommand("answer", "missing")
    mind = ctx.understanding if understand else None
    understood: dict[str, Any] = {}

    lon, lat = data.lon, data.lat
    grid_code, location_status = None, "needs_review"
    if lat is not None and lon is not None:
        hit = ref.grids.locate(lon, lat)
        grid_code, location_status = (hit.grid_code, "located") if hit else (None, "outside")
    elif mind is not None:
        # No pin: read the place from the address and text (地址解析).
        place = mind.place(data.title, data.content, data.address)
        if place.method != "none":
            understood["place"] = {
                "name": place.entry_name,
                "matched": place.matched_text,
                "confidence": round(place.confidence, 3),
                "method": place.method,
                "grid_code": place.grid_code,
            }
        if place.confidence >= PLACE_CONFIDENT and place.grid_code:
            grid_code, location_status = place.grid_code, "geocoded"
            lon, lat = place.lon, place.lat
    by_level = {ref.regions[c].level: c for c in ref.region_ancestry(grid_code) if c in ref.regions}

    text = f"{data.title} {data.content}".strip()
    # Highest of the operator's choice, the category's default and the text (a replay keeps
    # the urgency it records); raised again below if the model picks an urgent category.
    replay = data.received_at is not None
    # A sensor event's text is the rule's own template: its rule declares the urgency, and
    # reading the template for danger words only invents some ("已自动开启灌溉" read as one).
    read = "" if sensing_rule is not None else text
    judged = judge_urgency(ref, read, data.urgency, data.category_code, replay=replay)
    urgency = judged.level

    suggester = mind.suggester() if mind is not None and not data.category_code else None
    suggestions = suggester.suggest(text) if suggester else []
    if suggester and suggestions:
        understood["model_version"] = suggester.version
        understood["suggestions"] = [
            {
                "category_code": x.category_code,
                "category_path": ref.category_paths.get(x.category_code),
                "probability": round(x.probability, 4),
            }
            for x in suggestions
        ]
        understood["explain"] = [
            [term, round(weight, 3)]
            for term, weight in suggester.explain(text, suggestions[0].category_code)
        ]
    decision = decide(
        ref,
        text=text,
        operator_category=data.category_code,
        grid_code=grid_code,
        urgency=urgency,
        suggestions=suggestions,
        threshold_for=(
            (lambda code: mind.threshold(code, suggester))  # type: ignore[union-attr]
            if suggester
            else (lambda code: 1.0)
        ),
    )
    received_at = data.received_at or ctx.clock.now()
    judged = with_category(ref, judged, decision.category_code, replay=replay)
    if judged.level is not urgency:
        urgency = judged.level
    life_safety = bool(data.life_safety or judged.life_safety)
    urgent = life_safety or urgency is Urgency.URGENT

    if data.answer is not None and urgent:
        raise InvalidCommand("answer", "urgent_not_on_call")
    linked: IncidentLink | None = None
    if data.merge_into is not None:
        linked = _chosen_order(ctx, data.merge_into)
        understood["duplicate"] = {
            "order_id": linked.order_id,
            "score": 1.0,
            "reasons": linked.reasons,
            "evidence": linked.evidence,
        }
    elif (
        data.answer is None
        and mind is not None
        and link_duplicates
        and ctx.settings.incident_linking
        and decision.category_code
    ):
        place_name = (understood.get("place") or {}).get("name")
        linked = mind.same_incident(
            text,
            lon,
            lat,
            place_name,
            decision.category_code,
            received_at,
            data.address,
            sensing_rule,
        )
        if linked:
            # Kept with the appeal, so the dispatcher sees why it joined the order (and can
            # split it off again).
            understood["duplicate"] = {
                "order_id": linked.order_id,
                "score": round(linked.score, 3),
                "reasons": linked.reasons,
                "evidence": linked.evidence,
            }

    ticket_no = ""  # taken by the write, in the order appeals are recorded (_write)
    routing = decision.as_record(ref.rule_version)
    routing.update(urgency_record(judged))
    if "place" in understood:
        routing["place"] = understood["place"]
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
        urgency=Urgency.URGENT.value if urgent else urgency.value,
        life_safety=life_safety,
        attachments=data.attachments,
        received_at=received_at,
        understanding=understood or None,
    )
    if linked is not None:
        draft = _linked_draft(ctx, appeal, routing, linked, actor, received_at)
        if urgent:  # an urgent appeal makes the order it joins urgent, from this moment
            draft.after.append(escalation.raise_urgency(ctx, appeal, actor, received_at))
        return draft

    order = WorkOrder.receive(ticket_no, received_at, actor, note=_receipt_note(data))
    system = Actor.system()
    street = by_level.get("street")
    if data.answer is not None:
        # A consultation answered on the call: the answer is the reply, the order is closed.
        order.execute(Command(Action.ANSWER, received_at, note=data.answer.strip()), actor)
        routing["answered"] = {"knowledge_id": data.knowledge_id}
    elif decision.auto_dispatch:
        assert decision.rule is not None and decision.time_limit is not None
        # Urgent orders run on the urgent (natural-clock) limit, never the normal one
        # (services/steps.completion_limit), whatever raised the urgency after routing.
        decision.time_limit = completion_limit(ctx, decision.rule, urgent)
        due, warn = deadline(ctx, received_at, decision.time_limit)
        order.execute(
            Command(
                Action.DISPATCH,
                received_at,
                note=decision.reason,
                lead_department=decision.rule.lead_department,
                co_departments=ref.co_departments(decision.rule, street),
                time_limit=str(decision.time_limit),
                rule_version=ref.rule_version,
                due_at=due,
                warn_at=warn,
            ),
            system,
        )
    else:
        order.execute(Command(Action.SUBMIT, received_at, note=decision.reason), system)
    handoffs: list[dict[str, Any]] = []
    if life_safety:
        agencies = escalation.handoff_agencies(ctx, ref, decision.category_code)
        handoffs = escalation.handoffs(agencies, received_at, "生命安全事项，受理即联动")
        escalation.record_handoffs(order, handoffs, received_at)

    row = WorkOrderRow(
        ticket_no=ticket_no,
        channel=data.channel.value,
        title=data.title or title_from(data.content),
        content=data.content,
        category_code=decision.category_code,
        urgency=Urgency.URGENT.value if urgent else urgency.value,
        life_safety=life_safety,
        handoffs=handoffs or None,
        grid_code=grid_code,
        community_code=by_level.get("community"),
        street_code=street,
        district_code=by_level.get("district"),
        lon=lon,
        lat=lat,
        received_at=received_at,
        routing=routing,
        updated_at=utcnow(),
    )
    draft = AppealDraft(order, row, appeal, routing, ticket_day(ctx.local(received_at)))
    draft.timers = lambda events: steps.fold(ctx, (), events, urgent)
    return draft


def _chosen_order(ctx: CityLoop, order_id: int) -> IncidentLink:
    """The open order the operator chose to merge the call into (并入)."""
    with ctx.uow() as uow:
        row = uow.session.get(WorkOrderRow, order_id)
        status = row.status if row is not None else None
        ticket = row.ticket_no if row is not None else ""
    if status is None:
        raise InvalidCommand("merge_into", "unknown_order", {"id": order_id})
    if status not in OPEN_FOR_LINKING:
        raise InvalidCommand("merge_into", "order_not_open", {"ticket": ticket, "status": status})
    return IncidentLink(order_id, 1.0, "话务员确认为同一事件并入", {"chosen_by": "operator"})


def _linked_draft(
    ctx: CityLoop,
    appeal: AppealRow,
    routing: dict[str, Any],
    linked: IncidentLink,
    actor: Actor,
    at: datetime,
) -> AppealDraft:
    """The appeal joins the open order about the same incident (多人反映同一事件): its caller
    is followed with the others; a dispatcher can split it off again."""
    order_id, score, reasons, _ = linked
    with ctx.uow() as uow:
        row = uow.session.get(WorkOrderRow, order_id)
        assert row is not None
        order = order_from_row(row)
    routing = {**routing, "linked_to": order_id}
    day = ticket_day(ctx.local(at))
    return AppealDraft(order, row, appeal, routing, day, (order_id, score, reasons, actor, at))


_ORDERS: Table = WorkOrderRow.__table__  # type: ignore[assignment]
_APPEALS: Table = AppealRow.__table__  # type: ignore[assignment]
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_APPEAL = insert(_APPEALS).returning(_APPEALS.c.id)
_INSERT_ASSIGNMENTS = insert(cast(Table, AssignmentRow.__table__))
_INSERT_EVENTS = insert(cast(Table, OrderEventRow.__table__))


def save_draft(session: Session, draft: AppealDraft) -> None:
    """Stage the draft's rows; the caller's unit of work commits.

    Intake is the hottest path: on PostgreSQL one statement writes everything
    (store/fast_insert.py); elsewhere four Core INSERTs with a constant shape, so SQLAlchemy
    compiles each once."""
    _write(session.connection(), draft)


def _write(conn: Connection, draft: AppealDraft) -> None:
    if draft.link is not None:
        order_id, score, reasons, actor, at = draft.link
        ticket = draft.appeal.ticket_no = take_ticket(conn, draft.ticket_day)
        note = f"同一事件的新诉求 {ticket}（{reasons}）"
        draft.order.record(Action.LINK, at, actor, note, appeal_ticket=ticket, score=score)
        order_id = draft.link[0]
        draft.appeal.work_order_id = order_id
        draft.appeal.id = conn.execute(
            _INSERT_APPEAL, _columns(draft.appeal, _APPEALS)
        ).scalar_one()
        written = list(draft.order.new_events)
        conn.execute(_INSERT_EVENTS, [event_values(order_id, e) for e in written])
        draft.order.new_events.clear()
        _after(conn, draft, order_id, written)
        return
    if conn.dialect.name != "postgresql":  # PostgreSQL's one statement takes it itself
        _number(draft, take_ticket(conn, draft.ticket_day))
    order_to_row(draft.order, draft.row)
    row = draft.row
    row.version = 1
    assignments = [
        {"department_code": a.department_code, "role": a.role, "state": a.state, "note": a.note}
        for a in row.assignments
    ]
    written = list(draft.order.new_events)
    events = [event_values(0, e) for e in written]
    draft.order.new_events.clear()
    timers = draft.timers(written) if draft.timers is not None and written else []
    if conn.dialect.name == "postgresql":
        row.id, draft.appeal.id, ticket = insert_order(
            conn,
            draft.ticket_day,
            _columns(row, _ORDERS),
            _columns(draft.appeal, _APPEALS),
            assignments,
            [{k: v for k, v in e.items() if k != "work_order_id"} for e in events],
            [timer_values(t, written[-1].at) for t in timers],
        )
        _number(draft, ticket)
        draft.appeal.work_order_id = row.id
        _after(conn, draft, row.id, written)
        return
    row.id = conn.execute(_INSERT_ORDER, _columns(row, _ORDERS)).scalar_one()
    if assignments:
        conn.execute(_INSERT_ASSIGNMENTS, [{"work_order_id": row.id, **a} for a in assignments])
    draft.appeal.work_order_id = row.id
    draft.appeal.id = conn.execute(_INSERT_APPEAL, _columns(draft.appeal, _APPEALS)).scalar_one()
    if events:
        conn.execute(_INSERT_EVENTS, [{**e, "work_order_id": row.id} for e in events])
    if timers:
        save_timers(conn, row.id, timers, written[-1].at)
    _after(conn, draft, row.id, written)


def _after(
    conn: Connection, draft: AppealDraft, order_id: int, written: Sequence[OrderEvent]
) -> None:
    for hook in draft.after:
        hook(conn, order_id, written)
    draft.after.clear()


def _number(draft: AppealDraft, ticket: str) -> None:
    draft.order.ticket_no = draft.row.ticket_no = draft.appeal.ticket_no = ticket


def _columns(obj: Any, table: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key, None) for c in table.columns if c.key != "id"}


def _receipt_note(data: AppealInput) -> str:
    return f"渠道：{CHANNEL_LABELS[data.channel]}"


def already_received(ctx: CityLoop, data: AppealInput, refused: Exception) -> IntakeResult:
    """The answer to a write refused by the unique (channel, external_id) key, which keeps a
    channel's id from being taken twice, also between concurrent requests: the appeal already
    there. Any other refusal is raised again."""
    existing = find_existing(ctx, data.channel, data.external_id) if data.external_id else None
    if existing is None:
        raise refused
    return existing


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
            understanding=appeal.understanding,
        )
