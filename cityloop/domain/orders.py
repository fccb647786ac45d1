"""The work order (工单) aggregate and its lifecycle as an explicit transition table.

Each action runs guard → change → record: a guard that fails raises a domain error and leaves
the order untouched; a change that succeeds appends one `OrderEvent`, the order's history.
Nothing here does I/O: deadlines are computed by the service (with `domain.sla`) and passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from cityloop.domain.errors import IllegalTransition, InvalidCommand
from cityloop.domain.statuses import (
    OPEN,
    WITH_DEPARTMENT,
    Action,
    OrderStatus,
    Rating,
    Role,
)

S = OrderStatus


class AssignmentRole(StrEnum):
    LEAD = "lead"  # 主办
    CO = "co"  # 协办


class AssignmentState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DONE = "done"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


@dataclass
class Assignment:
    """One department's share of an order."""

    department_code: str
    role: AssignmentRole
    state: AssignmentState = AssignmentState.PENDING
    note: str = ""
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.state not in (AssignmentState.RETURNED, AssignmentState.WITHDRAWN)


@dataclass(frozen=True)
class Actor:
    """Who acts: a user in a role, scoped to a region and/or a department."""

    user_id: int | None
    name: str
    role: Role
    region_code: str | None = None
    department_code: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, name="系统", role=Role.ADMIN)


@dataclass(frozen=True)
class Command:
    """An action with its payload. Deadlines are computed by the caller (service layer)."""

    action: Action
    at: datetime
    note: str = ""
    lead_department: str | None = None
    co_departments: tuple[str, ...] = ()
    time_limit: str | None = None
    rule_version: int | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    rating: Rating | None = None
    merge_into: int | None = None
    extension: str | None = None  # requested extra time, e.g. "3d"
    department_code: str | None = None  # the acting department (co-reply)


@dataclass(frozen=True)
class OrderEvent:
    """One step of the order's history: append-only."""

    action: Action
    at: datetime
    from_status: OrderStatus
    to_status: OrderStatus
    actor_id: int | None
    actor_name: str
    actor_role: Role
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkOrder:
    """工单: what is dispatched and tracked until a resident is satisfied."""

    ticket_no: str
    received_at: datetime
    status: OrderStatus = S.RECEIVED
    id: int | None = None
    assignments: list[Assignment] = field(default_factory=list)
    time_limit: str | None = None
    rule_version: int | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reply_text: str = ""
    pending_extension: str | None = None
    extension_count: int = 0
    urge_count: int = 0
    reopen_count: int = 0
    return_count: int = 0
    rating: Rating | None = None
    merged_into: int | None = None
    cancel_reason: str = ""
    # 就地处置: closed by the grid worker who reported it, with no department involved.
    handled_on_spot: bool = False
    history: list[OrderEvent] = field(default_factory=list)
    new_events: list[OrderEvent] = field(default_factory=list)

    # -- queries ---------------------------------------------------------------------------
    @property
    def lead(self) -> Assignment | None:
        for a in self.assignments:
            if a.role is AssignmentRole.LEAD and a.active:
                return a
        return None

    @property
    def lead_department(self) -> str | None:
        lead = self.lead
        return lead.department_code if lead else None

    def active_departments(self) -> list[str]:
        return [a.department_code for a in self.assignments if a.active]

    def co_assignment(self, department_code: str) -> Assignment | None:
        for a in self.assignments:
            if a.role is AssignmentRole.CO and a.active and a.department_code == department_code:
                return a
        return None

    def allowed_actions(self) -> list[Action]:
        """Actions the current state admits (before asking who may do them)."""
        return [a for a, t in TRANSITIONS.items() if self.status in t.sources and t.admits(self)]

    @classmethod
    def receive(cls, ticket_no: str, at: datetime, actor: Actor, note: str = "") -> WorkOrder:
        """A new order, its history opened with the receipt (受理) event."""
        order = cls(ticket_no=ticket_no, received_at=at)
        event = OrderEvent(
            Action.RECEIVE, at, S.RECEIVED, S.RECEIVED, actor.user_id, actor.name, actor.role, note
        )
        order.history.append(event)
        order.new_events.append(event)
        return order

    def record(self, action: Action, at: datetime, actor: Actor, note: str, **data: Any) -> None:
        """Record a status-neutral event that concerns the order from outside (a linked appeal,
        an order merged into this one)."""
        event = OrderEvent(
            action, at, self.status, self.status, actor.user_id, actor.name, actor.role, note, data
        )
        self.history.append(event)
        self.new_events.append(event)

    # -- the one way to change an order ----------------------------------------------------
    def execute(self, cmd: Command, actor: Actor) -> OrderEvent:
        transition = TRANSITIONS.get(cmd.action)
        if transition is None:
            raise IllegalTransition(
                cmd.action.value,
                self.status.value,
                [a.value for a in self.allowed_actions()],
                f"'{cmd.action}' is recorded by the system, not taken as an action",
            )
        if self.status not in transition.sources or not transition.admits(self):
            raise IllegalTransition(
                cmd.action.value,
                self.status.value,
                [a.value for a in self.allowed_actions()],
                transition.refusal(self),
            )
        transition.guard(self, cmd)
        before = self.status
        after = transition.change(self, cmd)
        self.status = after
        event = OrderEvent(
            action=cmd.action,
            at=cmd.at,
            from_status=before,
            to_status=after,
            actor_id=actor.user_id,
            actor_name=actor.name,
            actor_role=actor.role,
            note=cmd.note,
            data=transition.describe(self, cmd),
        )
        self.history.append(event)
        self.new_events.append(event)
        return event


