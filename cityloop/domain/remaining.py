"""Time left in words a dispatcher reads at a glance: 剩余 1天3小时（工作日）, 超时 25分钟.

Pure domain code. On the working clock a day is one day's office hours (7.5 h by default), so
"1天" left means one more working day's worth of office time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityloop.domain.sla import LimitClock
from cityloop.domain.steps import STEP_STATE_LABELS, StepState

__all__ = ["Wording", "remaining_words", "split_duration"]


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
