"""Step timers (环节时限): a limit on every step of an order, not only on its completion.

An order runs through four timed steps:

* ``dispatch`` (派单时限): from entering the dispatch queue (待派单, or back after 退单) until
  it is dispatched;
* ``respond`` (签收/响应时限): from dispatch (or 重办) until the lead department accepts;
* ``complete`` (办结时限): from dispatch (or 重办) until the lead department replies — the
  order's own ``due_at``;
* ``co_feedback`` (协办反馈时限): from dispatch until each co-handling department gives its
  feedback; by default a share of the lead's completion time.

Each timer is fixed when its step starts (limit, clock, due and warning times) and is stored, so
it survives restarts. The timers follow from the order's events alone (`advance`), which is
what lets a replayed history and a live order get the same timers.

Pure domain code: deadline arithmetic is asked of a `StepCalendar` the caller supplies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from cityloop.domain.sla import LimitClock, TimeLimit
from cityloop.domain.statuses import Action, OrderStatus

__all__ = [
    "OPEN_STATES",
    "STEP_LABELS",
    "STEP_STATE_LABELS",
    "Step",
    "StepCalendar",
    "StepLimits",
    "StepState",
    "StepTimer",
    "advance",
    "escalate",
    "parse_step_limits",
    "reply_blockers",
]


class Step(StrEnum):
    DISPATCH = "dispatch"
    RESPOND = "respond"
    COMPLETE = "complete"
    CO_FEEDBACK = "co_feedback"


STEP_LABELS: dict[Step, tuple[str, str]] = {
    Step.DISPATCH: ("派单", "dispatch"),
    Step.RESPOND: ("签收", "accept"),
    Step.COMPLETE: ("办结", "complete"),
    Step.CO_FEEDBACK: ("协办反馈", "co-handler feedback"),
}


class StepState(StrEnum):
    RUNNING = "running"  # 进行中
    WARNING = "warning"  # 预警: the warning share of the limit is used
    OVERDUE = "overdue"  # 超时
    DONE = "done"  # 按时完成
    DONE_LATE = "done_late"  # 超时完成
    MISSED = "missed"  # a co-department never answered; the lead replied after its limit
    CANCELLED = "cancelled"  # the step no longer applies (returned, merged, cancelled …)


STEP_STATE_LABELS: dict[StepState, tuple[str, str]] = {
    StepState.RUNNING: ("进行中", "running"),
    StepState.WARNING: ("预警", "warning"),
    StepState.OVERDUE: ("超时", "overdue"),
    StepState.DONE: ("按时完成", "done on time"),
    StepState.DONE_LATE: ("超时完成", "done late"),
    StepState.MISSED: ("未反馈", "no feedback"),
    StepState.CANCELLED: ("已取消", "cancelled"),
}

OPEN_STATES = frozenset({StepState.RUNNING, StepState.WARNING, StepState.OVERDUE})


class StepCalendar(Protocol):
    """The deadline arithmetic the timers need (the service backs it with `SlaClock`)."""

    def deadline(self, start: datetime, limit: TimeLimit) -> tuple[datetime, datetime]:
        """(due, warn) for a limit starting at ``start``."""
        ...

    def share(
        self, start: datetime, due: datetime, fraction: float, clock: LimitClock
    ) -> tuple[datetime, datetime]:
        """(due, warn) for ``fraction`` of the clock time from ``start`` to ``due``."""
        ...


@dataclass(frozen=True)
class StepLimits:
    """The limits for one order's steps (from settings, the linkage list and its urgency)."""

    dispatch: TimeLimit
    respond: TimeLimit
    complete: TimeLimit
    co_feedback_share: float = 0.5  # of the lead's completion time

    def __post_init__(self) -> None:
        if not 0.0 < self.co_feedback_share <= 1.0:
            raise ValueError(f"co_feedback_share must be in (0, 1], got {self.co_feedback_share}")