# -- guards ------------------------------------------------------------------------------------
def _need_note(field_name: str = "note") -> Callable[[WorkOrder, Command], None]:
    def guard(order: WorkOrder, cmd: Command) -> None:
        if not cmd.note.strip():
            raise InvalidCommand(field_name, "text_required")

    return guard


def _need_deadline(cmd: Command) -> None:
    if cmd.due_at is None or cmd.warn_at is None:
        raise InvalidCommand("due_at", "missing")
    if cmd.warn_at > cmd.due_at:
        raise InvalidCommand("warn_at", "warn_after_due")


def _guard_dispatch(order: WorkOrder, cmd: Command) -> None:
    if not cmd.lead_department:
        raise InvalidCommand("lead_department", "missing")
    if cmd.lead_department in cmd.co_departments:
        raise InvalidCommand("co_departments", "lead_also_co")
    twice = [d for i, d in enumerate(cmd.co_departments) if d in cmd.co_departments[:i]]
    if twice:
        raise InvalidCommand("co_departments", "listed_twice", {"value": twice[0]})
    if not cmd.time_limit:
        raise InvalidCommand("time_limit", "missing")
    _need_deadline(cmd)


def _guard_rate(order: WorkOrder, cmd: Command) -> None:
    if cmd.rating is None:
        raise InvalidCommand("rating", "missing")
    if cmd.rating is Rating.UNSATISFIED:
        _need_deadline(cmd)


def _guard_reopen(order: WorkOrder, cmd: Command) -> None:
    _need_note()(order, cmd)
    _need_deadline(cmd)


def _guard_extension(order: WorkOrder, cmd: Command) -> None:
    _need_note()(order, cmd)
    if not cmd.extension:
        raise InvalidCommand("extension", "missing")


def _guard_approve_extension(order: WorkOrder, cmd: Command) -> None:
    _need_deadline(cmd)
    if order.due_at is not None and cmd.due_at is not None and cmd.due_at <= order.due_at:
        raise InvalidCommand("due_at", "extension_not_later")


def _guard_co_reply(order: WorkOrder, cmd: Command) -> None:
    _need_note()(order, cmd)
    if not cmd.department_code or order.co_assignment(cmd.department_code) is None:
        raise InvalidCommand("department_code", "not_co_department")


def _guard_merge(order: WorkOrder, cmd: Command) -> None:
    if cmd.merge_into is None:
        raise InvalidCommand("merge_into", "missing")
    if cmd.merge_into == order.id:
        raise InvalidCommand("merge_into", "merge_into_self")


def _no_guard(order: WorkOrder, cmd: Command) -> None:
    return None


