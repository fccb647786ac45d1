"""Command line for the holiday calendar and stored deadlines:

cityloop import holidays FILE.csv        (all or nothing; replaces the years it lists)
cityloop holidays status | seed | show YEAR
cityloop deadlines recompute [--since 2026-12-01] [--dry-run]
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer

from cityloop.domain.import_problems import problem_lines_zh
from cityloop.geo.regions import ImportRejected

holidays_app = typer.Typer(help="节假日与调休 The holiday calendar.", no_args_is_help=True)
deadlines_app = typer.Typer(help="已存时限 Stored deadlines.", no_args_is_help=True)


def _context() -> Any:
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def rejected_lines(exc: ImportRejected) -> list[str]:
    """Each problem in Chinese: 第 3 行，“日期”：…；处理：… (line 1 is the header)."""
    return problem_lines_zh(exc.problems, exc.what)


def import_holidays(file: Path) -> None:
    """CSV 日期,类型,名称 (类型: 休 / 班, or holiday / workday); replaces the listed years."""
    from cityloop.importers import read_text
    from cityloop.services.holidays import import_csv

    try:
        summary = import_csv(_context(), None, read_text(file))
    except ImportRejected as exc:
        typer.echo(f"导入失败，未写入任何数据 import rejected（{file}）：", err=True)
        for line in rejected_lines(exc):
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(2) from None
    years = "、".join(str(y) for y in summary["years"])
    typer.echo(
        f"已导入 {years} 年：{summary['holidays']} 个休息日，{summary['workdays']} 个调休上班日"
        f"（替换原有 {summary['replaced']} 条）"
    )


@holidays_app.command("status")
def status() -> None:
    """Arranged years and the missing-year warnings."""
    from cityloop.services.holidays import calendar_status

    _echo(calendar_status(_context()))


@holidays_app.command("show")
def show(year: int) -> None:
    """One year's days off and make-up working days."""
    from cityloop.domain.errors import InvalidCommand
    from cityloop.services.holidays import list_year

    try:
        _echo(list_year(_context(), year))
    except InvalidCommand as exc:
        typer.echo(exc.text_zh(), err=True)
        raise typer.Exit(2) from None


@holidays_app.command("seed")
def seed() -> None:
    """Add the years the installed chinesecalendar package knows and the table lacks."""
    from cityloop.services.holidays import seed_from_package

    _echo(seed_from_package(_context(), None))


@deadlines_app.command("recompute")
def recompute(
    since: Annotated[
        str | None,
        typer.Option(help="only deadlines at or after this day (YYYY-MM-DD); default: now"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show, change nothing")] = False,
) -> None:
    """Recompute the stored deadlines of open orders on the current holiday calendar."""
    from cityloop.services.recompute import recompute_deadlines

    ctx = _context()
    start = None
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            typer.echo(f"--since：“{since}”不是日期，应为 2026-12-01", err=True)
            raise typer.Exit(2) from None
        start = datetime.combine(day, time(), tzinfo=ctx.settings.tz)
    result = recompute_deadlines(ctx, None, start, dry_run=dry_run)
    verb = "将改动" if dry_run else "已改动"
    typer.echo(
        f"检查 {result['checked']} 张在办工单，{verb} {result['changed']} 张的时限"
        f"（环节时限 {result['steps_changed']} 个）"
    )
    for change in result["changes"][:50]:
        typer.echo(f"  {change['ticket_no']}: {change['due_at'][0]} → {change['due_at'][1]}")
