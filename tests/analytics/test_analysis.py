"""Hot issues, early warning, forecasts, reply quality and briefings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from cityloop.analytics import early_warning as ew
from cityloop.analytics.forecast import backtest, forecast, mape, naive
from cityloop.analytics.hotspots import Appeal, cluster, heat_index, parse_time, write_tables
from cityloop.analytics.reply_quality import ReplyChecker
from cityloop.analytics.router import HOT_ISSUES_TTL_SECONDS
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.analytics.test_kpi import LAMP, appeal
from tests.analytics.test_kpi import api as api  # noqa: F401  (fixture)
from tests.analytics.test_kpi import week as week  # noqa: F401  (fixture)
from tests.conftest import Users


def test_both_time_formats() -> None:
    assert parse_time("2019/2/28 11:25:05") == datetime(2019, 2, 28, 11, 25, 5)
    assert parse_time("2019-08-01 00:00:00") == datetime(2019, 8, 1)


def _appeals() -> list[Appeal]:
    t0 = datetime(2019, 7, 1, 9)
    noise = [
        f"A5区幸福里小区夜间施工噪音扰民{x}" for x in ("严重", "影响休息", "请处理", "凌晨还在施工")
    ]
    out = [
        Appeal(
            str(i),
            f"u{i}",
            t,
            "幸福里小区工地晚上施工，噪音很大，影响居民休息。",
            t0 + timedelta(days=i),
        )
        for i, t in enumerate(noise)
    ]
    out += [
        Appeal("p1", "u9", "A2区丽发新城小区停车位捆绑销售", "开发商捆绑销售车位，业主不满。", t0),
        Appeal(
            "p2",
            "u9",
            "A2区丽发新城车位捆绑销售问题",
            "购房必须买车位，捆绑销售。",
            t0 + timedelta(days=2),
        ),
        Appeal("x1", "u7", "建议增加公交线路", "希望开通到火车站的公交。", t0),
        Appeal("x2", "u8", "咨询社保缴费年限", "社保缴费满多少年可以领养老金？", t0),
    ]
    out[0].supports = 10
    return out


def test_hot_issues_cluster_by_topic_and_place(tmp_path: Path) -> None:
    appeals = _appeals()
    issues = cluster(appeals)
    top = issues[0]
    assert set(top.appeals) == {"0", "1", "2", "3"}
    assert top.place == "A5区幸福里小区"
    assert "噪音" in top.name or "施工" in top.name
    assert top.reporters == 4 and top.supports == 10
    assert top.heat == heat_index(4, 4, 10, top.growth)
    second = issues[1]
    assert set(second.appeals) == {"p1", "p2"} and second.reporters == 1
    assert all("x1" not in h.appeals for h in issues)
    write_tables(issues, appeals, tmp_path)
    lines = (tmp_path / "hot_issues.csv").read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("热度排名") and len(lines) == 1 + len(issues[:5])
    assert "A5区幸福里小区" in lines[1]


def test_heat_grows_with_each_component() -> None:
    base = heat_index(5, 5, 5, 1)
    assert heat_index(6, 5, 5, 1) > base and heat_index(5, 6, 5, 1) > base
    assert heat_index(5, 5, 50, 1) > base and heat_index(5, 5, 5, 4) > base


def _flat_history(days: int, mean: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dlist = [date(2025, 3, 3) + timedelta(days=i) for i in range(days)]
    types = ew.day_types(dlist, lambda d: d.weekday() < 5)
    return rng.poisson(mean * np.where(types >= 5, 0.6, 1.0), size=(3, days)), types


def test_a_spike_is_flagged_with_its_excess() -> None:
    counts, types = _flat_history(84, 4.0)
    counts[1, 80] += 20
    flags = ew.detect(counts, types, 70)
    assert [(f.series, f.day) for f in flags] == [(1, 80)]
    f = flags[0]
    assert f.observed == counts[1, 80] and f.excess > 15 and f.p_value < 0.001


def test_sensitivity_and_minimum_excess() -> None:
    counts, types = _flat_history(84, 4.0, seed=3)
    counts[0, 80] += 7
    loose = ew.detect(counts, types, 70, alpha=0.05, min_excess=1)
    strict = ew.detect(counts, types, 70, alpha=1e-6, min_excess=10)
    assert len(loose) >= 1 and strict == []


def test_weekends_and_holidays_are_expected_to_be_quiet() -> None:
    dlist = [date(2025, 9, 1) + timedelta(days=i) for i in range(70)]
    holidays = {date(2025, 10, d) for d in range(1, 9)}
    types = ew.day_types(dlist, lambda d: d.weekday() < 5 and d not in holidays)
    assert types[dlist.index(date(2025, 10, 1))] == ew.HOLIDAY
    assert types[dlist.index(date(2025, 10, 4))] == 5  # a Saturday


def test_injection_experiment_detects_most_spikes() -> None:
    rng = np.random.default_rng(2)
    dlist = [date(2025, 1, 1) + timedelta(days=i) for i in range(240)]
    types = ew.day_types(dlist, lambda d: d.weekday() < 5)
    hist = ew.synthetic_history(rng, 10, dlist, types)
    r = ew.injection_experiment(hist, types, 90, rng, alpha=0.01)
    assert r.spikes > 0 and r.detection_rate > 0.6
    assert r.false_alarms_per_series_month < 0.5


def test_forecast_beats_nothing_silly() -> None:
    t = np.arange(120)
    y = 20 + 8 * (t % 7 < 5) + np.random.default_rng(4).poisson(2, 120)
    f = forecast(y[:113])
    assert f.shape == (7,) and (f >= 0).all()
    assert mape(y[113:].astype(float), f) < 0.3
    assert list(naive([1, 2, 3, 4, 5, 6, 7, 8], 3)) == [2, 3, 4]
    b = backtest("x", y)
    assert b.origins == 8 and b.mape_model is not None and b.mape_naive is not None


def test_reply_check_scores_and_hints() -> None:
    checker = ReplyChecker()
    appeal = "幸福里小区工地夜间施工噪音扰民，什么时候能停止夜间施工？能否对施工单位处罚？"
    good = (
        "经核实，幸福里小区旁工地于11月3日夜间违规施工。依据《环境噪声污染防治条例》第三十条，"
        "我局已责令施工单位停止夜间施工并处以罚款，下一步将持续巡查，如有疑问可拨打12345。"
    )
    bad = "您好，已收悉，感谢支持。"
    g, b = checker.check(appeal, good), checker.check(appeal, bad)
    assert g.score > b.score + 30
    assert g.cites == {"rule": True, "fact": True, "next_step": True}
    assert b.unanswered and any("未引用依据" in h for h in b.hints)
    assert len(g.questions) == 2


def test_reply_check_api(api: TestClient, users: Users) -> None:  # noqa: F811
    r = api.post(
        "/api/v1/analytics/reply-check",
        json={"appeal": "路灯坏了，什么时候修？", "reply": "经核实，路灯已于今日修复。"},
        headers=users.headers("cg"),
    )
    assert r.status_code == 200 and 0 <= r.json()["score"] <= 100
    assert (
        api.post(
            "/api/v1/analytics/reply-check",
            json={"appeal": "a", "reply": "b"},
            headers=users.headers("resident"),
        ).status_code
        == 403
    )


def test_warnings_and_hot_issues_over_the_api(
    week: dict[str, int],
    api: TestClient,
    users: Users,
    ctx: CityLoop,
    clock: ManualClock,  # noqa: F811
) -> None:
    r = api.get(
        "/api/v1/analytics/warnings",
        params={"day": "2026-11-06", "days": 5, "alpha": 0.2},
        headers=users.headers("leader"),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["series"] >= 1
    for w in body["items"]:
        assert w["observed"] > w["expected"] and w["orders"]
    h = api.get("/api/v1/analytics/hot-issues", headers=users.headers("leader"))
    assert h.status_code == 200 and h.json()["appeals"] == 5
    # One computation serves the jurisdiction for a minute: a sixth appeal shows after that.
    appeal(api, users, ctx, LAMP, "13800000006")
    again = api.get("/api/v1/analytics/hot-issues", headers=users.headers("dispatcher"))
    assert again.json()["appeals"] == 5
    clock.set(clock.now() + timedelta(seconds=HOT_ISSUES_TTL_SECONDS + 1))
    later = api.get("/api/v1/analytics/hot-issues", headers=users.headers("leader"))
    assert later.json()["appeals"] == 6


def test_briefing_writes_html_and_pdf(
    week: dict[str, int],
    ctx: CityLoop,
    users: Users,
    tmp_path: Path,  # noqa: F811
) -> None:
    from cityloop.analytics.briefing import write_briefing

    paths = write_briefing(ctx, users.actor("leader"), "week", date(2026, 11, 6), tmp_path)
    html = paths[0].read_text("utf-8")
    assert "一网统管周报" in html and "超期待督办工单" in html and "市城市管理局" in html
    assert paths[1].read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_report_kpi_cli(
    week: dict[str, int],
    ctx: CityLoop,
    tmp_path: Path,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    from typer.testing import CliRunner

    from cityloop.analytics import cli

    monkeypatch.setattr(cli, "_context", lambda: ctx)
    out = tmp_path / f"kpi.{fmt}"
    res = CliRunner().invoke(
        cli.report_app,
        ["kpi", "--period", "2026-11", "--by", "department", "--format", fmt, "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    if fmt == "csv":
        text = out.read_text("utf-8-sig")
        assert text.startswith("排名,编码,名称") and "D-CG" in text and "合计" in text
    elif fmt == "json":
        assert '"D-CG"' in out.read_text("utf-8")
    else:
        from openpyxl import load_workbook

        ws = load_workbook(out).active
        assert ws is not None and ws.cell(2, 3).value == "名称"