# -- changes -----------------------------------------------------------------------------------
def _set_deadline(order: WorkOrder, cmd: Command) -> None:
    order.due_at = cmd.due_at
    order.warn_at = cmd.warn_at


def _dispatch(order: WorkOrder, cmd: Command) -> OrderStatus:
    assert cmd.lead_department is not None  # guarded
    for a in order.assignments:
        if a.active:
            a.state = AssignmentState.WITHDRAWN
    order.assignments.append(Assignment(cmd.lead_department, AssignmentRole.LEAD))
    order.assignments.extend(Assignment(c, AssignmentRole.CO) for c in cmd.co_departments)
    order.time_limit = cmd.time_limit
    order.rule_version = cmd.rule_version
    order.dispatched_at = cmd.at
    order.accepted_at = None
    _set_deadline(order, cmd)
    return S.DISPATCHED


def _accept(order: WorkOrder, cmd: Command) -> OrderStatus:
    lead = order.lead
    assert lead is not None
    lead.state = AssignmentState.ACCEPTED
    order.accepted_at = cmd.at
    return S.ACCEPTED


def _return(order: WorkOrder, cmd: Command) -> OrderStatus:
    for a in order.assignments:
        if a.active:
            a.state = AssignmentState.RETURNED if a.role is AssignmentRole.LEAD else a.state
            if a.role is AssignmentRole.CO:
                a.state = AssignmentState.WITHDRAWN
    order.return_count += 1
    # The department's clock stops; the next dispatch sets a new one.
    order.due_at = order.warn_at = None
    order.pending_extension = None
    return S.RETURNED


def _keep(order: WorkOrder, cmd: Command) -> OrderStatus:
    return order.status


def _start(order: WorkOrder, cmd: Command) -> OrderStatus:
    return S.IN_PROGRESS