@dataclass(frozen=True)
class StepTimer:
    """One step's clock, fixed when the step starts."""

    step: Step
    limit: TimeLimit
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    department_code: str | None = None
    finished_at: datetime | None = None
    outcome: StepState | None = None  # set once finished
    id: int | None = None

    def __post_init__(self) -> None:
        if self.warn_at > self.due_at:
            raise ValueError("a step's warning time must not be after its due time")
        if (self.finished_at is None) != (self.outcome is None):
            raise ValueError("a finished step needs an outcome and an open one none")
        if self.outcome is not None and self.outcome in OPEN_STATES:
            raise ValueError(f"{self.outcome} is not an outcome")

    @property
    def open(self) -> bool:
        return self.finished_at is None

    def state(self, now: datetime) -> StepState:
        if self.outcome is not None:
            return self.outcome
        if now > self.due_at:
            return StepState.OVERDUE
        if now >= self.warn_at:
            return StepState.WARNING
        return StepState.RUNNING

    def finish(self, at: datetime) -> StepTimer:
        outcome = StepState.DONE if at <= self.due_at else StepState.DONE_LATE
        return replace(self, finished_at=at, outcome=outcome)

    def close(self, at: datetime, outcome: StepState) -> StepTimer:
        return replace(self, finished_at=at, outcome=outcome)


_TERMINAL = frozenset({OrderStatus.CLOSED, OrderStatus.MERGED, OrderStatus.CANCELLED})


def parse_step_limits(text: str, default_clock: LimitClock) -> dict[Step, TimeLimit]:
    """``"dispatch=10m@natural,respond=30m"`` → limits by step (settings); a bad pair raises
    ValueError naming it and saying what is allowed."""
    out: dict[Step, TimeLimit] = {}
    for pair in (p.strip() for p in text.replace("，", ",").split(",")):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        try:
            step = Step(name.strip())
        except ValueError:
            raise ValueError(
                f"环节 '{name.strip()}' 未知（可用：dispatch、respond、complete）"
                f" / unknown step {name.strip()!r} (dispatch, respond, complete)"
            ) from None
        try:
            out[step] = TimeLimit.parse(value.strip(), default_clock)
        except ValueError as exc:
            raise ValueError(f"{step.value}: {exc}") from None
    return out


def advance(
    timers: Iterable[StepTimer],
    action: Action,
    at: datetime,
    to_status: OrderStatus,
    data: Mapping[str, Any],
    limits: StepLimits,
    calendar: StepCalendar,
) -> list[StepTimer]:
    """The timers after one order event (its action, time, new status and event data)."""
    out = list(timers)

    def close_open(steps: set[Step], outcome: StepState | None = None) -> None:
        for i, t in enumerate(out):
            if t.open and t.step in steps:
                out[i] = t.finish(at) if outcome is None else t.close(at, outcome)

    def start(step: Step, limit: TimeLimit, dept: str | None) -> StepTimer:
        due, warn = calendar.deadline(at, limit)
        timer = StepTimer(step, limit, at, due, warn, dept)
        out.append(timer)
        return timer

    def complete_timer(dept: str | None) -> StepTimer:
        # The completion step mirrors the order's own deadline, computed by the service.
        limit = _limit_of(data.get("time_limit"), limits.complete)
        due, warn = _moment(data.get("due_at")), _moment(data.get("warn_at"))
        if due is not None and warn is not None:
            timer = StepTimer(Step.COMPLETE, limit, at, due, warn, dept)
            out.append(timer)
            return timer
        return start(Step.COMPLETE, limit, dept)

    if action is Action.DISPATCH:
        dispatch_open = any(t.open and t.step is Step.DISPATCH for t in out)
        if not dispatch_open:
            # Dispatched straight at receipt (by rule, or by the operator): on time by definition.
            start(Step.DISPATCH, limits.dispatch, None)
        close_open({Step.DISPATCH})
        close_open({Step.RESPOND, Step.COMPLETE, Step.CO_FEEDBACK}, StepState.CANCELLED)
        lead = data.get("lead_department")
        start(Step.RESPOND, limits.respond, lead)
        done = complete_timer(lead)
        for co in data.get("co_departments") or ():
            due, warn = calendar.share(at, done.due_at, limits.co_feedback_share, done.limit.clock)
            out.append(StepTimer(Step.CO_FEEDBACK, done.limit, at, due, warn, co))
        return out
    if action is Action.ACCEPT:
        close_open({Step.RESPOND})
        return out
    if action is Action.RETURN:
        close_open({Step.RESPOND})  # a return is an answer to the dispatch
        close_open({Step.COMPLETE, Step.CO_FEEDBACK}, StepState.CANCELLED)
        start(Step.DISPATCH, limits.dispatch, None)
        return out
    if action is Action.CO_REPLY:
        dept = data.get("department_code")
        for i, t in enumerate(out):
            if t.open and t.step is Step.CO_FEEDBACK and t.department_code == dept:
                out[i] = t.finish(at)
        return out
    if action is Action.REPLY:
        close_open({Step.COMPLETE})
        close_open({Step.CO_FEEDBACK}, StepState.MISSED)
        return out
    if action is Action.APPROVE_EXTENSION:
        new_due, new_warn = _moment(data.get("due_at")), _moment(data.get("warn_at"))
        for i, t in enumerate(out):
            if t.open and t.step is Step.COMPLETE and new_due is not None:
                out[i] = replace(t, due_at=new_due, warn_at=new_warn or t.warn_at)
        return out
    if to_status is OrderStatus.REOPENED:
        lead = _last_lead(out)
        close_open({Step.RESPOND, Step.COMPLETE}, StepState.CANCELLED)
        start(Step.RESPOND, limits.respond, lead)
        complete_timer(lead)
        return out
    if to_status is OrderStatus.PENDING_DISPATCH:
        if not any(t.open and t.step is Step.DISPATCH for t in out):
            start(Step.DISPATCH, limits.dispatch, None)
        return out
    if to_status in _TERMINAL:
        close_open(set(Step), StepState.CANCELLED)
    return out


