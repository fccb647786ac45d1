"""The chinese_calendar-backed WorkCalendar adapter."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from cityloop.domain.sla import WorkCalendar
from cityloop.workcalendar import ChineseWorkCalendar


def test_national_day_2026() -> None:
    cal = ChineseWorkCalendar()
    assert cal.is_workday(date(2026, 10, 10))  # 调休 make-up Saturday
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 8))
    assert not cal.is_workday(date(2026, 10, 11))  # ordinary Sunday


def test_spring_festival_2026() -> None:
    cal = ChineseWorkCalendar()
    assert cal.is_workday(date(2026, 2, 14))  # make-up Saturday
    assert all(not cal.is_workday(date(2026, 2, n)) for n in range(15, 24))
    assert cal.is_workday(date(2026, 2, 24))
    assert cal.is_workday(date(2026, 2, 28))  # make-up Saturday


def test_satisfies_domain_protocol() -> None:
    cal: WorkCalendar = ChineseWorkCalendar()
    assert cal.is_workday(date(2026, 10, 9))


def test_overrides_win() -> None:
    cal = ChineseWorkCalendar(
        extra_holidays={date(2026, 10, 10), date(2026, 10, 9)},
        extra_workdays={date(2026, 10, 1), date(2026, 10, 11)},
    )
    assert not cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2026, 10, 9))
    assert cal.is_workday(date(2026, 10, 1))
    assert cal.is_workday(date(2026, 10, 11))
    assert cal.is_workday(date(2026, 10, 8))  # untouched days still follow the package


def test_overrides_also_win_over_the_fallback() -> None:
    cal = ChineseWorkCalendar(
        extra_holidays={date(2031, 1, 1)},  # a Wednesday
        extra_workdays={date(2031, 1, 4)},  # a Saturday
    )
    assert not cal.is_workday(date(2031, 1, 1))
    assert cal.is_workday(date(2031, 1, 4))


def test_conflicting_overrides_are_rejected() -> None:
    with pytest.raises(ValueError, match="2026-10-10"):
        ChineseWorkCalendar(
            extra_holidays={date(2026, 10, 10)}, extra_workdays=[date(2026, 10, 10)]
        )


def test_known_years_match_package() -> None:
    cal = ChineseWorkCalendar()
    years = cal.known_years
    assert 2004 in years and 2026 in years
    assert len(years) > 0
    chinese_calendar.is_workday(date(years.stop - 1, 6, 1))  # does not raise
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(years.stop, 6, 1))


def test_unknown_year_falls_back_to_monday_to_friday() -> None:
    cal = ChineseWorkCalendar()
    year = cal.known_years.stop + 3  # safely beyond the package, even after upgrades
    first = date(year, 1, 1)
    for offset in range(14):
        day = first + timedelta(days=offset)
        assert cal.is_workday(day) is (day.weekday() < 5)
    before = date(cal.known_years.start - 1, 3, 3)
    assert cal.is_workday(before) is (before.weekday() < 5)


def test_accepts_datetimes() -> None:
    cal = ChineseWorkCalendar(extra_holidays=[datetime(2026, 10, 9, 12)])
    assert not cal.is_workday(datetime(2026, 10, 9, 8))
    assert not cal.is_workday(date(2026, 10, 9))
    assert cal.is_workday(datetime(2026, 10, 10, 8))


def test_overrides_are_read_only_and_answers_stable() -> None:
    cal = ChineseWorkCalendar(extra_holidays=[date(2026, 10, 9)])
    assert cal.extra_holidays == frozenset({date(2026, 10, 9)})
    assert cal.extra_workdays == frozenset()
    with pytest.raises(AttributeError):
        cal.extra_holidays = frozenset()  # type: ignore[misc]
    assert [cal.is_workday(date(2026, 10, 9)) for _ in range(3)] == [False] * 3