def _request_extension(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.pending_extension = cmd.extension
    return order.status


def _approve_extension(order: WorkOrder, cmd: Command) -> OrderStatus:
    _set_deadline(order, cmd)
    order.pending_extension = None
    order.extension_count += 1
    return order.status


def _deny_extension(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.pending_extension = None
    return order.status


def _co_reply(order: WorkOrder, cmd: Command) -> OrderStatus:
    assert cmd.department_code is not None
    co = order.co_assignment(cmd.department_code)
    assert co is not None
    co.state = AssignmentState.DONE
    co.note = cmd.note
    return order.status


def _reply(order: WorkOrder, cmd: Command) -> OrderStatus:
    lead = order.lead
    assert lead is not None
    lead.state = AssignmentState.DONE
    lead.note = cmd.note
    order.reply_text = cmd.note
    order.replied_at = cmd.at
    order.pending_extension = None
    return S.REPLIED


def _urge(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.urge_count += 1  # the clock does not restart on urging
    return order.status


def _reopen(order: WorkOrder, cmd: Command) -> OrderStatus:
    """重办: the same lead department works the order again under a new deadline."""
    for a in order.assignments:
        if a.active and a.role is AssignmentRole.LEAD:
            a.state = AssignmentState.PENDING
    order.reopen_count += 1
    order.accepted_at = None
    _set_deadline(order, cmd)
    return S.REOPENED


def _rate(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.rating = cmd.rating
    if cmd.rating is Rating.UNSATISFIED:
        return _reopen(order, cmd)
    order.closed_at = cmd.at
    return S.CLOSED


def _close(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.closed_at = cmd.at
    return S.CLOSED


def _handle_on_spot(order: WorkOrder, cmd: Command) -> OrderStatus:
    """就地处置: what the grid worker did is the answer; the order closes as it is received."""
    order.handled_on_spot = True
    order.reply_text = cmd.note
    order.replied_at = order.closed_at = cmd.at
    return S.CLOSED


def _merge(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.merged_into = cmd.merge_into
    for a in order.assignments:
        if a.active:
            a.state = AssignmentState.WITHDRAWN
    order.pending_extension = None
    order.closed_at = cmd.at
    return S.MERGED


def _cancel(order: WorkOrder, cmd: Command) -> OrderStatus:
    order.cancel_reason = cmd.note
    for a in order.assignments:
        if a.active:
            a.state = AssignmentState.WITHDRAWN
    order.pending_extension = None
    order.closed_at = cmd.at
    return S.CANCELLED


def _submit(order: WorkOrder, cmd: Command) -> OrderStatus:
    return S.PENDING_DISPATCH


def _answer(order: WorkOrder, cmd: Command) -> OrderStatus:
    """直接办结: the operator answered the caller on the line; the answer is the reply."""
    order.reply_text = cmd.note
    order.replied_at = cmd.at
    order.closed_at = cmd.at
    return S.CLOSED


def answered_on_call(order: WorkOrder) -> bool:
    """True when the order was closed at intake with the operator's answer (直接办结)."""
    return any(e.action is Action.ANSWER for e in order.history)


# -- event payloads: what a reader of the timeline needs besides from/to ------------------------
def _describe(order: WorkOrder, cmd: Command) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if cmd.action is Action.DISPATCH:
        data = {
            "lead_department": cmd.lead_department,
            "co_departments": list(cmd.co_departments),
            "time_limit": cmd.time_limit,
            "rule_version": cmd.rule_version,
        }
    if cmd.action in (Action.REQUEST_EXTENSION,):
        data["extension"] = cmd.extension
    if cmd.action is Action.RATE and cmd.rating is not None:
        data["rating"] = cmd.rating.value
    if cmd.action is Action.MERGE:
        data["merge_into"] = cmd.merge_into
    if cmd.action is Action.CO_REPLY:
        data["department_code"] = cmd.department_code
    if cmd.due_at is not None and order.due_at == cmd.due_at:
        data["due_at"] = cmd.due_at.isoformat()
        if cmd.warn_at is not None:
            data["warn_at"] = cmd.warn_at.isoformat()
    return data


@dataclass(frozen=True)
class Transition:
    sources: frozenset[OrderStatus]
    change: Callable[[WorkOrder, Command], OrderStatus]
    guard: Callable[[WorkOrder, Command], None] = _no_guard
    # A state-level condition besides the status (e.g. an extension must be pending).
    condition: Callable[[WorkOrder], bool] | None = None
    condition_text: str = ""

    def admits(self, order: WorkOrder) -> bool:
        return self.condition is None or self.condition(order)

    def refusal(self, order: WorkOrder) -> str:
        if order.status in self.sources and not self.admits(order):
            return self.condition_text
        return ""

    def describe(self, order: WorkOrder, cmd: Command) -> dict[str, Any]:
        return _describe(order, cmd)


def _has_pending_extension(order: WorkOrder) -> bool:
    return order.pending_extension is not None


def _no_pending_extension(order: WorkOrder) -> bool:
    return order.pending_extension is None


def _has_co_handlers(order: WorkOrder) -> bool:
    return any(a.role is AssignmentRole.CO and a.active for a in order.assignments)


_ALL = frozenset(OrderStatus)
_WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS})

TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(frozenset({S.RECEIVED}), _submit),
    Action.ANSWER: Transition(frozenset({S.RECEIVED}), _answer, _need_note("note")),
    Action.DISPATCH: Transition(
        frozenset({S.RECEIVED, S.PENDING_DISPATCH, S.RETURNED}), _dispatch, _guard_dispatch
    ),
    Action.ACCEPT: Transition(frozenset({S.DISPATCHED, S.REOPENED}), _accept),
    Action.RETURN: Transition(
        frozenset({S.DISPATCHED, S.ACCEPTED, S.REOPENED}), _return, _need_note("note")
    ),
    Action.START: Transition(frozenset({S.ACCEPTED}), _start),
    Action.REQUEST_EXTENSION: Transition(
        _WORKING,
        _request_extension,
        _guard_extension,
        _no_pending_extension,
        "an extension request is already pending",
    ),
    Action.APPROVE_EXTENSION: Transition(
        _WORKING,
        _approve_extension,
        _guard_approve_extension,
        _has_pending_extension,
        "no extension request is pending",
    ),
    Action.DENY_EXTENSION: Transition(
        _WORKING,
        _deny_extension,
        _need_note("note"),
        _has_pending_extension,
        "no extension request is pending",
    ),
    Action.CO_REPLY: Transition(
        WITH_DEPARTMENT,
        _co_reply,
        _guard_co_reply,
        _has_co_handlers,
        "this order has no co-handling department",
    ),
    # A pending extension is decided first (approved or denied), never dropped by a reply.
    Action.REPLY: Transition(
        _WORKING,
        _reply,
        _need_note("note"),
        _no_pending_extension,
        "an extension request is pending: it must be approved or denied before the reply",
    ),
    Action.URGE: Transition(OPEN - {S.RECEIVED}, _urge, _need_note("note")),
    Action.RATE: Transition(frozenset({S.REPLIED}), _rate, _guard_rate),
    Action.REJECT_REPLY: Transition(frozenset({S.REPLIED}), _reopen, _guard_reopen),
    Action.CLOSE: Transition(frozenset({S.REPLIED}), _close, _need_note("note")),
    Action.HANDLE_ON_SPOT: Transition(
        frozenset({S.RECEIVED}), _handle_on_spot, _need_note("handling_note")
    ),
    Action.MERGE: Transition(OPEN - {S.REPLIED}, _merge, _guard_merge),
    # 撤销: a duplicate, a prank, or the resident withdrawing — any time before the reply.
    Action.CANCEL: Transition(
        OPEN - {S.REPLIED},
        _cancel,
        _need_note("note"),
    ),
    Action.COMMENT: Transition(_ALL, _keep, _need_note("note")),
}


def check_invariants(order: WorkOrder) -> list[str]:
    """Return every broken invariant (empty when the order is consistent)."""
    problems: list[str] = []
    leads = [a for a in order.assignments if a.role is AssignmentRole.LEAD and a.active]
    held = order.status in WITH_DEPARTMENT or order.status is S.REPLIED
    if order.handled_on_spot:
        if order.status is not S.CLOSED or order.assignments:
            problems.append("handled on the spot: closed at once, never dispatched")
    elif order.status is S.CLOSED and len(leads) != 1 and not answered_on_call(order):
        problems.append("closed: the lead department that answered is missing")
    if held:
        if len(leads) != 1:
            problems.append(f"{order.status}: expected one active lead, found {len(leads)}")
        if order.due_at is None or order.warn_at is None:
            problems.append(f"{order.status}: deadline missing")
        elif order.warn_at > order.due_at:
            problems.append("warning after deadline")
    elif order.status is not S.CLOSED and leads:
        problems.append(f"{order.status}: an active lead remains")
    if order.pending_extension is not None and order.status not in _WORKING:
        problems.append(f"{order.status}: extension pending outside work")
    if (order.status is S.MERGED) != (order.merged_into is not None):
        problems.append("merged status and merge target disagree")
    if order.status is S.CANCELLED and not order.cancel_reason:
        problems.append("cancelled without reason")
    if order.status is S.CLOSED and order.replied_at is None:
        problems.append("closed without a reply")
    if order.rating is not None and order.replied_at is None:
        problems.append("rated without a reply")
    if order.status in (S.ACCEPTED, S.IN_PROGRESS) and order.accepted_at is None:
        problems.append("working without acceptance time")
    reopens = sum(
        1 for e in order.history if e.to_status is S.REOPENED and e.from_status is not S.REOPENED
    )
    if reopens != order.reopen_count:
        problems.append("reopen count disagrees with history")
    urges = sum(1 for e in order.history if e.action is Action.URGE)
    if urges != order.urge_count:
        problems.append("urge count disagrees with history")
    status = S.RECEIVED
    for e in order.history:
        if e.from_status is not status:
            problems.append(f"history broken at {e.action}: {e.from_status} after {status}")
        status = e.to_status
    if status is not order.status:
        problems.append("history does not end in the current status")
    return problems


def snapshot(order: WorkOrder) -> WorkOrder:
    """A detached copy (used to try an action without touching the original)."""
    return replace(
        order,
        assignments=[replace(a) for a in order.assignments],
        history=list(order.history),
        new_events=[],
    )
