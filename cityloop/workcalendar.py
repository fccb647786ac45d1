"""Mainland-China working-day calendars (工作日 / 调休), both implementing
`cityloop.domain.sla.WorkCalendar`.

* `DatabaseWorkCalendar` — what the application uses: the arrangement lives in the database
  (store/holidays.py), seeded from the `chinesecalendar` package and edited by administrators.
  Each worker keeps a copy and re-reads it within seconds of an edit made by any worker.
* `ChineseWorkCalendar` — the package alone (tools, demo generation, tests).

A city can layer its own days on top of either: ``extra_holidays`` (e.g. a local festival) and
``extra_workdays`` (e.g. a 调休 make-up Saturday), from CITYLOOP_EXTRA_HOLIDAYS/WORKDAYS. Overrides
win over the table, the package and the weekday fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import date, datetime

import chinese_calendar
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cityloop.store.holidays import CalendarSnapshot, calendar_stamp, load_snapshot

__all__ = ["ChineseWorkCalendar", "DatabaseWorkCalendar"]

log = logging.getLogger("cityloop.calendar")


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


class DatabaseWorkCalendar:
    """Working days per the holiday table, re-read when another worker has edited it.

    For a year the table has (holiday_years), its listed days are the whole truth; a year it
    lacks falls back to the package (a database created without the seeding migration) and
    then to plain Monday–Friday — the year is then reported missing (`known_years`), and
    administrators are warned from November on.
    """

    def __init__(
        self,
        engine: Engine,
        refresh_seconds: float = 5.0,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self._engine = engine
        self._refresh = refresh_seconds
        self._fallback = ChineseWorkCalendar(extra_holidays, extra_workdays)
        self._snapshot: CalendarSnapshot | None = None
        self._cache: dict[date, bool] = {}
        self._next_check = 0.0  # monotonic time of the next stamp check; 0 = read on first use
        self._lock = threading.Lock()

    @property
    def extra_holidays(self) -> frozenset[date]:
        return self._fallback.extra_holidays

    @property
    def extra_workdays(self) -> frozenset[date]:
        return self._fallback.extra_workdays

    @property
    def stamp(self) -> tuple[int, int]:
        """The version of the table this copy was read from (changes with every edit)."""
        return self._current().stamp

    @property
    def known_years(self) -> frozenset[int]:
        """Years with an official arrangement: the table's, or the package's if it has none."""
        years = self._current().years
        return years or frozenset(self._fallback.known_years)

    def invalidate(self) -> None:
        """Re-read on the next question (this worker just edited the table)."""
        self._next_check = 0.0

    def is_workday(self, day: date) -> bool:
        if time.monotonic() >= self._next_check:
            self._current()
        day = _as_date(day)
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._lookup(day)
        return cached

    def _lookup(self, day: date) -> bool:
        if day in self._fallback.extra_workdays:
            return True
        if day in self._fallback.extra_holidays:
            return False
        snapshot = self._snapshot
        if snapshot is not None and day.year in snapshot.years:
            return snapshot.workday.get(day, day.weekday() < 5)
        return self._fallback.is_workday(day)

    def _current(self) -> CalendarSnapshot:
        """The snapshot, re-read if the refresh interval has passed and the stamp moved."""
        now = time.monotonic()
        if self._snapshot is not None and now < self._next_check:
            return self._snapshot
        with self._lock:
            if self._snapshot is not None and time.monotonic() < self._next_check:
                return self._snapshot
            try:
                with self._engine.connect() as conn:
                    if self._snapshot is None or calendar_stamp(conn) != self._snapshot.stamp:
                        self._snapshot = load_snapshot(conn)
                        self._cache = {}  # swapped whole: readers keep a consistent dict
            except SQLAlchemyError:
                # A database hiccup must not stop every deadline: keep the last copy (or the
                # package) and try again after the interval.
                log.warning("holiday calendar not re-read; using the last copy", exc_info=True)
                if self._snapshot is None:
                    self._snapshot = CalendarSnapshot((-1, -1), frozenset(), {})
            self._next_check = time.monotonic() + self._refresh
            return self._snapshot

    def __repr__(self) -> str:
        snapshot = self._snapshot
        years = sorted(snapshot.years) if snapshot else []
        span = f"{years[0]}-{years[-1]}" if years else "unread"
        return f"DatabaseWorkCalendar(years={span}, stamp={snapshot.stamp if snapshot else None})"
