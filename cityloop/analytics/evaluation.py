"""Measured figures for docs/EVALUATION.md: forecast backtest and warning detection on the demo
city's history (built on a temporary SQLite database), the spike-injection experiment on
synthetic history, and the reply checker's calibration on a message/reply file."""

from __future__ import annotations

import csv
import statistics
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from cityloop.analytics import early_warning as ew
from cityloop.analytics.forecast import backtest
from cityloop.analytics.hotspots import parse_time
from cityloop.analytics.reply_quality import ReplyChecker

DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def demo_context(appeals: int, progress: Callable[[str], Any] = print) -> Any:
    import cityloop.analytics.store  # noqa: F401
    from cityloop.demo.load import build_demo
    from cityloop.services.clock import ManualClock
    from cityloop.services.context import build_context
    from cityloop.settings import Settings
    from cityloop.store.db import make_engine
    from cityloop.store.migrate import upgrade

    d = Path(tempfile.mkdtemp(prefix="cityloop-eval-"))
    s = Settings(
        data_dir=d,
        database_url=f"sqlite:///{d / 'demo.db'}",
        secret_key="e" * 40,
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(s)
    upgrade(engine)
    engine.dispose()
    ctx = build_context(s, clock=ManualClock(DEMO_NOW))
    build_demo(ctx, appeals=appeals, progress=progress)
    return ctx


def evaluate_all(appeals: int = 12000, progress: Callable[[str], Any] = print) -> dict[str, Any]:
    from cityloop.domain.orders import Actor
    from cityloop.domain.statuses import Role

    ctx = demo_context(appeals, progress)
    actor = Actor(None, "eval", Role.ADMIN)
    today = ctx.now_local().date()
    start = today - timedelta(days=180)
    # forecast: daily intake per top-level category and in total
    keys, days, counts = ew.daily_counts(ctx, actor, start, today, 1, "district")
    ref = ctx.reference.get()
    per_cat: dict[str, np.ndarray] = {}
    for (cat, _), row in zip(keys, counts, strict=True):
        per_cat[cat] = per_cat.get(cat, np.zeros(len(days), dtype=int)) + row
    series = {ref.category_paths.get(c, c): v for c, v in per_cat.items()}
    series["全部 total"] = counts.sum(axis=0)
    results = [backtest(name, y) for name, y in sorted(series.items(), key=lambda kv: -kv[1].sum())]
    fc = [
        {
            "series": b.series,
            "mean_daily": b.mean_daily,
            "origins": b.origins,
            "mape_holt_winters": None if b.mape_model is None else round(b.mape_model, 4),
            "mape_naive_same_weekday": None if b.mape_naive is None else round(b.mape_naive, 4),
        }
        for b in results
    ]
    # warnings: injected spikes into the demo's category × district history
    types = ew.day_types(days, ctx.sla.calendar.is_workday)
    rng = np.random.default_rng(11)
    demo_inj = ew.injection_experiment(counts, types, 60, rng)
    demo_inj2 = ew.injection_experiment(counts, types, 60, rng, size_factor=2.0)
    demo_clean = ew.detect(counts, types, 60)
    # synthetic: 60 series × 2 years with the real holiday calendar
    syn_days = [date(2024, 11, 1) + timedelta(days=i) for i in range(730)]
    syn_types = ew.day_types(syn_days, ctx.sla.calendar.is_workday)
    syn = ew.synthetic_history(rng, 60, syn_days, syn_types)
    by_alpha = {}
    for alpha in (0.01, 0.001, 0.0001):
        for factor in (1.0, 2.0):
            r = ew.injection_experiment(
                syn, syn_types, 90, np.random.default_rng(5), alpha=alpha, size_factor=factor
            )
            by_alpha[f"alpha={alpha} spike×{factor:g}"] = _inj(r)
    return {
        "demo_appeals": appeals,
        "demo_days": len(days),
        "forecast_backtest": fc,
        "warning_demo": {
            "series": len(keys),
            "flags_without_injection": len(demo_clean),
            "flags_without_injection_per_month": round(
                len(demo_clean) / ((len(days) - 60) / 30.44), 2
            ),
            **_inj(demo_inj),
            "spike×2": _inj(demo_inj2),
        },
        "warning_synthetic_by_alpha": by_alpha,
    }


def _inj(r: ew.InjectionResult) -> dict[str, Any]:
    return {
        "series": r.series,
        "test_days": r.days,
        "spikes": r.spikes,
        "detected": r.detected,
        "detection_rate": r.detection_rate,
        "false_alarms": r.false_alarms,
        "false_alarms_per_month": r.false_alarms_per_month,
        "false_alarms_per_series_month": r.false_alarms_per_series_month,
    }


def reply_calibration(path: Path, out: Path | None = None) -> dict[str, Any]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    appeals = [f"{r['留言主题']} {' '.join(r['留言详情'].split())}" for r in rows]
    replies = [" ".join((r.get("答复意见") or "").split()) for r in rows]
    checker = ReplyChecker().fit(appeals + replies)
    checks = [checker.check(a, b) for a, b in zip(appeals, replies, strict=True)]
    scores = [c.score for c in checks]
    delays = []
    for r in rows:
        try:
            d = (parse_time(r["答复时间"]) - parse_time(r["留言时间"])).total_seconds() / 86400
        except (ValueError, KeyError):
            continue
        if d >= 0:
            delays.append(d)
    if out is not None:
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(["留言编号", "得分", "相关性", "完整性", "解释性", "提示"])
            for r, c in zip(rows, checks, strict=True):
                w.writerow(
                    [
                        r["留言编号"],
                        c.score,
                        c.relevance,
                        c.completeness,
                        c.explanation,
                        "；".join(c.hints),
                    ]
                )
    q = np.percentile(scores, [10, 25, 50, 75, 90]).round(1).tolist() if scores else []
    dq = np.percentile(delays, [25, 50, 75, 90]).round(1).tolist() if delays else []
    hist, edges = np.histogram(scores, bins=[0, 40, 50, 60, 70, 80, 90, 100.01])
    return {
        "messages": len(rows),
        "score_mean": round(statistics.fmean(scores), 1) if scores else None,
        "score_p10_p25_p50_p75_p90": q,
        "score_histogram": {
            f"{edges[i]:.0f}-{min(edges[i + 1], 100):.0f}": int(n) for i, n in enumerate(hist)
        },
        "relevance_mean": round(statistics.fmean(c.relevance for c in checks), 3),
        "completeness_mean": round(statistics.fmean(c.completeness for c in checks), 3),
        "cites_rule": round(sum(c.cites["rule"] for c in checks) / len(checks), 3),
        "cites_fact": round(sum(c.cites["fact"] for c in checks) / len(checks), 3),
        "cites_next_step": round(sum(c.cites["next_step"] for c in checks) / len(checks), 3),
        "reply_days_median": round(statistics.median(delays), 1) if delays else None,
        "reply_days_mean": round(statistics.fmean(delays), 1) if delays else None,
        "reply_days_p25_p50_p75_p90": dq,
        "replied_within_15_days": round(sum(d <= 15 for d in delays) / len(delays), 3)
        if delays
        else None,
    }
