"""Deadline arithmetic for the services: the working-day clock in the city's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from cityloop.domain.sla import SlaReading, TimeLimit
from cityloop.services.context import CityLoop


def deadline(ctx: CityLoop, start: datetime, limit: TimeLimit) -> tuple[datetime, datetime]:
    """(due_at, warn_at) in UTC for a limit starting at `start`."""
    local = ctx.local(start)
    due = ctx.sla.due_at(local, limit)
    return due.astimezone(UTC), warn_time(ctx, start, due)


def warn_time(ctx: CityLoop, start: datetime, due: datetime) -> datetime:
    """When `warning_fraction` of the working time from start to due is used up."""
    local_start, local_due = ctx.local(start), ctx.local(due)
    total = ctx.sla.working_seconds_between(local_start, local_due)
    warn = ctx.sla.add_working_seconds(local_start, total * ctx.settings.warning_fraction)
    return min(warn, local_due).astimezone(UTC)


def extend(
    ctx: CityLoop, start: datetime, due: datetime, extra: TimeLimit
) -> tuple[datetime, datetime]:
    """Move a deadline by `extra` working time; the warning keeps its share of the whole."""
    new_due = ctx.sla.due_at(ctx.local(due), extra).astimezone(UTC)
    return new_due, warn_time(ctx, start, new_due)


def reading(ctx: CityLoop, start: datetime, due: datetime, now: datetime) -> SlaReading:
    return ctx.sla.status(
        ctx.local(start), ctx.local(due), ctx.local(now), ctx.settings.warning_fraction
    )
