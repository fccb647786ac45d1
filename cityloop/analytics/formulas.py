"""KPI formulas of the evaluation (考核评价): pure functions, no database.

Every rate is a numerator over a denominator of order counts; the SQL in `kpi.py` produces the
counts and these functions turn them into figures, so a figure can always be traced back to the
two order lists behind it (`kpi.drilldown`). The formulas are documented in docs/EVALUATION.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# -- the counts a KPI cell carries -------------------------------------------------------------
COUNTS: tuple[str, ...] = (
    "intake",  # orders received in the period
    "valid",  # received in the period and not merged or cancelled
    "completed",  # of those, replied or closed now
    "urges",  # urgings (督办) of orders received in the period
    "urged_orders",  # orders received in the period urged at least once
    "on_spot",  # orders received in the period handled on the spot (就地处置) by a grid worker
    "dispatched",  # dispatches in the period (one per dispatch event)
    "returned",  # of those, returned (退单) by the department
    "accepted",  # of those, accepted (签收)
    "accepted_in_limit",  # accepted within the acceptance limit
    "pending",  # neither accepted nor returned and the limit not yet over: not judged yet
    "accept_ws",  # sum of working seconds dispatch → accept over accepted dispatches
    "due",  # orders falling due in the period whose outcome is known (due passed, or replied)
    "on_time",  # of those, replied (replied or closed) by the due time
    "replied",  # orders (last) replied in the period
    "rated",  # of those, rated by the resident
    "good",  # of those, rated satisfied or basically satisfied
    "reworked",  # of those, reopened (重办) at least once
    "reply_ws",  # sum of working seconds receipt → reply over replied orders
)
FLOAT_COUNTS = frozenset({"accept_ws", "reply_ws"})

# -- working-hour histograms for p90 -----------------------------------------------------------
# Buckets of working hours: 15 min wide below 8 h, 1 h wide below 96 h, 8 h wide below 960 h,
# then one open bucket. A percentile is interpolated inside its bucket, so its error is at most
# a bucket's width (15 min for the acceptance times that matter).
_EDGES: tuple[tuple[float, float, int], ...] = ((8.0, 0.25, 0), (96.0, 1.0, 32), (960.0, 8.0, 120))
LAST_BUCKET = 228


def bucket_of(hours: float) -> int:
    """The histogram bucket of a duration in working hours (mirrors `kpi_facts.bucket_sql`)."""
    h = max(hours, 0.0)
    lower = 0.0
    for upper, width, base in _EDGES:
        if h < upper:
            return base + int(math.floor((h - lower) / width))
        lower = upper
    return LAST_BUCKET


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[lower, upper) working hours of a bucket; the last bucket is open (upper = lower)."""
    lower = 0.0
    for upper, width, base in _EDGES:
        n = int(round((upper - lower) / width))
        if bucket < base + n:
            lo = lower + (bucket - base) * width
            return lo, lo + width
        lower = upper
    return lower, lower


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 < q ≤ 1) of durations given as {bucket: count}, in working hours,
    interpolated linearly inside the bucket where the cumulative count reaches q·N."""
    total = sum(hist.values())
    if total <= 0:
        return None
    target = q * total
    seen = 0
    for b in sorted(hist):
        n = hist[b]
        if n <= 0:
            continue
        if seen + n >= target:
            lo, hi = bucket_bounds(b)
            frac = (target - seen) / n
            return round(lo + (hi - lo) * frac, 2)
        seen += n
    lo, _ = bucket_bounds(max(hist))
    return round(lo, 2)


def ratio(num: float | None, den: float | None) -> float | None:
    """num / den rounded to 4 places; None when there is nothing to divide by."""
    return round((num or 0) / den, 4) if den else None


@dataclass(frozen=True)
class KpiFigures:
    """The figures of one cell (a department, a region … in one period)."""

    intake: int
    dispatch_accuracy: float | None
    response_rate: float | None
    on_time_rate: float | None
    completion_rate: float | None
    satisfaction_rate: float | None
    rework_rate: float | None
    urges: int
    on_spot: int
    avg_accept_hours: float | None
    p90_accept_hours: float | None
    avg_reply_hours: float | None
    p90_reply_hours: float | None


def figures(
    counts: Mapping[str, float],
    accept_hist: Mapping[int, int] | None = None,
    reply_hist: Mapping[int, int] | None = None,
) -> KpiFigures:
    """Turn the counts of a cell into its KPIs (formulas in docs/EVALUATION.md)."""
    c = {k: counts.get(k, 0) or 0 for k in COUNTS}
    judged = c["dispatched"] - c["pending"]
    return KpiFigures(
        intake=int(c["intake"]),
        dispatch_accuracy=(
            round(1 - c["returned"] / c["dispatched"], 4) if c["dispatched"] else None
        ),
        response_rate=ratio(c["accepted_in_limit"], judged),
        on_time_rate=ratio(c["on_time"], c["due"]),
        completion_rate=ratio(c["completed"], c["valid"]),
        satisfaction_rate=ratio(c["good"], c["rated"]),
        rework_rate=ratio(c["reworked"], c["replied"]),
        urges=int(c["urges"]),
        on_spot=int(c["on_spot"]),
        avg_accept_hours=(
            round(c["accept_ws"] / c["accepted"] / 3600, 2) if c["accepted"] else None
        ),
        p90_accept_hours=percentile(accept_hist or {}, 0.9),
        avg_reply_hours=(round(c["reply_ws"] / c["replied"] / 3600, 2) if c["replied"] else None),
        p90_reply_hours=percentile(reply_hist or {}, 0.9),
    )


# -- the composite score --------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the composite score; they need not sum to 1 (they are normalised)."""

    response: float = 0.30
    resolution: float = 0.35
    satisfaction: float = 0.35

    def __post_init__(self) -> None:
        values = (self.response, self.resolution, self.satisfaction)
        if any(w < 0 for w in values) or sum(values) <= 0:
            raise ValueError("score weights must be non-negative and not all zero")

    @classmethod
    def parse(cls, text: str) -> ScoreWeights:
        """``"response=0.3,resolution=0.35,satisfaction=0.35"`` (percentages work too)."""
        values: dict[str, float] = {}
        for part in text.replace("，", ",").split(","):
            if not part.strip():
                continue
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in ("response", "resolution", "satisfaction") or not value.strip():
                raise ValueError(f"weight {part.strip()!r} is not like 'response=0.3'")
            values[name] = float(value)
        return cls(**values)


@dataclass(frozen=True)
class GradeScale:
    """Lower bounds of grades A–D on the 0–100 score; below the last is E."""

    bounds: Sequence[tuple[str, float]] = field(
        default_factory=lambda: (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
    )

    def grade(self, score: float | None) -> str | None:
        if score is None:
            return None
        for letter, lower in self.bounds:
            if score >= lower:
                return letter
        return "E"


def composite_score(
    response_rate: float | None,
    on_time_rate: float | None,
    satisfaction_rate: float | None,
    weights: ScoreWeights = ScoreWeights(),
) -> float | None:
    """100 × weighted mean of response rate, on-time completion rate (resolution) and
    satisfaction rate; a component without data drops out and the others are renormalised."""
    parts = [
        (weights.response, response_rate),
        (weights.resolution, on_time_rate),
        (weights.satisfaction, satisfaction_rate),
    ]
    used = [(w, r) for w, r in parts if r is not None and w > 0]
    total = sum(w for w, _ in used)
    if not used or total <= 0:
        return None
    return round(100 * sum(w * r for w, r in used) / total, 2)
