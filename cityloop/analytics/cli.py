"""`cityloop report kpi|brief` and `cityloop analyse hotspots|refresh-kpi|warnings|evaluate|
replies` (mounted in cityloop/cli.py as `report_app` and `analyse_app`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cityloop.services.context import CityLoop

report_app = typer.Typer(
    help="Reports: KPI tables and briefings (报表与简报).", no_args_is_help=True
)
analyse_app = typer.Typer(
    help="Analysis: hot issues, warnings, forecasts (分析研判).", no_args_is_help=True
)

KPI_COLUMNS = (
    "rank",
    "member",
    "name",
    "intake",
    "dispatch_accuracy",
    "response_rate",
    "on_time_rate",
    "completion_rate",
    "satisfaction_rate",
    "rework_rate",
    "urges",
    "on_spot",
    "avg_accept_hours",
    "p90_accept_hours",
    "avg_reply_hours",
    "p90_reply_hours",
    "score",
    "grade",
)
HEADERS_ZH = (
    "排名",
    "编码",
    "名称",
    "受理量",
    "派单准确率",
    "响应率",
    "按期办结率",
    "办结率",
    "满意率",
    "重办率",
    "督办次数",
    "就地处置",
    "平均签收(工作小时)",
    "P90签收(工作小时)",
    "平均答复(工作小时)",
    "P90答复(工作小时)",
    "综合得分",
    "等级",
)


def _context() -> CityLoop:
    import cityloop.analytics.store  # noqa: F401  (registers the tables)
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _system_actor() -> Any:
    from cityloop.domain.orders import Actor
    from cityloop.domain.statuses import Role

    return Actor(None, "cityloop report", Role.ADMIN)


def kpi_rows(table: dict[str, Any]) -> list[list[Any]]:
    rows = [[r.get(c) for c in KPI_COLUMNS] for r in table["rows"]]
    total = table["total"]
    rows.append(["", "", "合计", *(total.get(c) for c in KPI_COLUMNS[3:])])
    return rows


@report_app.command("kpi")
def report_kpi(
    period: Annotated[str, typer.Option(help="2026-10, 2026-W43, 2026-Q4, 2026, a..b")],
    by: Annotated[
        str, typer.Option(help="department|district|street|community|grid|category|channel")
    ] = "department",
    fmt: Annotated[str, typer.Option("--format", help="xlsx|csv|json")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="output file (default: stdout for csv/json)")
    ] = None,
    accept_limit: Annotated[str | None, typer.Option(help="签收时限, e.g. 1d, 4h")] = None,
    weights: Annotated[
        str | None, typer.Option(help="response=0.3,resolution=0.35,satisfaction=0.35")
    ] = None,
) -> None:
    """KPI table (考核指标) of one period by one dimension, with score, grade and rank."""
    from cityloop.analytics import kpi
    from cityloop.analytics.formulas import ScoreWeights

    try:
        table = kpi.kpi_table(
            _context(),
            _system_actor(),
            period,
            by,
            accept_limit,
            ScoreWeights.parse(weights) if weights else None,
        )
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if fmt == "json":
        text = json.dumps(table, ensure_ascii=False, indent=2, default=str)
        _emit(text, out)
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEADERS_ZH)
        w.writerows(kpi_rows(table))
        _emit(buf.getvalue(), out, bom=True)
    elif fmt == "xlsx":
        if out is None:
            typer.echo("--out is required for xlsx", err=True)
            raise typer.Exit(2)
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = f"{table['period']} {table['by']}"[:31]
        ws.append(
            [f"考核指标 {table['period']}（{table['start']} 至 {table['end']}）按 {table['by']}"]
        )
        ws.append(list(HEADERS_ZH))
        for row in kpi_rows(table):
            ws.append(row)
        wb.save(out)
        typer.echo(f"wrote {out}")
    else:
        typer.echo("--format is xlsx, csv or json", err=True)
        raise typer.Exit(2)


def _emit(text: str, out: Path | None, bom: bool = False) -> None:
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8-sig" if bom else "utf-8")
        typer.echo(f"wrote {out}")


@report_app.command("brief")
def report_brief(
    out: Annotated[Path, typer.Option(help="output directory")],
    day: Annotated[bool, typer.Option("--day", help="daily briefing (日报)")] = False,
    week: Annotated[bool, typer.Option("--week", help="weekly briefing (周报)")] = False,
    on: Annotated[
        str | None, typer.Option("--date", help="last day covered (default: today)")
    ] = None,
) -> None:
    """Write the daily or weekly briefing as HTML and PDF."""
    from cityloop.analytics.briefing import write_briefing

    if day == week:
        typer.echo("give exactly one of --day or --week", err=True)
        raise typer.Exit(2)
    ctx = _context()
    last = date.fromisoformat(on) if on else ctx.now_local().date()
    for p in write_briefing(ctx, _system_actor(), "day" if day else "week", last, out):
        typer.echo(f"wrote {p}")


@analyse_app.command("refresh-kpi")
def refresh_kpi(
    full: Annotated[bool, typer.Option(help="rebuild from the first order")] = False,
    days: Annotated[int | None, typer.Option(help="trailing days to recompute")] = None,
) -> None:
    """Refresh the KPI rollup (run it periodically, e.g. every 10 minutes, from cron)."""
    from cityloop.analytics import kpi_rollup

    typer.echo(json.dumps(kpi_rollup.refresh_rollup(_context(), full, days, typer.echo)))


@analyse_app.command("hotspots")
def analyse_hotspots(
    data: Annotated[
        Path,
        typer.Option(help="CSV: 留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 反对数, 点赞数"),
    ],
    out: Annotated[Path, typer.Option(help="output directory")],
    top: int = 5,
    threshold: Annotated[float, typer.Option(help="average-linkage distance cut")] = 0.62,
    window_days: int = 60,
) -> None:
    """Hot issues of a message file: hot_issues.csv (top N), hot_issue_appeals.csv,
    appeal_clusters.csv (every appeal of every cluster)."""
    from cityloop.analytics.hotspots import cluster, read_messages, write_tables

    appeals = read_messages(data)
    issues = cluster(appeals, threshold=threshold, window_days=window_days)
    write_tables(issues, appeals, out, top)
    for h in issues[: max(top, 10)]:
        typer.echo(
            f"{h.rank:>2} {h.heat:6.2f} {len(h.appeals):>3}条 {h.reporters:>3}人 "
            f"{h.supports:>5}赞 {h.period} {h.name}"
        )
    typer.echo(f"{len(issues)} clusters of ≥2 appeals; tables in {out}")


@analyse_app.command("warnings")
def analyse_warnings(
    on: Annotated[str | None, typer.Option("--date")] = None,
    days: int = 1,
    alpha: float | None = None,
) -> None:
    """Early warnings for the live database."""
    from cityloop.analytics.early_warning import warnings_for

    ctx = _context()
    res = warnings_for(
        ctx, _system_actor(), date.fromisoformat(on) if on else None, days, alpha=alpha
    )
    typer.echo(json.dumps(res, ensure_ascii=False, indent=2, default=str))


@analyse_app.command("replies")
def analyse_replies(
    data: Annotated[
        Path, typer.Option(help="CSV with 留言主题, 留言详情, 答复意见, 留言时间, 答复时间")
    ],
    out: Annotated[Path | None, typer.Option(help="write per-message scores as CSV")] = None,
) -> None:
    """Calibrate the reply checker on a message/reply file: score distribution and reply times."""
    from cityloop.analytics.evaluation import reply_calibration

    typer.echo(json.dumps(reply_calibration(data, out), ensure_ascii=False, indent=2))


@analyse_app.command("evaluate")
def analyse_evaluate(
    out: Annotated[Path, typer.Option(help="directory for evaluation.json")],
    appeals: Annotated[int, typer.Option(help="demo appeals for the forecast backtest")] = 12000,
) -> None:
    """Forecast backtest on a temporary demo city and the spike-injection experiment."""
    from cityloop.analytics.evaluation import evaluate_all

    res = evaluate_all(appeals, progress=typer.echo)
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(res, ensure_ascii=False, indent=2), "utf-8")
    typer.echo(json.dumps(res, ensure_ascii=False, indent=2))
