"""The working-day deadline clock: worked examples plus Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cityloop.domain.sla import (
    SLA_STATUS_LABELS,
    OfficeHours,
    SlaClock,
    SlaReading,
    SlaStatus,
    TimeLimit,
    TimeUnit,
)
from cityloop.workcalendar import ChineseWorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = ChineseWorkCalendar()
CLOCK = SlaClock(CAL, OfficeHours())

# Not flaky on a slow 2-core CI: no per-example deadline, a bounded number of examples.
PROPERTY = settings(max_examples=200, deadline=None)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def h(amount: int) -> TimeLimit:
    return TimeLimit(amount, TimeUnit.HOURS)


def d(amount: int) -> TimeLimit:
    return TimeLimit(amount, TimeUnit.DAYS)


class FakeCalendar:
    """Mon–Fri minus the listed holidays; counts calls to check the clock is not chatty."""

    def __init__(self, holidays: set[date] | None = None) -> None:
        self.holidays = holidays or set()
        self.calls = 0

    def is_workday(self, day: date) -> bool:
        self.calls += 1
        return day.weekday() < 5 and day not in self.holidays


# --------------------------------------------------------------------- required examples


def test_three_working_days_across_national_day_2026() -> None:
    # Oct 1–7 holiday; Oct 8, 9 and the 调休 Saturday Oct 10 are the three working days.
    assert CLOCK.due_at(sh(2026, 9, 30, 10), d(3)) == sh(2026, 10, 10, 18)


def test_two_working_hours_roll_into_make_up_saturday() -> None:
    # 30 minutes on Friday, 90 on the make-up Saturday morning.
    assert CLOCK.due_at(sh(2026, 10, 9, 17, 30), h(2)) == sh(2026, 10, 10, 10, 30)


def test_day_of_receipt_never_counts_whatever_the_hour() -> None:
    for hour in (0, 8, 9, 12, 17, 23):
        assert CLOCK.due_at(sh(2026, 10, 8, hour), d(1)) == sh(2026, 10, 9, 18)


def test_received_during_lunch_counts_from_afternoon_opening() -> None:
    assert CLOCK.due_at(sh(2026, 10, 8, 12, 30), h(1)) == sh(2026, 10, 8, 14, 30)


def test_hours_limit_skips_lunch_break() -> None:
    # 11:00–12:00 is one hour, then 13:30–14:30.
    assert CLOCK.due_at(sh(2026, 10, 8, 11), h(2)) == sh(2026, 10, 8, 14, 30)


def test_received_after_hours_starts_next_opening() -> None:
    assert CLOCK.due_at(sh(2026, 10, 8, 20), h(2)) == sh(2026, 10, 9, 11)
    assert CLOCK.due_at(sh(2026, 10, 8, 7, 15), h(2)) == sh(2026, 10, 8, 11)


def test_received_on_holiday() -> None:
    # Oct 3 is inside the National Day holiday; counting starts Thursday Oct 8.
    assert CLOCK.due_at(sh(2026, 10, 3, 15), h(2)) == sh(2026, 10, 8, 11)
    assert CLOCK.due_at(sh(2026, 10, 3, 15), d(1)) == sh(2026, 10, 8, 18)


def test_exhausted_at_period_end_is_due_at_that_end() -> None:
    assert CLOCK.due_at(sh(2026, 10, 8, 16), h(2)) == sh(2026, 10, 8, 18)
    assert CLOCK.due_at(sh(2026, 10, 8, 10), h(2)) == sh(2026, 10, 8, 12)
    assert CLOCK.add_working_seconds(sh(2026, 10, 8, 9), 7.5 * 3600) == sh(2026, 10, 8, 18)


def test_exhausted_at_end_of_period_on_holiday_eve() -> None:
    # Wednesday Sep 30 is the last working day before the holiday: due 18:00 that day.
    assert CLOCK.due_at(sh(2026, 9, 30, 15), h(3)) == sh(2026, 9, 30, 18)
    assert CLOCK.due_at(sh(2026, 9, 30, 15), h(4)) == sh(2026, 10, 8, 10)


def test_spring_festival_2026() -> None:
    # chinese_calendar 1.11: Feb 14 (Sat) is a 调休 working day, Feb 15–23 holiday,
    # work resumes Tue Feb 24, and Sat Feb 28 is another make-up working day.
    assert [CAL.is_workday(date(2026, 2, n)) for n in (13, 14, 15, 23, 24, 28)] == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert CLOCK.due_at(sh(2026, 2, 13, 10), d(1)) == sh(2026, 2, 14, 18)
    assert CLOCK.due_at(sh(2026, 2, 13, 10), d(2)) == sh(2026, 2, 24, 18)
    # Tue 24 … Fri 27 are four days; the fifth is make-up Saturday Feb 28.
    assert CLOCK.due_at(sh(2026, 2, 14, 10), d(5)) == sh(2026, 2, 28, 18)
    assert CLOCK.due_at(sh(2026, 2, 14, 17), h(2)) == sh(2026, 2, 24, 10)


def test_year_boundary_new_year_2026() -> None:
    # Jan 1–3 holiday, Sunday Jan 4 is a make-up working day.
    assert CLOCK.due_at(sh(2025, 12, 31, 10), d(1)) == sh(2026, 1, 4, 18)
    assert CLOCK.due_at(sh(2025, 12, 31, 17, 30), h(1)) == sh(2026, 1, 4, 9, 30)


def test_year_unknown_to_package_falls_back_to_weekdays() -> None:
    # 2027 is not in chinese_calendar 1.11: Fri Dec 31 2027 + 1 day = Mon Jan 3 2028.
    assert CLOCK.due_at(sh(2027, 12, 31, 10), d(1)) == sh(2028, 1, 3, 18)


# ------------------------------------------------------------------------ time zones


def test_dst_free_zone_matches_fixed_offset() -> None:
    fixed = timezone(timedelta(hours=8))
    start_fixed = datetime(2026, 10, 9, 17, 30, tzinfo=fixed)
    due_fixed = CLOCK.due_at(start_fixed, h(2))
    due_zone = CLOCK.due_at(sh(2026, 10, 9, 17, 30), h(2))
    assert due_fixed == due_zone  # same instant
    assert due_fixed.tzinfo is fixed  # tzinfo kept
    assert due_zone.tzinfo is SH
    assert due_fixed.replace(tzinfo=None) == datetime(2026, 10, 10, 10, 30)


def test_clock_counts_in_wall_time_of_the_given_tzinfo() -> None:
    # 09:30 UTC is 17:30 in Shanghai, but in UTC wall time it is 09:30 → due 11:30 UTC.
    start = datetime(2026, 10, 9, 9, 30, tzinfo=UTC)
    due = CLOCK.due_at(start, h(2))
    assert due == datetime(2026, 10, 9, 11, 30, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert CLOCK.due_at(start.astimezone(SH), h(2)) == sh(2026, 10, 10, 10, 30)


def test_mixed_tzinfos_are_converted_to_start_zone() -> None:
    start = sh(2026, 10, 8, 9)
    end = sh(2026, 10, 8, 11).astimezone(UTC)
    assert CLOCK.working_seconds_between(start, end) == 7200


@pytest.mark.parametrize(
    "call",
    [
        lambda: CLOCK.due_at(datetime(2026, 10, 8, 9), h(1)),
        lambda: CLOCK.working_seconds_between(datetime(2026, 10, 8, 9), sh(2026, 10, 9)),
        lambda: CLOCK.working_seconds_between(sh(2026, 10, 8, 9), datetime(2026, 10, 9)),
        lambda: CLOCK.add_working_seconds(datetime(2026, 10, 8, 9), 60),
        lambda: CLOCK.status(sh(2026, 10, 8), sh(2026, 10, 9), datetime(2026, 10, 8, 12)),
    ],
)
def test_naive_datetimes_are_rejected(call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()  # type: ignore[operator]


# ---------------------------------------------------------------- working seconds / add


def test_working_seconds_between() -> None:
    assert CLOCK.working_seconds_between(sh(2026, 10, 8, 9), sh(2026, 10, 8, 18)) == 27000
    assert CLOCK.working_seconds_between(sh(2026, 10, 8, 9), sh(2026, 10, 9, 9)) == 27000
    # Whole National Day week contributes only Sep 30 afternoon and Oct 8 morning.
    start, end = sh(2026, 9, 30, 17), sh(2026, 10, 8, 10)
    assert CLOCK.working_seconds_between(start, end) == 7200
    assert CLOCK.working_seconds_between(end, start) == 0
    assert CLOCK.working_seconds_between(start, start) == 0


def test_add_working_seconds_zero_and_negative() -> None:
    start = sh(2026, 10, 3, 20)
    assert CLOCK.add_working_seconds(start, 0) == start
    with pytest.raises(ValueError):
        CLOCK.add_working_seconds(start, -1)


def test_due_at_iterates_by_day_not_by_minute() -> None:
    cal = FakeCalendar()
    clock = SlaClock(cal)
    assert clock.due_at(sh(2026, 3, 2, 10), d(5)) == sh(2026, 3, 9, 18)
    assert cal.calls < 20
    cal.calls = 0
    # Mon 6.5h + Tue–Fri 30h + 3.5h the next Monday.
    assert clock.due_at(sh(2026, 3, 2, 10), h(40)) == sh(2026, 3, 9, 14)
    assert cal.calls < 20


def test_calendar_without_working_days_fails_loudly() -> None:
    class NeverWorks:
        def is_workday(self, day: date) -> bool:
            return False

    with pytest.raises(ValueError, match="no working day"):
        SlaClock(NeverWorks()).due_at(sh(2026, 1, 1), d(1))


def test_custom_office_hours() -> None:
    clock = SlaClock(CAL, OfficeHours.parse("08:30-12:00, 14:00-17:30"))
    assert clock.due_at(sh(2026, 10, 8, 11), h(2)) == sh(2026, 10, 8, 15)
    assert clock.due_at(sh(2026, 10, 8, 11), d(1)) == sh(2026, 10, 9, 17, 30)


# ------------------------------------------------------------------------------ status


def test_status_normal_warning_overdue() -> None:
    start = sh(2026, 10, 8, 9)
    due = CLOCK.due_at(start, h(10))  # Fri Oct 9 11:30
    assert due == sh(2026, 10, 9, 11, 30)

    reading = CLOCK.status(start, due, sh(2026, 10, 8, 14))
    assert reading == SlaReading(SlaStatus.NORMAL, 0.35, 6.5 * 3600)

    # 8 of 10 working hours used: exactly the 0.8 threshold is a warning.
    reading = CLOCK.status(start, due, sh(2026, 10, 9, 9, 30))
    assert reading.status is SlaStatus.WARNING
    assert reading.used_fraction == pytest.approx(0.8)
    assert reading.remaining_seconds == 2 * 3600

    reading = CLOCK.status(start, due, sh(2026, 10, 9, 14, 30))
    assert reading.status is SlaStatus.OVERDUE
    assert reading.used_fraction == pytest.approx(1.15)
    assert reading.remaining_seconds == -1.5 * 3600  # overrun in working seconds


def test_status_at_due_is_not_overdue() -> None:
    start, due = sh(2026, 10, 8, 9), sh(2026, 10, 8, 18)
    reading = CLOCK.status(start, due, due)
    assert reading == SlaReading(SlaStatus.WARNING, 1.0, 0.0)


def test_status_overdue_outside_office_hours_has_zero_overrun() -> None:
    start, due = sh(2026, 10, 8, 9), sh(2026, 10, 8, 18)
    reading = CLOCK.status(start, due, sh(2026, 10, 8, 23))
    assert reading.status is SlaStatus.OVERDUE
    assert reading.remaining_seconds == 0.0
    assert str(reading.remaining_seconds) == "0.0"  # not -0.0
    assert reading.used_fraction == 1.0


def test_status_custom_warning_fraction_and_validation() -> None:
    start, due = sh(2026, 10, 8, 9), sh(2026, 10, 8, 18)
    now = sh(2026, 10, 8, 15, 0)  # 3h + 1.5h = 4.5 of 7.5h = 0.6
    assert CLOCK.status(start, due, now).status is SlaStatus.NORMAL
    assert CLOCK.status(start, due, now, warning_fraction=0.5).status is SlaStatus.WARNING
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            CLOCK.status(start, due, now, warning_fraction=bad)


def test_status_zero_working_time_allowed() -> None:
    # Due on a holiday evening right after a holiday receipt: no working time at all.
    start, due = sh(2026, 10, 2, 9), sh(2026, 10, 2, 20)
    assert CLOCK.status(start, due, sh(2026, 10, 2, 10)).status is SlaStatus.NORMAL
    assert CLOCK.status(start, due, sh(2026, 10, 2, 10)).used_fraction == 0.0
    assert CLOCK.status(start, due, due).status is SlaStatus.WARNING
    assert CLOCK.status(start, due, sh(2026, 10, 8, 10)).status is SlaStatus.OVERDUE


def test_extension_is_just_a_later_due() -> None:
    start = sh(2026, 10, 8, 9)
    now = sh(2026, 10, 9, 16)  # 13 of 15 working hours used
    due = CLOCK.due_at(start, d(1))  # Fri Oct 9 18:00
    assert CLOCK.status(start, due, now).status is SlaStatus.WARNING
    extended = CLOCK.due_at(start, d(5))  # Oct 9, 10 (调休 Sat), 12, 13, 14
    assert extended == sh(2026, 10, 14, 18)
    assert CLOCK.status(start, extended, now).status is SlaStatus.NORMAL


def test_status_labels() -> None:
    assert SLA_STATUS_LABELS == {
        SlaStatus.NORMAL: "正常",
        SlaStatus.WARNING: "预警",
        SlaStatus.OVERDUE: "超期",
    }
    assert SlaStatus.OVERDUE.label_zh == "超期"
    assert SlaStatus("warning") is SlaStatus.WARNING


# ------------------------------------------------------------------------ OfficeHours


def test_office_hours_default_and_parse() -> None:
    default = OfficeHours()
    assert default == OfficeHours.parse("09:00-12:00,13:30-18:00")
    assert str(default) == "09:00-12:00,13:30-18:00"
    assert default.closing == time(18)
    assert default.opening == time(9)
    assert default.seconds_per_day == 7.5 * 3600
    assert OfficeHours.parse(" 8:30 - 17:00 ").periods == ((time(8, 30), time(17)),)
    assert OfficeHours.parse("09:00-12:00；13:00-17:00").closing == time(17)
    assert OfficeHours.parse("09:00-12:00,12:00-13:00").seconds_per_day == 4 * 3600


@pytest.mark.parametrize(
    "text",
    [
        "",
        " , ",
        "09:00",
        "9-12",
        "09:00-12:00,13:30",
        "25:00-26:00",
        "09:60-10:00",
        "12:00-09:00",
        "09:00-09:00",
        "13:30-18:00,09:00-12:00",  # unsorted
        "09:00-13:00,12:00-18:00",  # overlapping
        "09:00-12:00 13:30-18:00",  # missing separator
        "24:00-24:00",
    ],
)
def test_office_hours_parse_errors(text: str) -> None:
    with pytest.raises(ValueError):
        OfficeHours.parse(text)


def test_office_hours_constructor_validation() -> None:
    with pytest.raises(ValueError):
        OfficeHours(())
    with pytest.raises(ValueError):
        OfficeHours(((time(9, tzinfo=UTC), time(12, tzinfo=UTC)),))
    # Lists are normalised into tuples so the value stays hashable.
    hours = OfficeHours([[time(9), time(12)]])  # type: ignore[arg-type]
    assert hours.periods == ((time(9), time(12)),)
    assert hash(hours) == hash(OfficeHours(((time(9), time(12)),)))


# -------------------------------------------------------------------------- TimeLimit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", h(2)),
        ("2H", h(2)),
        ("2 hours", h(2)),
        ("1 hour", h(1)),
        ("24hrs", h(24)),
        ("5d", d(5)),
        ("5 days", d(5)),
        ("1 day", d(1)),
        (" 15d ", d(15)),
        ("2个工作小时", h(2)),
        ("2小时", h(2)),
        ("5个工作日", d(5)),
        ("5天", d(5)),
    ],
)
def test_time_limit_parse(text: str, expected: TimeLimit) -> None:
    assert TimeLimit.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "h", "2", "0h", "-2h", "2.5h", "2 weeks", "2m", "two days", "2 h 3", "2hd"]
)
def test_time_limit_parse_errors(text: str) -> None:
    with pytest.raises(ValueError):
        TimeLimit.parse(text)


def test_time_limit_str_and_label() -> None:
    assert str(h(2)) == "2h"
    assert str(d(5)) == "5d"
    assert h(2).label_zh == "2个工作小时"
    assert d(5).label_zh == "5个工作日"


def test_time_limit_validation() -> None:
    with pytest.raises(ValueError):
        TimeLimit(0, TimeUnit.DAYS)
    with pytest.raises(ValueError):
        TimeLimit(True, TimeUnit.DAYS)
    with pytest.raises(ValueError):
        TimeLimit(1.5, TimeUnit.HOURS)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TimeLimit(1, "weeks")  # type: ignore[arg-type]
    assert TimeLimit(3, "days").unit is TimeUnit.DAYS  # type: ignore[arg-type]


# ------------------------------------------------------------------------- properties

starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.just(SH),
)
limits = st.builds(TimeLimit, amount=st.integers(1, 60), unit=st.sampled_from(TimeUnit))


@st.composite
def office_hours(draw: st.DrawFn) -> OfficeHours:
    # Distinct sorted minute marks paired up give sorted, non-overlapping periods.
    marks = sorted(draw(st.lists(st.integers(0, 1439), min_size=2, max_size=6, unique=True)))
    pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    return OfficeHours(tuple((time(*divmod(a, 60)), time(*divmod(b, 60))) for a, b in pairs))


def _in_or_at_end_of_period(moment: datetime, hours: OfficeHours) -> bool:
    t = moment.time()
    return any(opening < t <= closing for opening, closing in hours.periods)


@PROPERTY
@given(start=starts, limit=limits)
def test_due_is_on_a_workday_inside_or_at_end_of_a_period(
    start: datetime, limit: TimeLimit
) -> None:
    due = CLOCK.due_at(start, limit)
    assert due.tzinfo is SH
    assert due > start
    assert CAL.is_workday(due.date())
    assert _in_or_at_end_of_period(due, CLOCK.office_hours)


@PROPERTY
@given(start=starts, unit=st.sampled_from(TimeUnit), a=st.integers(1, 40), k=st.integers(1, 20))
def test_due_at_is_strictly_monotonic_in_amount(
    start: datetime, unit: TimeUnit, a: int, k: int
) -> None:
    assert CLOCK.due_at(start, TimeLimit(a, unit)) < CLOCK.due_at(start, TimeLimit(a + k, unit))


@PROPERTY
@given(start=starts, amount=st.integers(1, 200), hours=office_hours())
def test_hour_limits_use_exactly_their_working_seconds(
    start: datetime, amount: int, hours: OfficeHours
) -> None:
    clock = SlaClock(CAL, hours)
    due = clock.due_at(start, h(amount))
    assert clock.working_seconds_between(start, due) == amount * 3600
    assert CAL.is_workday(due.date())
    assert _in_or_at_end_of_period(due, hours)
    # Earliest such instant: one microsecond less is not enough.
    assert clock.working_seconds_between(start, due - timedelta(microseconds=1)) < amount * 3600


@PROPERTY
@given(start=starts, amount=st.integers(1, 60), hours=office_hours())
def test_day_limits_count_whole_working_days_after_receipt(
    start: datetime, amount: int, hours: OfficeHours
) -> None:
    due = SlaClock(CAL, hours).due_at(start, d(amount))
    assert due.time() == hours.closing
    assert CAL.is_workday(due.date())
    span = (due.date() - start.date()).days
    counted = [start.date() + timedelta(days=n) for n in range(1, span + 1)]
    assert sum(CAL.is_workday(day) for day in counted) == amount


@st.composite
def start_and_office_moment(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A start and a later moment strictly inside (open, close] of a working-day period."""
    start = draw(starts)
    day = start.date() + timedelta(days=draw(st.integers(0, 40)))
    while not CAL.is_workday(day):
        day += timedelta(days=1)
    opening, closing = draw(st.sampled_from(CLOCK.office_hours.periods))
    base = datetime.combine(day, opening, tzinfo=SH)
    length_us = (datetime.combine(day, closing) - datetime.combine(day, opening)) // timedelta(
        microseconds=1
    )
    moment = base + timedelta(microseconds=draw(st.integers(1, length_us)))
    assume(moment > start)
    return start, moment


