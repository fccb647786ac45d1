"""Step timers for the services: which limits an order's steps get, folding its events into
timers, storing them, and reading them for the order API (docs/ARCHITECTURE.md, "Clocks and
steps")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from cityloop.domain.linkage import LinkageRule
from cityloop.domain.orders import OrderEvent
from cityloop.domain.remaining import remaining_words
from cityloop.domain.sla import LimitClock, TimeLimit, TimeUnit
from cityloop.domain.statuses import Urgency
from cityloop.domain.steps import (
    OPEN_STATES,
    STEP_LABELS,
    Step,
    StepLimits,
    StepState,
    StepTimer,
    advance,
    parse_step_limits,
)
from cityloop.services.context import CityLoop
from cityloop.store.steps import load_timers, save_timers


@dataclass(frozen=True)
class CityCalendar:
    """`StepCalendar` over the city's SLA clock, in its time zone, answering in UTC."""

    ctx: CityLoop

    def deadline(self, start: datetime, limit: TimeLimit) -> tuple[datetime, datetime]:
        sla, local = self.ctx.sla, self.ctx.local(start)
        due = sla.due_at(local, limit)
        warn = sla.warn_at(local, due, self.ctx.settings.warning_fraction, limit.clock)
        return due.astimezone(UTC), warn.astimezone(UTC)

    def share(
        self, start: datetime, due: datetime, fraction: float, clock: LimitClock
    ) -> tuple[datetime, datetime]:
        sla, local = self.ctx.sla, self.ctx.local(start)
        total = sla.seconds_between(local, self.ctx.local(due), clock)
        part = sla.add_seconds(local, total * fraction, clock)
        warn = sla.warn_at(local, part, self.ctx.settings.warning_fraction, clock)
        return part.astimezone(UTC), warn.astimezone(UTC)


def parse_limit_or(text: str | None, fallback: TimeLimit) -> TimeLimit:
    """A stored limit, or `fallback` when there is none or it no longer parses."""
    if not text:
        return fallback
    try:
        return TimeLimit.parse(text)
    except ValueError:
        return fallback


def is_urgent(urgency: str | Urgency, life_safety: bool) -> bool:
    """Life-safety matters are urgent whatever else was decided."""
    return life_safety or Urgency(urgency) is Urgency.URGENT


def urgent_complete_limit(ctx: CityLoop, rule: LinkageRule | None) -> TimeLimit:
    """The urgent completion limit: the rule's own urgent limit, else the setting's."""
    if rule is not None and Urgency.URGENT in rule.limits:
        return rule.limits[Urgency.URGENT]
    return parse_step_limits(ctx.settings.step_limits_urgent, LimitClock.NATURAL)[Step.COMPLETE]


def completion_limit(ctx: CityLoop, rule: LinkageRule | None, urgent: bool) -> TimeLimit:
    """办结时限: urgent orders get the rule's urgent limit (else the urgent setting, never the
    normal working-day limit); others the rule's normal limit, else the default."""
    if urgent:
        return urgent_complete_limit(ctx, rule)
    if rule is not None and Urgency.NORMAL in rule.limits:
        return rule.limits[Urgency.NORMAL]
    return TimeLimit.parse(ctx.settings.default_time_limit)


def step_limits(ctx: CityLoop, urgent: bool, complete: TimeLimit | None = None) -> StepLimits:
    """The limits an order's steps start with. `complete` is the order's completion limit
    when known (the dispatch decided it); otherwise the setting's (urgent) or the default."""
    s = ctx.settings
    if urgent:
        table = parse_step_limits(s.step_limits_urgent, LimitClock.NATURAL)
    else:
        table = parse_step_limits(s.step_limits_normal, LimitClock.WORKING)
    fallback = table.get(Step.COMPLETE) or TimeLimit.parse(s.default_time_limit)
    return StepLimits(
        dispatch=table.get(Step.DISPATCH) or TimeLimit(2, TimeUnit.HOURS),
        respond=table.get(Step.RESPOND) or TimeLimit(1, TimeUnit.DAYS),
        complete=complete or fallback,
        co_feedback_share=s.co_feedback_share,
    )


def fold(
    ctx: CityLoop,
    timers: Iterable[StepTimer],
    events: Sequence[OrderEvent],
    urgent: bool,
) -> list[StepTimer]:
    """The timers after `events`, each taken in turn."""
    out = list(timers)
    limits = step_limits(ctx, urgent)
    calendar = CityCalendar(ctx)
    for e in events:
        out = advance(out, e.action, e.at, e.to_status, e.data, limits, calendar)
    return out


def record(
    conn: Connection,
    ctx: CityLoop,
    order_id: int,
    before: list[StepTimer],
    events: Sequence[OrderEvent],
    urgent: bool,
    now: datetime,
) -> list[StepTimer]:
    """Fold the order's new events into its timers and store the result."""
    after = fold(ctx, before, events, urgent)
    save_timers(conn, order_id, after, now, before)
    return after


