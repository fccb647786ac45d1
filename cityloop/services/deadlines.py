"""Deadline arithmetic for the services: the natural and working clocks in the city's time
zone, with the warning share from settings."""

from __future__ import annotations

from datetime import UTC, datetime

from cityloop.domain.sla import LimitClock, SlaReading, TimeLimit
from cityloop.services.context import CityLoop


def deadline(ctx: CityLoop, start: datetime, limit: TimeLimit) -> tuple[datetime, datetime]:
    """(due_at, warn_at) in UTC for a limit starting at `start`, on the limit's own clock."""
    local = ctx.local(start)
    due = ctx.sla.due_at(local, limit)
    return due.astimezone(UTC), warn_time(ctx, start, due, limit.clock)


def warn_time(
    ctx: CityLoop, start: datetime, due: datetime, clock: LimitClock = LimitClock.WORKING
) -> datetime:
    """When `warning_fraction` of the clock time from start to due is used up."""
    warn = ctx.sla.warn_at(ctx.local(start), ctx.local(due), ctx.settings.warning_fraction, clock)
    return warn.astimezone(UTC)


def extend(
    ctx: CityLoop, start: datetime, due: datetime, extra: TimeLimit
) -> tuple[datetime, datetime]:
    """Move a deadline by `extra` (on its clock); the warning keeps its share of the whole."""
    new_due = ctx.sla.due_at(ctx.local(due), extra).astimezone(UTC)
    return new_due, warn_time(ctx, start, new_due, extra.clock)


def reading(
    ctx: CityLoop,
    start: datetime,
    due: datetime,
    now: datetime,
    clock: LimitClock = LimitClock.WORKING,
) -> SlaReading:
    return ctx.sla.status(
        ctx.local(start), ctx.local(due), ctx.local(now), ctx.settings.warning_fraction, clock
    )


def clock_of(limit_text: str | None) -> LimitClock:
    """The clock a stored limit runs on (working when absent or unreadable, as of old)."""
    if not limit_text:
        return LimitClock.WORKING
    try:
        return TimeLimit.parse(limit_text).clock
    except ValueError:
        return LimitClock.WORKING
