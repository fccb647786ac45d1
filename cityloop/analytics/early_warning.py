"""Early warning (预测预警): days when a category's appeals in a region are far above the
seasonal baseline.

Model. For each series s (category × region) and day d the expected count is

    μ(s, d) = level(s) · f(type(d)),

where type(d) is the weekday (0–6) or "holiday" (a non-working weekday of the calendar; a
make-up working weekend day counts as an ordinary weekday), f are day-type factors pooled over
all series (city-wide counts / their mean over the baseline window), and level(s) is the
series' mean of count / f over the `baseline_days` before the day under test (the day itself
and the days after it are never in its own baseline), leaving out days more than 4 Pearson
residuals above a first estimate (earlier incidents must not raise the baseline).

Test. One-sided: p = P(X ≥ x | μ, φ) with X negative binomial of mean μ and variance φ·μ
(φ = the series' Pearson dispersion over its baseline, at least 1; φ = 1 is Poisson). A day is
flagged when p < alpha (the sensitivity) and x − μ ≥ min_excess. Bonferroni is deliberately not
applied: alpha is per series-day, and the false-alarm rate per month it gives is measured
(`injection_experiment`) rather than assumed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from scipy import stats

HOLIDAY = 7


@dataclass(frozen=True)
class Flag:
    series: int
    day: int
    observed: int
    expected: float
    p_value: float

    @property
    def excess(self) -> float:
        return round(self.observed - self.expected, 2)


def day_types(days: Sequence[date], is_workday: Callable[[date], bool]) -> np.ndarray:
    out = np.empty(len(days), dtype=int)
    for i, d in enumerate(days):
        wd = d.weekday()
        work = is_workday(d)
        if not work and wd < 5:
            out[i] = HOLIDAY
        elif work and wd >= 5:
            out[i] = 2  # a make-up working day behaves like a midweek day
        else:
            out[i] = wd
    return out


def _factors(total: np.ndarray, types: np.ndarray) -> np.ndarray:
    f = np.ones(8)
    mean = total.mean() if total.size and total.mean() > 0 else 1.0
    for t in range(8):
        sel = types == t
        if sel.sum() >= 2 and mean > 0:
            f[t] = max(total[sel].mean() / mean, 0.05)
    if (types == HOLIDAY).sum() < 2:
        f[HOLIDAY] = min(f[5], f[6])  # no holidays in the window: like a weekend day
    return f


def detect(
    counts: np.ndarray,
    types: np.ndarray,
    test_from: int,
    alpha: float = 0.001,
    min_excess: float = 3.0,
    baseline_days: int = 56,
) -> list[Flag]:
    """Flag (series, day) cells with counts[series, day] far above the baseline, for days
    test_from … end. `counts` is series × days; the baseline of each day uses the
    `baseline_days` before it."""
    flags: list[Flag] = []
    n_series, n_days = counts.shape
    for d in range(max(test_from, 7), n_days):
        lo = max(0, d - baseline_days)
        window = counts[:, lo:d].astype(float)
        wtypes = types[lo:d]
        f = _factors(window.sum(axis=0), wtypes)
        fw = f[wtypes]
        level = (window / fw).mean(axis=1)
        mu_base = np.maximum(level[:, None] * fw, 0.05)
        # Earlier spikes must not become the baseline: days more than 4 Pearson residuals above
        # it are left out, then the level and the dispersion are estimated again.
        keep = (window - mu_base) / np.sqrt(mu_base) <= 4.0
        n_keep = np.maximum(keep.sum(axis=1), 1)
        level = np.where(keep, window / fw, 0.0).sum(axis=1) / n_keep
        mu_base = np.maximum(level[:, None] * fw, 0.05)
        resid = np.where(keep, (window - mu_base) ** 2 / mu_base, 0.0)
        phi = np.maximum(resid.sum(axis=1) / np.maximum(n_keep - 1, 1), 1.0)
        mu = np.maximum(level * f[types[d]], 0.05)
        x = counts[:, d]
        cand = np.flatnonzero(x - mu >= min_excess)
        for s in cand:
            p = _upper_tail(int(x[s]), float(mu[s]), float(phi[s]))
            if p < alpha:
                flags.append(Flag(int(s), d, int(x[s]), round(float(mu[s]), 2), p))
    return flags


def _upper_tail(x: int, mu: float, phi: float) -> float:
    if phi <= 1.0001:
        return float(stats.poisson.sf(x - 1, mu))
    n = mu / (phi - 1.0)
    p = 1.0 / phi
    return float(stats.nbinom.sf(x - 1, n, p))


# -- evaluation by injected spikes -------------------------------------------------------------
@dataclass
class InjectionResult:
    series: int
    days: int
    months: float
    spikes: int
    detected: int
    false_alarms: int

    @property
    def detection_rate(self) -> float:
        return round(self.detected / self.spikes, 4) if self.spikes else 0.0

    @property
    def false_alarms_per_month(self) -> float:
        return round(self.false_alarms / self.months, 2) if self.months else 0.0

    @property
    def false_alarms_per_series_month(self) -> float:
        return round(self.false_alarms / self.months / self.series, 4) if self.months else 0.0


def synthetic_history(
    rng: np.random.Generator,
    n_series: int,
    days: Sequence[date],
    types: np.ndarray,
    mean_range: tuple[float, float] = (0.5, 12.0),
    dispersion: float = 1.5,
) -> np.ndarray:
    """Negative-binomial daily counts with weekly and holiday rhythm (weekends −30 %,
    holidays −50 %) and a slow trend."""
    level = np.exp(rng.uniform(np.log(mean_range[0]), np.log(mean_range[1]), n_series))
    f = np.array([1.1, 1.05, 1.0, 1.0, 1.0, 0.7, 0.7, 0.5])[types]
    trend = np.linspace(0.9, 1.1, len(days))
    mu = level[:, None] * f[None, :] * trend[None, :]
    n = mu / (dispersion - 1.0)
    out: np.ndarray = rng.negative_binomial(n, n / (n + mu))
    return out


def inject(
    counts: np.ndarray,
    rng: np.random.Generator,
    start: int,
    per_series_month: float = 0.5,
    size: Callable[[float], float] = lambda mu: max(5.0, 4.0 * mu**0.5 + mu),
) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Add spikes (an incident: many extra appeals on one day) at random days from `start`."""
    out = counts.copy()
    n_series, n_days = counts.shape
    spikes: set[tuple[int, int]] = set()
    expected = per_series_month * (n_days - start) / 30.44
    for s in range(n_series):
        base = max(float(counts[s, max(0, start - 56) : start].mean()), 0.1)
        for d in rng.choice(np.arange(start, n_days), size=rng.poisson(expected), replace=False):
            out[s, d] += int(round(size(base)))
            spikes.add((s, int(d)))
    return out, spikes