def recompute_open(
    conn: Connection,
    ctx: CityLoop,
    order_id: int,
    now: datetime,
    complete: tuple[datetime, datetime] | None = None,
) -> list[tuple[StepTimer, StepTimer]]:
    """Open working-clock timers counted again from their start on the current holiday
    calendar (after an edit of the calendar; the caller audits). The completion timer mirrors
    the order's own deadline, which the caller recomputes (extensions included) and passes as
    `complete` = (due, warn); co-feedback timers follow it. Returns (before, after) of each
    changed timer."""
    before = load_timers(conn, order_id)
    calendar = CityCalendar(ctx)
    share = ctx.settings.co_feedback_share
    after: list[StepTimer] = []
    lead_due: datetime | None = None
    for t in before:
        if t.open and t.step is Step.COMPLETE and complete is not None:
            t = replace(t, due_at=complete[0], warn_at=complete[1])
        if t.open and t.step is Step.COMPLETE:
            lead_due = t.due_at
        after.append(t)
    for i, t in enumerate(after):
        if not t.open or t.limit.clock is not LimitClock.WORKING:
            continue
        if t.step in (Step.DISPATCH, Step.RESPOND):
            due, warn = calendar.deadline(t.started_at, t.limit)
            after[i] = replace(t, due_at=due, warn_at=warn)
        elif t.step is Step.CO_FEEDBACK and lead_due is not None:
            due, warn = calendar.share(t.started_at, lead_due, share, t.limit.clock)
            after[i] = replace(t, due_at=due, warn_at=warn)
    save_timers(conn, order_id, after, now, before)
    return [(b, a) for b, a in zip(before, after, strict=True) if a != b]


# -- reading ------------------------------------------------------------------------------------
def _seconds(ctx: CityLoop, t: StepTimer, now: datetime) -> float:
    """Clock seconds left (negative: over) for an open step; for a finished one, the margin
    it finished with."""
    sla, clock = ctx.sla, t.limit.clock
    end = t.finished_at or now
    local_end, local_due = ctx.local(end), ctx.local(t.due_at)
    if end <= t.due_at:
        return sla.seconds_between(local_end, local_due, clock)
    return 0.0 - sla.seconds_between(local_due, local_end, clock)


def step_view(ctx: CityLoop, t: StepTimer, now: datetime) -> dict[str, Any]:
    """One step for the order API (the contract the console reads)."""
    state = t.state(now)
    seconds = _seconds(ctx, t, now)
    words = remaining_words(state, seconds, t.limit.clock, ctx.sla.office_hours.seconds_per_day)
    return {
        "step": t.step.value,
        "step_label": STEP_LABELS[t.step][0],
        "department_code": t.department_code,
        "limit": str(t.limit),
        "limit_label": {"zh": t.limit.label_zh, "en": t.limit.label_en},
        "clock": t.limit.clock.value,
        "started_at": t.started_at,
        "due_at": t.due_at,
        "warn_at": t.warn_at,
        "finished_at": t.finished_at,
        "state": state.value,
        "remaining_seconds": round(seconds),
        "remaining_text": words.as_dict(),
    }


_SEVERITY = {StepState.OVERDUE: 2, StepState.WARNING: 1, StepState.RUNNING: 0}


def next_due(ctx: CityLoop, timers: Iterable[StepTimer], now: datetime) -> dict[str, Any] | None:
    """The open step most in need of attention (overdue first, then the soonest due): the
    compact `next_due` of a list row."""
    open_ = [t for t in timers if t.open]
    if not open_:
        return None
    worst = min(open_, key=lambda t: (-_SEVERITY[t.state(now)], t.due_at))
    view = step_view(ctx, worst, now)
    return {k: view[k] for k in ("step", "department_code", "due_at", "state", "remaining_text")}


def step_state(timers: Iterable[StepTimer], now: datetime) -> str | None:
    """The worst state among the open steps (running/warning/overdue), None when none runs."""
    states = [t.state(now) for t in timers if t.open]
    if not states:
        return None
    return max(states, key=lambda s: _SEVERITY[s]).value


def missing_co(timers: Iterable[StepTimer]) -> list[str]:
    return [
        t.department_code or ""
        for t in timers
        if t.step is Step.CO_FEEDBACK and t.outcome is StepState.MISSED
    ]


__all__ = [
    "OPEN_STATES",
    "CityCalendar",
    "completion_limit",
    "fold",
    "is_urgent",
    "missing_co",
    "next_due",
    "parse_limit_or",
    "parse_step_limits",
    "recompute_open",
    "record",
    "step_limits",
    "step_state",
    "step_view",
    "urgent_complete_limit",
]
