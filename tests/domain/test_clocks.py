"""The two clocks (natural, working), the limit syntax, step timers and time left in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cityloop.domain.remaining import remaining_words, split_duration
from cityloop.domain.sla import LimitClock, OfficeHours, SlaClock, SlaStatus, TimeLimit, TimeUnit
from cityloop.domain.statuses import Action, OrderStatus
from cityloop.domain.steps import (
    Step,
    StepLimits,
    StepState,
    StepTimer,
    advance,
    escalate,
    reply_blockers,
)
from cityloop.workcalendar import ChineseWorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = ChineseWorkCalendar()
CLOCK = SlaClock(CAL)
N, W = LimitClock.NATURAL, LimitClock.WORKING
PROPERTY = hsettings(max_examples=150, deadline=None)


# -- syntax ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h@natural", TimeLimit(2, TimeUnit.HOURS, N)),
        ("30m@natural", TimeLimit(30, TimeUnit.MINUTES, N)),
        ("1d@natural", TimeLimit(1, TimeUnit.DAYS, N)),
        ("5d", TimeLimit(5, TimeUnit.DAYS, W)),
        ("8wh", TimeLimit(8, TimeUnit.HOURS, W)),
        ("3d@working", TimeLimit(3, TimeUnit.DAYS, W)),
        ("3wd", TimeLimit(3, TimeUnit.DAYS, W)),
        (" 2 H @ Natural ", TimeLimit(2, TimeUnit.HOURS, N)),
        ("24h@自然", TimeLimit(24, TimeUnit.HOURS, N)),
        ("30分钟@natural", TimeLimit(30, TimeUnit.MINUTES, N)),
        ("2自然日", TimeLimit(2, TimeUnit.DAYS, N)),
    ],
)
def test_limit_syntax(text: str, expected: TimeLimit) -> None:
    assert TimeLimit.parse(text) == expected
    assert TimeLimit.parse(str(expected)) == expected  # the stored form reads back


def test_a_limit_without_clock_takes_the_default_clock() -> None:
    # The urgent column of the linkage list: "2h" is two real hours.
    assert TimeLimit.parse("2h", N) == TimeLimit(2, TimeUnit.HOURS, N)
    assert TimeLimit.parse("30m", N) == TimeLimit(30, TimeUnit.MINUTES, N)
    # A unit that names its clock keeps it.
    assert TimeLimit.parse("5个工作日", N).clock is W
    assert TimeLimit.parse("8wh", N).clock is W


@pytest.mark.parametrize(
    "text",
    ["30m", "2h@weekly", "8wh@natural", "2工作日@natural", "0h@natural", "2x", "@natural", ""],
)
def test_bad_limits_are_refused_with_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError) as err:
        TimeLimit.parse(text)
    message = str(err.value)
    assert "允许的写法" in message and "30m@natural" in message and "8wh" in message


def test_labels_say_the_clock() -> None:
    assert TimeLimit.parse("2h@natural").label_zh == "2小时（自然时间）"
    assert TimeLimit.parse("5d").label_zh == "5个工作日"
    assert TimeLimit.parse("30m@natural").label_en == "30 minutes (natural time)"
    assert TimeLimit.parse("1d").label_en == "1 working day"
    assert str(TimeLimit.parse("10m@natural")) == "10m@natural"
    assert str(TimeLimit.parse("8wh")) == "8h"


# -- the natural clock ------------------------------------------------------------------------
def test_urgent_two_hours_at_17_01_on_a_tuesday_is_due_at_19_01() -> None:
    tuesday = datetime(2026, 12, 1, 17, 1, tzinfo=SH)
    assert tuesday.weekday() == 1
    assert CLOCK.due_at(tuesday, TimeLimit.parse("2h", N)) == datetime(
        2026, 12, 1, 19, 1, tzinfo=SH
    )
    # The working clock would have said the next morning.
    assert CLOCK.due_at(tuesday, TimeLimit.parse("2h")) == datetime(2026, 12, 2, 10, 1, tzinfo=SH)


def test_natural_limits_ignore_holidays() -> None:
    national_day = datetime(2026, 10, 1, 17, 1, tzinfo=SH)
    assert not CAL.is_workday(national_day.date())
    assert CLOCK.due_at(national_day, TimeLimit.parse("2h@natural")) == national_day + timedelta(
        hours=2
    )
    assert CLOCK.due_at(national_day, TimeLimit.parse("1d@natural")) == national_day + timedelta(
        days=1
    )


def test_make_up_working_day_counts_on_the_working_clock() -> None:
    # Saturday 2026-10-10 is a make-up working day (调休) after the National Day week.
    makeup = date(2026, 10, 10)
    assert makeup.weekday() == 5 and CAL.is_workday(makeup)
    friday_evening = datetime(2026, 10, 9, 17, 0, tzinfo=SH)
    due = CLOCK.due_at(friday_evening, TimeLimit.parse("2h"))
    assert due == datetime(2026, 10, 10, 10, 0, tzinfo=SH)  # not Monday
    # The natural clock runs through the night instead.
    assert CLOCK.due_at(friday_evening, TimeLimit.parse("2h@natural")) == datetime(
        2026, 10, 9, 19, 0, tzinfo=SH
    )


def test_natural_reading_counts_real_seconds() -> None:
    start = datetime(2026, 12, 1, 17, 1, tzinfo=SH)
    due = start + timedelta(hours=2)
    r = CLOCK.status(start, due, start + timedelta(minutes=100), 0.8, N)
    assert r.status is SlaStatus.WARNING and r.remaining_seconds == 20 * 60
    late = CLOCK.status(start, due, due + timedelta(minutes=25), 0.8, N)
    assert late.status is SlaStatus.OVERDUE and late.remaining_seconds == -25 * 60


starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(SH)
)


@PROPERTY
@given(start=starts, amount=st.integers(1, 500), unit=st.sampled_from(TimeUnit))
def test_natural_deadlines_are_exactly_start_plus_limit(
    start: datetime, amount: int, unit: TimeUnit
) -> None:
    limit = TimeLimit(amount, unit, N)
    due = CLOCK.due_at(start, limit)
    assert due - start == limit.natural_delta
    assert due.astimezone(UTC) - start.astimezone(UTC) == limit.natural_delta


def _in_office(moment: datetime, hours: OfficeHours) -> bool:
    t = moment.time()
    return any(o < t <= c for o, c in hours.periods)


@PROPERTY
@given(
    start=starts,
    amount=st.integers(1, 60),
    unit=st.sampled_from([TimeUnit.HOURS, TimeUnit.DAYS]),
)
def test_every_working_deadline_lands_in_office_hours_on_a_working_day(
    start: datetime, amount: int, unit: TimeUnit
) -> None:
    due = CLOCK.due_at(start, TimeLimit(amount, unit, W))
    assert CAL.is_workday(due.date())
    assert _in_office(due, CLOCK.office_hours)


@PROPERTY
@given(start=starts, amount=st.integers(1, 100), fraction=st.floats(0.05, 1.0))
def test_warning_is_between_start_and_due_on_both_clocks(
    start: datetime, amount: int, fraction: float
) -> None:
    for clock in (N, W):
        limit = TimeLimit(amount, TimeUnit.HOURS, clock)
        due = CLOCK.due_at(start, limit)
        warn = CLOCK.warn_at(start, due, fraction, clock)
        assert start <= warn <= due
        used = CLOCK.seconds_between(start, warn, clock)
        total = CLOCK.seconds_between(start, due, clock)
        assert used == pytest.approx(total * fraction, abs=1e-3)


# -- time left in words -----------------------------------------------------------------------
def test_remaining_words() -> None:
    day = OfficeHours().seconds_per_day  # 7.5 working hours
    w = remaining_words(StepState.RUNNING, day + 3 * 3600 + 59, W, day)
    assert w.zh == "剩余 1天3小时（工作日）" and w.en == "1 d 3 h left (working time)"
    assert w.code == "step.remaining" and w.params["days"] == 1 and w.params["hours"] == 3
    late = remaining_words(StepState.OVERDUE, -25 * 60, N, day)
    assert late.zh == "超时 25分钟" and late.en == "25 min overdue"
    assert remaining_words(StepState.WARNING, 30, N, day).zh == "剩余 不足1分钟"
    assert remaining_words(StepState.DONE_LATE, -10, N, day).zh == "超时完成"
    assert split_duration(86400 + 3600 + 60, 86400) == (1, 1, 1)


# -- step timers --------------------------------------------------------------------------------
class _Cal:
    """Natural arithmetic in UTC is enough to test the timers' logic."""

    def deadline(self, start: datetime, limit: TimeLimit) -> tuple[datetime, datetime]:
        due = start + limit.natural_delta
        return due, start + (due - start) * 0.8

    def share(
        self, start: datetime, due: datetime, fraction: float, clock: LimitClock
    ) -> tuple[datetime, datetime]:
        part = start + (due - start) * fraction
        return part, start + (part - start) * 0.8


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LIMITS = StepLimits(
    dispatch=TimeLimit.parse("10m@natural"),
    respond=TimeLimit.parse("30m@natural"),
    complete=TimeLimit.parse("24h@natural"),
)


