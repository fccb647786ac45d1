"""The pure KPI formulas: histograms, percentiles, ratios, composite score, grades, periods."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.analytics.formulas import (
    LAST_BUCKET,
    GradeScale,
    ScoreWeights,
    bucket_bounds,
    bucket_of,
    composite_score,
    figures,
    percentile,
)
from cityloop.analytics.kpi import parse_period


@pytest.mark.parametrize(
    "hours", [0.0, 0.1, 0.25, 1.5, 7.5, 7.99, 8.0, 30.5, 95.9, 96.0, 500.0, 959.0]
)
def test_bucket_contains_its_value(hours: float) -> None:
    lo, hi = bucket_bounds(bucket_of(hours))
    assert lo <= hours < hi


def test_last_bucket_is_open() -> None:
    assert bucket_of(5000) == LAST_BUCKET
    assert bucket_bounds(LAST_BUCKET) == (960.0, 960.0)


def test_percentile_interpolates_inside_the_bucket() -> None:
    # ten durations in [1.0, 1.25) and ten in [2.0, 2.25): p90 is 18 of 20 → 80 % into the
    # second bucket
    hist = {bucket_of(1.1): 10, bucket_of(2.1): 10}
    assert percentile(hist, 0.9) == pytest.approx(2.2)
    assert percentile({}, 0.9) is None


def test_figures_from_counts() -> None:
    f = figures(
        {
            "intake": 10,
            "valid": 8,
            "completed": 6,
            "urges": 3,
            "dispatched": 10,
            "returned": 2,
            "accepted": 7,
            "accepted_in_limit": 6,
            "pending": 2,
            "accept_ws": 7 * 3600.0,
            "due": 5,
            "on_time": 4,
            "replied": 4,
            "rated": 4,
            "good": 3,
            "reworked": 1,
            "reply_ws": 4 * 10 * 3600.0,
        }
    )
    assert f.dispatch_accuracy == 0.8
    assert f.response_rate == 0.75  # 6 / (10 − 2 pending)
    assert f.on_time_rate == 0.8
    assert f.completion_rate == 0.75
    assert f.satisfaction_rate == 0.75
    assert f.rework_rate == 0.25
    assert f.urges == 3
    assert f.avg_accept_hours == 1.0
    assert f.avg_reply_hours == 10.0


def test_empty_cells_have_no_rates() -> None:
    f = figures({})
    assert f.response_rate is None and f.on_time_rate is None and f.dispatch_accuracy is None


def test_composite_score_default_weights_and_renormalisation() -> None:
    assert composite_score(1 / 3, 1.0, 1.0) == 80.0
    # no on-time figure: response and satisfaction weigh 30:35
    assert composite_score(0.5, None, 1.0) == pytest.approx(100 * (0.15 + 0.35) / 0.65, abs=0.01)
    assert composite_score(None, None, None) is None
    w = ScoreWeights.parse("response=1,resolution=0,satisfaction=1")
    assert composite_score(0.5, 0.0, 1.0, w) == 75.0


def test_weights_must_make_sense() -> None:
    with pytest.raises(ValueError):
        ScoreWeights.parse("speed=1")
    with pytest.raises(ValueError):
        ScoreWeights(0, 0, 0)


def test_grades() -> None:
    g = GradeScale()
    assert [g.grade(s) for s in (95, 90, 85, 72, 60, 59.9)] == ["A", "A", "B", "C", "D", "E"]
    assert g.grade(None) is None


def test_periods() -> None:
    assert parse_period("2026-10").start == date(2026, 10, 1)
    assert parse_period("2026-10").end == date(2026, 11, 1)
    assert parse_period("2026-12").end == date(2027, 1, 1)
    w = parse_period("2026-W45")
    assert (w.start, w.days) == (date(2026, 11, 2), 7)
    assert parse_period("2026-Q4").end == date(2027, 1, 1)
    assert parse_period("2026-11-03").days == 1
    assert parse_period("2026-11-01..2026-11-15").days == 15
    with pytest.raises(ValueError):
        parse_period("October")
