"""The KPIs' working-day table follows the holiday calendar as it is edited."""

from __future__ import annotations

from datetime import date

from cityloop.analytics import workhours as wh
from cityloop.analytics.store import WorkDayRow
from cityloop.services.context import CityLoop
from cityloop.services.holidays import DayEntry, seed_from_package, set_days

FRIDAY = date(2026, 10, 16)


def _workday(ctx: CityLoop, day: date) -> bool:
    with ctx.uow() as uow:
        wh.ensure_calendar(ctx, uow.session)
        uow.commit()
    with ctx.uow() as uow:
        row = uow.session.get(WorkDayRow, wh.dayno(day))
        assert row is not None
        return bool(row.workday)


def test_a_day_off_added_inside_a_known_year_reaches_the_kpi_calendar(ctx: CityLoop) -> None:
    seed_from_package(ctx, None)  # the year is known before and after: only the version moves
    assert _workday(ctx, FRIDAY) is True
    years = ctx.sla.calendar.known_years
    set_days(ctx, None, [DayEntry(FRIDAY, "holiday", "临时放假")])
    assert ctx.sla.calendar.is_workday(FRIDAY) is False
    assert ctx.sla.calendar.known_years == years
    assert _workday(ctx, FRIDAY) is False
