"""Mainland-China working-day calendar (工作日 / 调休) backed by the `chinese_calendar` package.

Implements `cityloop.domain.sla.WorkCalendar`. A city can layer its own days on top:
``extra_holidays`` (e.g. a local festival, or next year's State Council notice before the
package is updated) and ``extra_workdays`` (e.g. a 调休 make-up Saturday). Overrides win
over the package and over the weekday fallback.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import chinese_calendar

__all__ = ["ChineseWorkCalendar"]


def _package_years() -> range:
    # The package only knows the years it has holiday tables for; it raises
    # NotImplementedError outside min..max of its table (see chinese_calendar.utils).
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def _as_date(day: date) -> date:
    # datetime is a date subclass but never equals a date, so set lookups would miss it.
    return day.date() if isinstance(day, datetime) else day


class ChineseWorkCalendar:
    """Working days per the State Council holiday arrangement, plus local overrides."""

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        # Read-only afterwards (properties below): the answer cache relies on it.
        self._extra_holidays = frozenset(_as_date(d) for d in extra_holidays)
        self._extra_workdays = frozenset(_as_date(d) for d in extra_workdays)
        both = self._extra_holidays & self._extra_workdays
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"dates are both extra holidays and extra workdays: {listed}")
        self._known_years = _package_years()
        # chinese_calendar rescans its whole holiday table on every call (~20 µs); the SLA
        # clock asks about the same few hundred dates over and over, and the answers never
        # change for an instance, so remember them.
        self._cache: dict[date, bool] = {}

    @property
    def extra_holidays(self) -> frozenset[date]:
        return self._extra_holidays

    @property
    def extra_workdays(self) -> frozenset[date]:
        return self._extra_workdays

    @property
    def known_years(self) -> range:
        """Years for which the package has the official holiday / 调休 arrangement."""
        return self._known_years

    def is_workday(self, day: date) -> bool:
        day = _as_date(day)
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._lookup(day)
        return cached

    def _lookup(self, day: date) -> bool:
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        if day.year in self._known_years:  # skip the package's raise-and-catch when we know
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                pass  # a year the package does not cover after all: fall back below
        # The package has no data for this year: the State Council publishes each year's
        # arrangement only in the preceding late autumn, and raising would make every
        # deadline running into next year uncomputable. Plain Mon–Fri is the best guess;
        # cities add the real holidays and 调休 days through the overrides until the
        # package is upgraded.
        return day.weekday() < 5

    def __repr__(self) -> str:
        return (
            f"ChineseWorkCalendar(known_years={self._known_years.start}-"
            f"{self._known_years.stop - 1}, extra_holidays={len(self.extra_holidays)}, "
            f"extra_workdays={len(self.extra_workdays)})"
        )
