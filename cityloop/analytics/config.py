"""Analytics settings, read from the one Settings object (CITYLOOP_ANALYTICS_* variables).

Until the fields are declared on `cityloop.settings.Settings`, the defaults below apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityloop.analytics.formulas import ScoreWeights
from cityloop.domain.sla import OfficeHours, TimeLimit, TimeUnit
from cityloop.settings import Settings


@dataclass(frozen=True)
class AnalyticsConfig:
    accept_limit: str = "1d"  # 签收时限 for the response rate, in working time
    score_weights: str = "response=0.30,resolution=0.35,satisfaction=0.35"
    refresh_days: int = 62  # trailing days a KPI rollup refresh recomputes
    warning_alpha: float = 0.001  # one-sided p-value below which a day is flagged
    warning_min_excess: int = 3  # and at least this many appeals above the baseline
    warning_baseline_days: int = 56  # history the baseline is fitted on
    hot_window_days: int = 30  # the live hot-issue list looks this far back

    @classmethod
    def of(cls, settings: Settings) -> AnalyticsConfig:
        return cls(
            **{
                name: getattr(settings, f"analytics_{name}")
                for name in cls.__dataclass_fields__
                if hasattr(settings, f"analytics_{name}")
            }
        )

    def weights(self) -> ScoreWeights:
        return ScoreWeights.parse(self.score_weights)


def limit_seconds(limit: str, office_hours: OfficeHours) -> float:
    """A limit like '1d' or '4h' in working seconds (a working day is one day's office hours)."""
    parsed = TimeLimit.parse(limit)
    if parsed.unit is TimeUnit.MINUTES:
        return parsed.amount * 60.0
    if parsed.unit is TimeUnit.HOURS:
        return parsed.amount * 3600.0
    return parsed.amount * office_hours.seconds_per_day
