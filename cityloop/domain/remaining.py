"""Time left in words a dispatcher reads at a glance: 剩余 1天3小时（工作日）, 超时 25分钟.

Pure domain code. On the working clock a day is one day's office hours (7.5 h by default), so
"1天" left means one more working day's worth of office time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityloop.domain.sla import LimitClock
from cityloop.domain.steps import STEP_STATE_LABELS, StepState

__all__ = ["Wording", "order_remaining_words", "remaining_words", "split_duration"]


@dataclass(frozen=True)
class Wording:
    """The same message for both languages, and as a code with parameters for the console."""

    zh: str
    en: str
    code: str
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"zh": self.zh, "en": self.en, "code": self.code, "params": self.params}


def split_duration(seconds: float, day_seconds: float) -> tuple[int, int, int]:
    """(days, hours, minutes) of a non-negative duration, minutes rounded down."""
    if day_seconds <= 0:
        raise ValueError("a day must last some seconds")
    total = max(0, int(seconds))
    days, rest = divmod(total, int(day_seconds))
    hours, rest = divmod(rest, 3600)
    return days, hours, rest // 60


def _words(days: int, hours: int, minutes: int) -> tuple[str, str]:
    # The two largest units are enough at a glance.
    parts = [(days, "天", "d"), (hours, "小时", "h"), (minutes, "分钟", "min")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    shown = [p for p in parts[:2] if p[0]]
    if not shown:
        return "不足1分钟", "under 1 min"
    return "".join(f"{n}{zh}" for n, zh, _ in shown), " ".join(f"{n} {en}" for n, _, en in shown)


def remaining_words(
    state: StepState, seconds: float, clock: LimitClock, working_day_seconds: float
) -> Wording:
    """Words for a step in ``state`` with ``seconds`` left (running, warning) or over
    (overdue), counted on ``clock``; finished steps just say how they ended."""
    if state not in (StepState.RUNNING, StepState.WARNING, StepState.OVERDUE):
        zh, en = STEP_STATE_LABELS[state]
        return Wording(zh, en, f"step.{state.value}", {})
    day = working_day_seconds if clock is LimitClock.WORKING else 86400.0
    days, hours, minutes = split_duration(abs(seconds), day)
    zh_amount, en_amount = _words(days, hours, minutes)
    working = clock is LimitClock.WORKING
    zh_suffix = "（工作日）" if working else ""
    en_suffix = " (working time)" if working else ""
    params = {"days": days, "hours": hours, "minutes": minutes, "clock": clock.value}
    if state is StepState.OVERDUE:
        zh, en = f"超时 {zh_amount}{zh_suffix}", f"{en_amount} overdue{en_suffix}"
        return Wording(zh, en, "step.overdue", params)
    return Wording(
        f"剩余 {zh_amount}{zh_suffix}", f"{en_amount} left{en_suffix}", "step.remaining", params
    )


def _amount(value: float) -> str:
    """One decimal, without a trailing .0 (2.6, 3, 0.5)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def order_remaining_words(seconds: float, clock: LimitClock, working_day_seconds: float) -> Wording:
    """An order's time left (``seconds`` < 0: over) in words that say the clock: a working
    limit counts working days (剩余 2.6 个工作日), an hour or so of office time in hours and
    minutes (剩余 3小时20分（工作时间）); a natural limit counts days or hours on the 24×7 clock
    (剩余 5小时（自然时）). "23小时38分" of a three-working-day limit never reads like tomorrow."""
    if working_day_seconds <= 0:
        raise ValueError("a working day must last some seconds")
    over = seconds < 0
    left = abs(seconds)
    working = clock is LimitClock.WORKING
    day = working_day_seconds if working else 86400.0
    params: dict[str, Any] = {"clock": clock.value, "seconds": round(seconds)}
    zh_lead, en_tail = ("超时", "overdue") if over else ("剩余", "left")
    if left >= day:
        days = _amount(left / day)
        params["days"] = float(days)
        if working:
            zh, en = f"{zh_lead} {days} 个工作日", f"{days} working days {en_tail}"
        else:
            zh, en = f"{zh_lead} {days} 天（自然日）", f"{days} days {en_tail} (calendar time)"
    else:
        hours, rest = divmod(int(left), 3600)
        minutes = rest // 60
        params |= {"hours": hours, "minutes": minutes}
        zh_amount = (f"{hours}小时" if hours else "") + (f"{minutes}分" if minutes else "")
        en_amount = " ".join(
            p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p
        )
        zh_amount, en_amount = zh_amount or "不足1分钟", en_amount or "under 1 min"
        zh_clock, en_clock = (
            ("（工作时间）", " (office hours)") if working else ("（自然时）", " (calendar time)")
        )
        zh, en = f"{zh_lead} {zh_amount}{zh_clock}", f"{en_amount} {en_tail}{en_clock}"
    return Wording(zh, en, "order.overdue" if over else "order.remaining", params)