def _go(timers: list[StepTimer], action: Action, at: datetime, to: OrderStatus, **data: object):
    return advance(timers, action, at, to, data, LIMITS, _Cal())


def test_queue_dispatch_accept_reply_steps() -> None:
    t = _go([], Action.SUBMIT, T0, OrderStatus.PENDING_DISPATCH)
    assert [(x.step, x.due_at) for x in t] == [(Step.DISPATCH, T0 + timedelta(minutes=10))]
    at = T0 + timedelta(minutes=15)  # five minutes late
    due = at + timedelta(hours=24)
    t = _go(
        t,
        Action.DISPATCH,
        at,
        OrderStatus.DISPATCHED,
        lead_department="D-RQ",
        co_departments=["D-HX"],
        time_limit="24h@natural",
        due_at=due.isoformat(),
        warn_at=(due - timedelta(hours=4)).isoformat(),
    )
    by = {(x.step, x.department_code): x for x in t}
    assert by[(Step.DISPATCH, None)].state(at) is StepState.DONE_LATE
    assert by[(Step.RESPOND, "D-RQ")].due_at == at + timedelta(minutes=30)
    assert by[(Step.COMPLETE, "D-RQ")].due_at == due
    # Co-handlers get half the lead's time by default.
    assert by[(Step.CO_FEEDBACK, "D-HX")].due_at == at + timedelta(hours=12)
    assert reply_blockers(t, at + timedelta(hours=1)) == [by[(Step.CO_FEEDBACK, "D-HX")]]
    assert reply_blockers(t, at + timedelta(hours=13)) == []
    t = _go(t, Action.ACCEPT, at + timedelta(minutes=5), OrderStatus.ACCEPTED)
    t = _go(t, Action.REPLY, at + timedelta(hours=13), OrderStatus.REPLIED)
    states = {(x.step, x.department_code): x.state(at + timedelta(days=2)) for x in t}
    assert states == {
        (Step.DISPATCH, None): StepState.DONE_LATE,
        (Step.RESPOND, "D-RQ"): StepState.DONE,
        (Step.COMPLETE, "D-RQ"): StepState.DONE,
        (Step.CO_FEEDBACK, "D-HX"): StepState.MISSED,
    }