@PROPERTY
@given(pair=start_and_office_moment())
def test_add_working_seconds_inverts_working_seconds_between(
    pair: tuple[datetime, datetime],
) -> None:
    start, moment = pair
    elapsed = CLOCK.working_seconds_between(start, moment)
    assert CLOCK.add_working_seconds(start, elapsed) == moment


@PROPERTY
@given(a=starts, gap1=st.integers(0, 10**7), gap2=st.integers(0, 10**7))
def test_working_seconds_between_is_additive(a: datetime, gap1: int, gap2: int) -> None:
    b = a + timedelta(seconds=gap1)
    c = b + timedelta(seconds=gap2)
    w = CLOCK.working_seconds_between
    # Float seconds with microsecond fractions: equal up to rounding of the sum.
    assert w(a, c) == pytest.approx(w(a, b) + w(b, c), abs=1e-6)


@PROPERTY
@given(start=starts, limit=limits, offset=st.integers(-(10**6), 10**7))
def test_status_reading_is_consistent(start: datetime, limit: TimeLimit, offset: int) -> None:
    due = CLOCK.due_at(start, limit)
    now = start + timedelta(seconds=offset)
    reading = CLOCK.status(start, due, now)
    allowed = CLOCK.working_seconds_between(start, due)
    if now > due:
        assert reading.status is SlaStatus.OVERDUE
        assert reading.remaining_seconds <= 0
        assert reading.used_fraction >= 1.0
    else:
        assert reading.status is not SlaStatus.OVERDUE
        assert reading.remaining_seconds >= 0
        assert (reading.status is SlaStatus.WARNING) == (reading.used_fraction >= 0.8)
    if start <= now <= due:
        # Used + remaining is the whole allowance (before start, "remaining" counts from now).
        used = reading.used_fraction * allowed
        assert reading.remaining_seconds + used == pytest.approx(allowed)


def test_time_limit_round_trips() -> None:
    for limit in (h(1), h(36), d(1), d(15)):
        assert TimeLimit.parse(str(limit)) == limit
        assert TimeLimit.parse(limit.label_zh) == limit
