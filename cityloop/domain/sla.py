"""The deadline clocks (时限 / SLA) for work orders: natural time and working time.

Every time limit says which clock it runs on:

* ``natural`` (自然时间): 24×7 minutes, hours or days; a natural day is 24 hours. Urgent and
  life-safety matters run on it — a smoke alarm at 17:01 with 2 hours is due at 19:01, holiday
  or not;
* ``working`` (工作时间): working hours or working days on the holiday calendar, as below.

Pure domain code: no I/O, no third-party imports. Which days are working days (工作日,
including 调休 make-up Saturdays and public holidays) is asked of a `WorkCalendar`; the
adapter backed by the `chinese_calendar` package lives in `cityloop.workcalendar`.

Time is counted in the *wall time* of the datetime's own tzinfo (callers pass
Asia/Shanghai, which has no DST). All datetimes must be timezone-aware; results keep the
tzinfo of the `start` argument.

Two kinds of working limit exist:

* working days (工作日): the day of receipt never counts, whatever the hour; counting starts
  on the next working day and the order falls due at the close of office hours of the last
  counted day;
* working hours (工作小时): only time inside office-hours periods of working days counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

__all__ = [
    "LIMIT_SYNTAX_ZH",
    "SLA_STATUS_LABELS",
    "LimitClock",
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


class LimitClock(StrEnum):
    """Which clock a limit runs on."""

    NATURAL = "natural"  # 自然时间: 24×7
    WORKING = "working"  # 工作时间: office hours of working days

    @property
    def label_zh(self) -> str:
        return "自然时间" if self is LimitClock.NATURAL else "工作时间"


class TimeUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


_UNIT_ALIASES: dict[str, TimeUnit] = {
    "m": TimeUnit.MINUTES,
    "min": TimeUnit.MINUTES,
    "mins": TimeUnit.MINUTES,
    "minute": TimeUnit.MINUTES,
    "minutes": TimeUnit.MINUTES,
    "分钟": TimeUnit.MINUTES,
    "h": TimeUnit.HOURS,
    "hr": TimeUnit.HOURS,
    "hrs": TimeUnit.HOURS,
    "hour": TimeUnit.HOURS,
    "hours": TimeUnit.HOURS,
    "小时": TimeUnit.HOURS,
    "d": TimeUnit.DAYS,
    "day": TimeUnit.DAYS,
    "days": TimeUnit.DAYS,
    "天": TimeUnit.DAYS,
    "日": TimeUnit.DAYS,
}
# Units that name their clock themselves.
_UNIT_WITH_CLOCK: dict[str, tuple[TimeUnit, LimitClock]] = {
    "wh": (TimeUnit.HOURS, LimitClock.WORKING),
    "wd": (TimeUnit.DAYS, LimitClock.WORKING),
    "工作小时": (TimeUnit.HOURS, LimitClock.WORKING),
    "工作日": (TimeUnit.DAYS, LimitClock.WORKING),
    "自然日": (TimeUnit.DAYS, LimitClock.NATURAL),
}
_CLOCK_ALIASES: dict[str, LimitClock] = {
    "natural": LimitClock.NATURAL,
    "n": LimitClock.NATURAL,
    "自然": LimitClock.NATURAL,
    "working": LimitClock.WORKING,
    "work": LimitClock.WORKING,
    "w": LimitClock.WORKING,
    "工作": LimitClock.WORKING,
}
_LIMIT_RE = re.compile(
    r"^\s*(\d+)\s*个?\s*([a-zA-Z\u4e00-\u9fff]+)\s*(?:@\s*([a-zA-Z\u4e00-\u9fff]+)\s*)?$"
)

# What the parser accepts, for messages that name a bad row or field.
LIMIT_SYNTAX_ZH = (
    "允许的写法：30m@natural（30分钟，自然时间）、2h@natural（2小时，自然时间）、"
    "1d@natural（24小时）、2h 或 8wh（工作小时）、5d 或 3d@working（工作日）；"
    "紧急时限不写时钟时按自然时间计"
)
_LIMIT_SYNTAX_EN = (
    "allowed: 30m@natural, 2h@natural, 1d@natural (24 h), 2h or 8wh (working hours), "
    "5d or 3d@working (working days)"
)


@dataclass(frozen=True)
class TimeLimit:
    """A time limit (时限): a positive amount of minutes, hours or days on one clock.

    Working limits are the default (``"5d"`` is five working days, as always); ``@natural``
    or a caller's ``default_clock`` (urgent limits) puts a limit on the 24×7 clock.
    """

    amount: int
    unit: TimeUnit
    clock: LimitClock = LimitClock.WORKING

    def __post_init__(self) -> None:
        # bool is an int subclass; True as "1 day" is always a bug.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"time limit amount must be an int, got {self.amount!r}")
        if self.amount <= 0:
            raise ValueError(f"time limit amount must be positive, got {self.amount}")
        # Accept the plain strings "hours"/"days" (e.g. from config) but store the enums.
        object.__setattr__(self, "unit", TimeUnit(self.unit))
        object.__setattr__(self, "clock", LimitClock(self.clock))

    @classmethod
    def parse(cls, text: str, default_clock: LimitClock = LimitClock.WORKING) -> TimeLimit:
        """Parse ``"2h"``, ``"5d"``, ``"8wh"``, ``"2h@natural"``, ``"30m@natural"``,
        ``"3d@working"``, ``"5个工作日"`` …

        A limit without a clock runs on ``default_clock``. Minutes are for the natural clock:
        a bare ``"30m"`` on the working clock is refused (it reads too easily as months, and
        nobody counts office minutes), ``"30m@working"`` is taken as written.
        """
        match = _LIMIT_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise LimitSyntaxError(text, "time_limit_syntax")
        amount, unit_text, clock_text = match.group(1), match.group(2).lower(), match.group(3)
        explicit: LimitClock | None = None
        if clock_text is not None:
            explicit = _CLOCK_ALIASES.get(clock_text.lower())
            if explicit is None:
                raise LimitSyntaxError(
                    text, "time_limit_clock", f"未知的时钟 '{clock_text}'", clock=clock_text
                )
        if unit_text in _UNIT_WITH_CLOCK:
            unit, implied = _UNIT_WITH_CLOCK[unit_text]
            if explicit is not None and explicit is not implied:
                raise LimitSyntaxError(text, "time_limit_unit_clock", "单位与时钟矛盾")
            clock = implied
        elif unit_text in _UNIT_ALIASES:
            unit = _UNIT_ALIASES[unit_text]
            clock = explicit or default_clock
            if unit is TimeUnit.MINUTES and explicit is None and clock is LimitClock.WORKING:
                raise LimitSyntaxError(text, "time_limit_minutes", "分钟须写明时钟，如 30m@natural")
        else:
            raise LimitSyntaxError(
                text, "time_limit_unit", f"未知的单位 '{match.group(2)}'", unit=match.group(2)
            )
        number = int(amount)
        if number <= 0:
            raise LimitSyntaxError(text, "time_limit_positive", "时限须大于0")
        return cls(number, unit, clock)

    def __str__(self) -> str:
        letter = {TimeUnit.MINUTES: "m", TimeUnit.HOURS: "h", TimeUnit.DAYS: "d"}[self.unit]
        if self.clock is LimitClock.WORKING and self.unit is not TimeUnit.MINUTES:
            return f"{self.amount}{letter}"  # the form every stored working limit has
        return f"{self.amount}{letter}@{self.clock.value}"

    @property
    def label_zh(self) -> str:
        if self.clock is LimitClock.WORKING:
            suffix = {
                TimeUnit.MINUTES: "个工作分钟",
                TimeUnit.HOURS: "个工作小时",
                TimeUnit.DAYS: "个工作日",
            }[self.unit]
            return f"{self.amount}{suffix}"
        unit = {TimeUnit.MINUTES: "分钟", TimeUnit.HOURS: "小时", TimeUnit.DAYS: "天"}[self.unit]
        return f"{self.amount}{unit}（自然时间）"

    @property
    def label_en(self) -> str:
        unit = self.unit.value if self.amount != 1 else self.unit.value[:-1]
        kind = "working " if self.clock is LimitClock.WORKING else ""
        suffix = "" if self.clock is LimitClock.WORKING else " (natural time)"
        return f"{self.amount} {kind}{unit}{suffix}"

    @property
    def natural_delta(self) -> timedelta:
        """The limit as elapsed time (only meaningful on the natural clock)."""
        seconds = {TimeUnit.MINUTES: 60, TimeUnit.HOURS: 3600, TimeUnit.DAYS: 86400}[self.unit]
        return timedelta(seconds=self.amount * seconds)


def _syntax_error(text: object, why: str = "") -> str:
    lead = f"时限 '{text}' 无法识别" + (f"（{why}）" if why else "")
    return f"{lead}。{LIMIT_SYNTAX_ZH} / time limit {text!r} not understood; {_LIMIT_SYNTAX_EN}"


class LimitSyntaxError(ValueError):
    """A time limit that does not parse: the message in both languages (for configuration
    files), and a stable `code` with `params` (error_words.py) for a refused command."""

    def __init__(self, text: object, code: str, why: str = "", **params: str) -> None:
        self.code = code
        self.params = {"value": str(text), **params}
        super().__init__(_syntax_error(text, why))


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


def _natural_add(start: datetime, seconds: float) -> datetime:
    # Elapsed time, counted in UTC so that a zone with DST still gets exactly `seconds`.
    utc = start.astimezone(UTC) + timedelta(seconds=seconds)
    return utc.astimezone(start.tzinfo)


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
        if limit.clock is LimitClock.NATURAL:
            return _natural_add(start, limit.natural_delta.total_seconds())
        if limit.unit is TimeUnit.MINUTES:
            return self.add_working_seconds(start, limit.amount * 60)
        if limit.unit is TimeUnit.DAYS:
            day = start.replace(tzinfo=None).date()
            for _ in range(limit.amount):
                day = self._next_workday(day)
            closing = datetime.combine(day, self.office_hours.closing)
            return closing.replace(tzinfo=start.tzinfo)
        return self.add_working_seconds(start, limit.amount * 3600)

    def seconds_between(self, start: datetime, end: datetime, clock: LimitClock) -> float:
        """Seconds of ``clock`` time within ``[start, end)``; 0 if end <= start."""
        if clock is LimitClock.NATURAL:
            _require_aware(start, "start")
            _require_aware(end, "end")
            return max(0.0, (end - start).total_seconds())
        return self.working_seconds_between(start, end)

    def add_seconds(self, start: datetime, seconds: float, clock: LimitClock) -> datetime:
        """The instant at which ``seconds`` of ``clock`` time have run since ``start``."""
        if clock is LimitClock.NATURAL:
            _require_aware(start, "start")
            if seconds < 0:
                raise ValueError(f"seconds must not be negative, got {seconds}")
            return _natural_add(start, seconds)
        return self.add_working_seconds(start, seconds)

    def warn_at(
        self, start: datetime, due: datetime, fraction: float, clock: LimitClock
    ) -> datetime:
        """When ``fraction`` of the clock time from start to due is used up (预警)."""
        total = self.seconds_between(start, due, clock)
        return min(self.add_seconds(start, total * fraction, clock), due)

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
        clock: LimitClock = LimitClock.WORKING,
    ) -> SlaReading:
        """Read the clock at ``now`` for an order received at ``start`` and due at ``due``.

        An approved extension is just a later ``due``; urging (催办) changes nothing here.
        Seconds are counted on ``clock``.
        """
        _require_aware(start, "start")
        _require_aware(due, "due")
        _require_aware(now, "now")
        if not 0.0 < warning_fraction <= 1.0:
            raise ValueError(f"warning_fraction must be in (0, 1], got {warning_fraction}")

        def between(a: datetime, b: datetime) -> float:
            return self.seconds_between(a, b, clock)

        allowed = between(start, due)
        used = between(start, now)
        # With no working time granted at all, the budget counts as spent once due is reached.
        used_fraction = used / allowed if allowed > 0 else (1.0 if now >= due else 0.0)
        if now > due:
            # `0.0 -` keeps an overrun that lies wholly outside office hours at 0.0, not -0.0.
            remaining = 0.0 - between(due, now)
            return SlaReading(SlaStatus.OVERDUE, used_fraction, remaining)
        remaining = between(now, due)
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
