"""Working time in SQL: a calendar table and expressions over it.

The SLA clock (`domain/sla.py`) counts office-hours seconds on working days. To measure
millions of orders in the database, each calendar day gets a row with the working seconds of
all earlier days since a base day (`cum_before`). The working-seconds position of an instant is

    W(t) = cum_before(day(t)) + [workday(day(t))] · Σ_periods min(max(tod(t) − open, 0), length)

and the working time between two instants is W(t2) − W(t1), which equals
`SlaClock.working_seconds_between` (checked in tests/analytics/test_workhours.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, delete, func, insert, literal_column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from cityloop.analytics.store import AnalyticsStateRow, WorkDayRow
from cityloop.services.context import CityLoop

EPOCH = date(1970, 1, 1)
BASE = date(2000, 1, 1)
AHEAD_DAYS = 800  # the table reaches this far beyond today
_checked: set[tuple[str, str]] = set()


def dayno(day: date) -> int:
    return (day - EPOCH).days


def day_of(n: int) -> date:
    return EPOCH + timedelta(days=n)


def _signature(ctx: CityLoop) -> str:
    cal: Any = ctx.sla.calendar
    extra = (
        sorted(d.isoformat() for d in getattr(cal, "extra_holidays", ())),
        sorted(d.isoformat() for d in getattr(cal, "extra_workdays", ())),
        str(getattr(cal, "known_years", "")),
        # The holiday table's version: an edit inside a known year changes no other part.
        str(getattr(cal, "stamp", "")),
    )
    return f"{ctx.sla.office_hours}|{extra}"


def ensure_calendar(ctx: CityLoop, session: Session, upto: date | None = None) -> None:
    """Create or rebuild the calendar table when it is missing, too short, or was built for
    other office hours or holidays. Cheap when nothing changed (one row read, once a process)."""
    sig = _signature(ctx)
    last_wanted = max(ctx.now_local().date() + timedelta(days=AHEAD_DAYS), upto or BASE)
    key = (str(session.get_bind().engine.url), sig)
    state = session.get(AnalyticsStateRow, "workdays")
    if state is not None:
        stored_sig, _, stored_last = state.value.rpartition("|")
        if stored_sig == sig and date.fromisoformat(stored_last) >= last_wanted - timedelta(
            days=AHEAD_DAYS // 2
        ):
            _checked.add(key)
            return
    rows = []
    cum = 0.0
    per_day = ctx.sla.office_hours.seconds_per_day
    day = BASE
    while day <= last_wanted:
        work = ctx.sla.calendar.is_workday(day)
        rows.append(
            {
                "dayno": dayno(day),
                "day": day.isoformat(),
                "workday": work,
                "cum_before": cum,
                "month_start": dayno(day.replace(day=1)),
            }
        )
        if work:
            cum += per_day
        day += timedelta(days=1)
    value = f"{sig}|{last_wanted.isoformat()}"
    try:
        session.execute(delete(WorkDayRow))
        session.execute(insert(WorkDayRow), rows)
        if state is None:
            session.add(AnalyticsStateRow(name="workdays", value=value, updated_at=ctx.clock.now()))
        else:
            state.value = value
            state.updated_at = ctx.clock.now()
        session.commit()
    except IntegrityError:  # another worker built it at the same moment
        session.rollback()
    _checked.add(key)


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def local_seconds(session: Session, ctx: CityLoop, col: Any) -> Any:
    """Seconds since 1970-01-01 00:00 in city wall time (so // 86400 is the local day)."""
    if is_pg(session):
        tz = ctx.settings.timezone.replace("'", "")
        return func.date_part("epoch", func.timezone(literal_column(f"'{tz}'"), col))
    offset = (ctx.now_local().utcoffset() or timedelta(0)).total_seconds()
    return (func.julianday(col) - 2440587.5) * 86400.0 + offset


def floor_int(session: Session, expr: Any) -> Any:
    if is_pg(session):
        return cast(func.floor(expr), Integer)
    return cast(expr, Integer)  # SQLite truncates; the values here are never negative


def day_expr(session: Session, ctx: CityLoop, col: Any) -> Any:
    return floor_int(session, local_seconds(session, ctx, col) / 86400.0)


def _greatest(session: Session, a: Any, b: Any) -> Any:
    return func.greatest(a, b) if is_pg(session) else func.max(a, b)


def _least(session: Session, a: Any, b: Any) -> Any:
    return func.least(a, b) if is_pg(session) else func.min(a, b)


def working_position(session: Session, ctx: CityLoop, col: Any, cal: Any) -> Any:
    """W(col) given `cal`, an alias of the calendar table joined on the column's local day."""
    secs = local_seconds(session, ctx, col)
    tod = secs - cal.dayno * 86400.0
    inner: Any = 0.0
    for opening, closing in ctx.sla.office_hours.periods:
        o = opening.hour * 3600 + opening.minute * 60
        length = (datetime.combine(BASE, closing) - datetime.combine(BASE, opening)).total_seconds()
        inner = inner + _least(session, _greatest(session, tod - float(o), 0.0), length)
    return cal.cum_before + case((cal.workday.is_(True), inner), else_=0.0)


def calendar_alias() -> Any:
    return aliased(WorkDayRow)


def join_on(session: Session, ctx: CityLoop, cal: Any, col: Any) -> Any:
    return cal.dayno == day_expr(session, ctx, col)


def position_at(ctx: CityLoop, session: Session, at: datetime) -> float:
    """W(at) computed in Python from the same table (for 'now')."""
    local = ctx.local(at)
    row = session.get(WorkDayRow, dayno(local.date()))
    if row is None:
        raise ValueError(f"the working-day calendar does not reach {local.date()}")
    if not row.workday:
        return row.cum_before
    inside = 0.0
    tod = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    for opening, closing in ctx.sla.office_hours.periods:
        o = opening.hour * 3600 + opening.minute * 60
        c = closing.hour * 3600 + closing.minute * 60
        inside += min(max(tod - o, 0.0), c - o)
    return row.cum_before + inside


def local_midnight_utc(ctx: CityLoop, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ctx.settings.tz).astimezone(ctx.settings.tz)
