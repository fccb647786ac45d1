"""The working-day deadline clock (时限 / SLA) for work orders.

Pure domain code: no I/O, no third-party imports. Which days are working days (工作日,
including 调休 make-up Saturdays and public holidays) is asked of a `WorkCalendar`; the
adapter backed by the `chinese_calendar` package lives in `cityloop.workcalendar`.

Time is counted in the *wall time* of the datetime's own tzinfo (callers pass
Asia/Shanghai, which has no DST). All datetimes must be timezone-aware; results keep the
tzinfo of the `start` argument.

Two kinds of limit exist:

* working days (工作日): the day of receipt never counts, whatever the hour; counting starts
  on the next working day and the order falls due at the close of office hours of the last
  counted day;
* working hours (工作小时): only time inside office-hours periods of working days counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

__all__ = [
    "SLA_STATUS_LABELS",
    "OfficeHours",
    "SlaClock",
    "SlaReading",
    "SlaStatus",
    "TimeLimit",
    "TimeUnit",
    "WorkCalendar",
]

# A calendar that reports no working day for this long is broken (or all-holiday by
# mistake); failing loudly beats looping forever.
_MAX_NON_WORKING_RUN = 400


class WorkCalendar(Protocol):
    """Tells whether a date is a working day (工作日), 调休 make-up days included."""

    def is_workday(self, day: date) -> bool: ...


_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


def _parse_clock(hour: str, minute: str, text: str) -> time:
    try:
        return time(int(hour), int(minute))
    except ValueError:
        raise ValueError(f"invalid time of day in office hours {text!r}") from None


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of one working day, e.g. 09:00–12:00 and 13:30–18:00.

    Periods are half-open ``[open, close)`` wall-clock intervals within a single day, sorted
    and non-overlapping (touching is allowed).
    """

    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(18)))

    def __post_init__(self) -> None:
        periods = tuple((opening, closing) for opening, closing in self.periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        previous_close: time | None = None
        for opening, closing in periods:
            if not isinstance(opening, time) or not isinstance(closing, time):
                raise ValueError("office hours periods must be pairs of datetime.time")
            if opening.tzinfo is not None or closing.tzinfo is not None:
                # The clock runs in the wall time of the datetimes it is given.
                raise ValueError("office hours must be naive times of day")
            if opening >= closing:
                raise ValueError(f"office period {opening}-{closing} does not open before close")
            if previous_close is not None and opening < previous_close:
                raise ValueError("office periods must be sorted and must not overlap")
            previous_close = closing
        # Normalise lists etc. to tuples so the value stays hashable.
        object.__setattr__(self, "periods", periods)

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Parse ``"09:00-12:00,13:30-18:00"`` (also ``;`` / ``，`` as separators)."""
        parts = [part for part in re.split(r"[,;，；]", text) if part.strip()]
        if not parts:
            raise ValueError(f"empty office hours {text!r}")
        periods: list[tuple[time, time]] = []
        for part in parts:
            match = _PERIOD_RE.match(part)
            if match is None:
                raise ValueError(f"office period {part.strip()!r} is not like '09:00-12:00'")
            h1, m1, h2, m2 = match.groups()
            periods.append((_parse_clock(h1, m1, text), _parse_clock(h2, m2, text)))
        return cls(tuple(periods))

    def __str__(self) -> str:
        return ",".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in self.periods)

    @property
    def opening(self) -> time:
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        """Close of office: the end of the last period (day limits fall due then)."""
        return self.periods[-1][1]

    @property
    def seconds_per_day(self) -> float:
        day = date(2000, 1, 3)
        total = sum(
            (datetime.combine(day, c) - datetime.combine(day, o) for o, c in self.periods),
            timedelta(),
        )
        return total.total_seconds()


class TimeUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"


_UNIT_ALIASES: dict[str, TimeUnit] = {
    "h": TimeUnit.HOURS,
    "hr": TimeUnit.HOURS,
    "hrs": TimeUnit.HOURS,
    "hour": TimeUnit.HOURS,
    "hours": TimeUnit.HOURS,
    "小时": TimeUnit.HOURS,
    "工作小时": TimeUnit.HOURS,
    "d": TimeUnit.DAYS,
    "day": TimeUnit.DAYS,
    "days": TimeUnit.DAYS,
    "天": TimeUnit.DAYS,
    "日": TimeUnit.DAYS,
    "工作日": TimeUnit.DAYS,
}
_LIMIT_RE = re.compile(r"^\s*(\d+)\s*个?\s*([a-zA-Z\u4e00-\u9fff]+)\s*$")


@dataclass(frozen=True)
class TimeLimit:
    """A processing time limit (办理时限): a positive amount of working hours or days."""

    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        # bool is an int subclass; True as "1 day" is always a bug.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"time limit amount must be an int, got {self.amount!r}")
        if self.amount <= 0:
            raise ValueError(f"time limit amount must be positive, got {self.amount}")
        # Accept the plain strings "hours"/"days" (e.g. from config) but store the enum.
        object.__setattr__(self, "unit", TimeUnit(self.unit))

    @classmethod
    def parse(cls, text: str) -> TimeLimit:
        """Parse ``"2h"``, ``"5d"``, ``"2 hours"``, ``"5 days"``, ``"5个工作日"`` …"""
        match = _LIMIT_RE.match(text)
        unit = _UNIT_ALIASES.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            raise ValueError(f"time limit {text!r} is not like '2h', '5d' or '2 hours'")
        return cls(int(match.group(1)), unit)

    def __str__(self) -> str:
        return f"{self.amount}{'h' if self.unit is TimeUnit.HOURS else 'd'}"

    @property
    def label_zh(self) -> str:
        suffix = "个工作小时" if self.unit is TimeUnit.HOURS else "个工作日"
        return f"{self.amount}{suffix}"


class SlaStatus(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    OVERDUE = "overdue"

    @property
    def label_zh(self) -> str:
        return SLA_STATUS_LABELS[self]


SLA_STATUS_LABELS: dict[SlaStatus, str] = {
    SlaStatus.NORMAL: "正常",
    SlaStatus.WARNING: "预警",
    SlaStatus.OVERDUE: "超期",
}


@dataclass(frozen=True)
class SlaReading:
    """Where an order stands against its deadline at one instant.

    ``used_fraction`` is working time used / working time allowed; it exceeds 1 once
    overdue. ``remaining_seconds`` is working seconds left, negative when overdue (then it is
    the overrun, also counted in working seconds).
    """

    status: SlaStatus
    used_fraction: float
    remaining_seconds: float


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


@dataclass(frozen=True)
class SlaClock:
    """Computes due times and readings over working days and office hours."""

    calendar: WorkCalendar
    office_hours: OfficeHours = field(default_factory=OfficeHours)

    # -- public API -------------------------------------------------------------------

    def due_at(self, start: datetime, limit: TimeLimit) -> datetime:
        """When an order received at ``start`` with ``limit`` falls due."""
        _require_aware(start, "start")
        if limit.unit is TimeUnit.DAYS:
            day = start.replace(tzinfo=None).date()
            for _ in range(limit.amount):
                day = self._next_workday(day)
            closing = datetime.combine(day, self.office_hours.closing)
            return closing.replace(tzinfo=start.tzinfo)
        return self.add_working_seconds(start, limit.amount * 3600)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Office-hours seconds on working days within ``[start, end)``; 0 if end <= start."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        begin = start.replace(tzinfo=None)
        finish = end.astimezone(start.tzinfo).replace(tzinfo=None)
        if finish <= begin:
            return 0.0
        total = timedelta()
        day = begin.date()
        # One step per calendar day; a handful of periods per day, so this stays cheap.
        while day <= finish.date():
            if self.calendar.is_workday(day):
                for opening, closing in self._periods_on(day):
                    lo = max(opening, begin)
                    hi = min(closing, finish)
                    if hi > lo:
                        total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds()

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant at which ``seconds`` of working time have run since ``start``.

        Being the earliest instant, a budget that runs out exactly at the end of a period
        falls due at that period's close (18:00), not at the next opening. Zero seconds
        returns ``start`` unchanged.
        """
        _require_aware(start, "start")
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return start
        begin = start.replace(tzinfo=None)
        for day in self._workdays_from(begin.date()):
            for opening, closing in self._periods_on(day):
                lo = max(opening, begin)
                if closing <= lo:
                    continue
                available = closing - lo
                if remaining <= available:
                    return (lo + remaining).replace(tzinfo=start.tzinfo)
                remaining -= available
        raise AssertionError("unreachable: _workdays_from never ends")  # pragma: no cover

    def status(
        self,
        start: datetime,
        due: datetime,
        now: datetime,
        warning_fraction: float = 0.8,
    ) -> SlaReading:
        """Read the clock at ``now`` for an order received at ``start`` and due at ``due``.

        An approved extension is just a later ``due``; urging (催办) changes nothing here.
        """
        _require_aware(start, "start")
        _require_aware(due, "due")
        _require_aware(now, "now")
        if not 0.0 < warning_fraction <= 1.0:
            raise ValueError(f"warning_fraction must be in (0, 1], got {warning_fraction}")
        allowed = self.working_seconds_between(start, due)
        used = self.working_seconds_between(start, now)
        # With no working time granted at all, the budget counts as spent once due is reached.
        used_fraction = used / allowed if allowed > 0 else (1.0 if now >= due else 0.0)
        if now > due:
            # `0.0 -` keeps an overrun that lies wholly outside office hours at 0.0, not -0.0.
            remaining = 0.0 - self.working_seconds_between(due, now)
            return SlaReading(SlaStatus.OVERDUE, used_fraction, remaining)
        remaining = self.working_seconds_between(now, due)
        status = SlaStatus.WARNING if used_fraction >= warning_fraction else SlaStatus.NORMAL
        return SlaReading(status, used_fraction, remaining)

    # -- helpers ------------------------------------------------------------------------

    def _periods_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for opening, closing in self.office_hours.periods:
            yield datetime.combine(day, opening), datetime.combine(day, closing)

    def _next_workday(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return next(self._workdays_from(day + timedelta(days=1)))

    def _workdays_from(self, day: date) -> Iterator[date]:
        """Working days on or after ``day``, in order (endless)."""
        run = 0
        while True:
            if self.calendar.is_workday(day):
                run = 0
                yield day
            else:
                run += 1
                if run > _MAX_NON_WORKING_RUN:
                    raise ValueError(
                        f"work calendar has no working day in {_MAX_NON_WORKING_RUN} days "
                        f"before {day}"
                    )
            day += timedelta(days=1)