def injection_experiment(
    counts: np.ndarray,
    types: np.ndarray,
    test_from: int,
    rng: np.random.Generator,
    alpha: float = 0.001,
    min_excess: float = 3.0,
    baseline_days: int = 56,
    per_series_month: float = 0.5,
    size_factor: float = 1.0,
) -> InjectionResult:
    """Inject spikes of size_factor · max(5, μ + 4√μ) extra appeals and run `detect`."""
    spiked, truth = inject(
        counts,
        rng,
        test_from,
        per_series_month,
        lambda mu: size_factor * max(5.0, 4.0 * mu**0.5 + mu),
    )
    flags = detect(spiked, types, test_from, alpha, min_excess, baseline_days)
    hits = {(f.series, f.day) for f in flags}
    days = counts.shape[1] - test_from
    return InjectionResult(
        series=counts.shape[0],
        days=days,
        months=days / 30.44,
        spikes=len(truth),
        detected=len(hits & truth),
        false_alarms=len(hits - truth),
    )


# -- the service over the live database -------------------------------------------------------
def daily_counts(
    ctx: Any,
    actor: Any,
    start: date,
    end: date,
    category_level: int = 1,
    region_level: str = "district",
) -> tuple[list[tuple[str, str]], list[date], np.ndarray]:
    """(series keys (category, region), days, counts series × days) of orders received."""
    from sqlalchemy import func, select

    from cityloop.analytics import workhours as wh
    from cityloop.services.orders import visibility_clause
    from cityloop.store.models import WorkOrderRow as W

    tz = ctx.settings.tz
    cat = func.substr(W.category_code, 1, 2 * category_level)
    region = getattr(W, f"{region_level}_code")
    with ctx.uow() as uow:
        s = uow.session
        day = wh.day_expr(s, ctx, W.received_at)
        stmt = (
            select(cat, region, day, func.count())
            .where(
                W.received_at >= datetime.combine(start, time(0), tzinfo=tz),
                W.received_at < datetime.combine(end, time(0), tzinfo=tz),
                W.category_code.is_not(None),
                region.is_not(None),
            )
            .group_by(cat, region, day)
        )
        clause = visibility_clause(actor)
        if clause is not None:
            stmt = stmt.where(clause)
        rows = s.execute(stmt).all()
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    keys = sorted({(r[0], r[1]) for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    d0 = wh.dayno(start)
    counts = np.zeros((len(keys), len(days)), dtype=int)
    for c, r, dn, n in rows:
        j = int(dn) - d0
        if 0 <= j < len(days):
            counts[index[(c, r)], j] = int(n)
    return keys, days, counts


def warnings_for(
    ctx: Any,
    actor: Any,
    day: date | None = None,
    days: int = 1,
    category_level: int = 1,
    region_level: str = "district",
    alpha: float | None = None,
    min_excess: float | None = None,
) -> dict[str, Any]:
    """Warnings for the `days` days ending on `day` (default: today), each with the orders
    behind it."""
    from sqlalchemy import select

    from cityloop.analytics import workhours as wh
    from cityloop.analytics.config import AnalyticsConfig
    from cityloop.services.orders import visibility_clause
    from cityloop.store.models import WorkOrderRow as W

    cfg = AnalyticsConfig.of(ctx.settings)
    alpha = cfg.warning_alpha if alpha is None else alpha
    min_excess = cfg.warning_min_excess if min_excess is None else min_excess
    last = day or ctx.now_local().date()
    start = last - timedelta(days=cfg.warning_baseline_days + days - 1)
    keys, dlist, counts = daily_counts(
        ctx, actor, start, last + timedelta(days=1), category_level, region_level
    )
    types = day_types(dlist, ctx.sla.calendar.is_workday)
    flags = (
        detect(counts, types, len(dlist) - days, alpha, min_excess, cfg.warning_baseline_days)
        if keys
        else []
    )
    ref = ctx.reference.get()
    tz = ctx.settings.tz
    items = []
    for f in sorted(flags, key=lambda f: f.p_value):
        cat, region = keys[f.series]
        d = dlist[f.day]
        with ctx.uow() as uow:
            s = uow.session
            stmt = select(W.id, W.ticket_no, W.title).where(
                W.category_code.startswith(cat, autoescape=True),
                getattr(W, f"{region_level}_code") == region,
                W.received_at >= datetime.combine(d, time(0), tzinfo=tz),
                W.received_at < datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz),
            )
            clause = visibility_clause(actor)
            if clause is not None:
                stmt = stmt.where(clause)
            orders = s.execute(stmt.order_by(W.id).limit(200)).all()
        items.append(
            {
                "day": d.isoformat(),
                "category": cat,
                "category_name": ref.category_paths.get(cat, cat),
                "region": region,
                "region_name": ref.region_name(region) or region,
                "observed": f.observed,
                "expected": f.expected,
                "excess": f.excess,
                "p_value": float(f"{f.p_value:.3g}"),
                "orders": [
                    {"id": o.id, "ticket_no": o.ticket_no, "title": o.title} for o in orders
                ],
            }
        )
    _ = wh  # the day arithmetic lives in workhours
    return {
        "from": dlist[len(dlist) - days].isoformat() if dlist else last.isoformat(),
        "to": last.isoformat(),
        "alpha": alpha,
        "min_excess": min_excess,
        "series": len(keys),
        "items": items,
    }