def escalate(
    timers: Iterable[StepTimer], at: datetime, limits: StepLimits, calendar: StepCalendar
) -> list[StepTimer]:
    """Urgency raised at ``at`` (an urgent appeal joined the order): every open step gets the
    urgent limit counted from that moment, unless its present due time is sooner already."""
    per_step = {
        Step.DISPATCH: limits.dispatch,
        Step.RESPOND: limits.respond,
        Step.COMPLETE: limits.complete,
    }
    out = list(timers)
    complete_due: datetime | None = None
    for i, t in enumerate(out):
        if not t.open or t.step is Step.CO_FEEDBACK:
            continue
        limit = per_step[t.step]
        due, warn = calendar.deadline(at, limit)
        if due < t.due_at:
            out[i] = replace(t, limit=limit, due_at=due, warn_at=warn)
        if out[i].step is Step.COMPLETE:
            complete_due = out[i].due_at
    if complete_due is not None:
        for i, t in enumerate(out):
            if t.open and t.step is Step.CO_FEEDBACK:
                due, warn = calendar.share(
                    at, complete_due, limits.co_feedback_share, limits.complete.clock
                )
                if due < t.due_at:
                    out[i] = replace(t, limit=limits.complete, due_at=due, warn_at=warn)
    return out


def reply_blockers(timers: Iterable[StepTimer], now: datetime) -> list[StepTimer]:
    """Co-handlers the lead's reply still waits for: their feedback step is open and its limit
    has not passed. Once it has, the reply goes ahead and they are recorded as missing."""
    return [t for t in timers if t.open and t.step is Step.CO_FEEDBACK and now <= t.due_at]


def _moment(value: object) -> datetime | None:
    """A time from event data: a datetime, or the ISO text the event log stores."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _limit_of(text: object, fallback: TimeLimit) -> TimeLimit:
    if isinstance(text, str) and text:
        try:
            return TimeLimit.parse(text)
        except ValueError:
            return fallback
    return fallback


def _last_lead(timers: list[StepTimer]) -> str | None:
    for t in reversed(timers):
        if t.step in (Step.COMPLETE, Step.RESPOND) and t.department_code:
            return t.department_code
    return None