def test_return_restarts_the_dispatch_step_and_cancels_the_rest() -> None:
    t = _go([], Action.DISPATCH, T0, OrderStatus.DISPATCHED, lead_department="D-CG")
    assert t[0].step is Step.DISPATCH and t[0].state(T0) is StepState.DONE  # at receipt
    t = _go(t, Action.RETURN, T0 + timedelta(minutes=20), OrderStatus.RETURNED)
    open_ = [x for x in t if x.open]
    assert [x.step for x in open_] == [Step.DISPATCH]
    assert any(x.step is Step.COMPLETE and x.outcome is StepState.CANCELLED for x in t)


def test_escalation_only_shortens() -> None:
    slow = StepLimits(
        dispatch=TimeLimit.parse("2d@natural"),
        respond=TimeLimit.parse("2d@natural"),
        complete=TimeLimit.parse("10d@natural"),
    )
    t = advance([], Action.SUBMIT, T0, OrderStatus.PENDING_DISPATCH, {}, slow, _Cal())
    later = T0 + timedelta(hours=1)
    raised = escalate(t, later, LIMITS, _Cal())
    assert raised[0].due_at == later + timedelta(minutes=10)
    assert raised[0].limit == LIMITS.dispatch
    # Escalating again later never moves a deadline back.
    again = escalate(raised, later + timedelta(minutes=9), LIMITS, _Cal())
    assert again[0].due_at == raised[0].due_at


def test_timer_invariants() -> None:
    with pytest.raises(ValueError):
        StepTimer(Step.DISPATCH, LIMITS.dispatch, T0, T0, T0 + timedelta(seconds=1))
    with pytest.raises(ValueError):
        StepTimer(Step.DISPATCH, LIMITS.dispatch, T0, T0, T0, finished_at=T0)
    with pytest.raises(ValueError):
        StepLimits(LIMITS.dispatch, LIMITS.respond, LIMITS.complete, co_feedback_share=0)


def test_office_hours_do_not_matter_to_natural_limits() -> None:
    night_shift = SlaClock(CAL, OfficeHours(((time(9), time(10)),)))
    start = datetime(2026, 12, 5, 3, 0, tzinfo=SH)  # a Saturday night
    assert night_shift.due_at(start, TimeLimit.parse("30m@natural")) == start + timedelta(
        minutes=30
    )
