"""`cityloop worker`, `cityloop jobs …`, `cityloop backup` / `restore`."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from cityloop.services.context import CityLoop
from cityloop.settings import get_settings

jobs_app = typer.Typer(help="Scheduled jobs (后台任务).", no_args_is_help=True)


def _context() -> CityLoop:
    from cityloop.services.context import build_context

    return build_context(get_settings())


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="run what is due now, then exit (no schedule)")
    ] = False,
) -> None:
    """Run the scheduled jobs (any number of workers, on any machines, with PostgreSQL)."""
    from cityloop.operations.jobs.catalogue import unknown_overrides
    from cityloop.operations.jobs.engine import make_app, run_worker, uses_postgres

    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    s = get_settings()
    for name in unknown_overrides(s):
        typer.echo(f"CITYLOOP_JOBS_SCHEDULE: 未知任务 unknown job '{name}'", err=True)
        raise typer.Exit(2)
    ctx = _context()
    app = make_app(ctx)
    where = "PostgreSQL queue" if uses_postgres(ctx) else "in-process (SQLite: one worker)"
    typer.echo(f"cityloop worker: {len(app.tasks)} jobs, {where}")
    try:
        asyncio.run(run_worker(app, ctx, wait=not once))
    finally:
        ctx.engine.dispose()


@jobs_app.command("list")
def jobs_list(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Each job: schedule, last run, result, next run."""
    from cityloop.operations.jobs.status import job_status

    ctx = _context()
    try:
        rows = job_status(ctx)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'job':<16} {'schedule':<16} {'last run':<22} {'result':<10} next run")
    for r in rows:
        last = r["last_run"]
        when = last["started_at"][:19] if last else "—"
        result = last["status"] if last else "—"
        if r["retry"]:
            result += f" (retry {r['retry']['retry_at'][:19]})"
        typer.echo(
            f"{r['name']:<16} {r['schedule']:<16} {when:<22} {result:<10} "
            f"{(r['next_run'] or '—')[:19]}"
        )
        if last and last["error"]:
            typer.echo(f"{'':<16} ! {last['error']}")


@jobs_app.command("run")
def jobs_run(
    name: str,
    here: Annotated[bool, typer.Option("--here", help="run in this process, now")] = False,
) -> None:
    """Run a job now: queued for the workers (PostgreSQL), or here (--here, or SQLite)."""
    from cityloop.operations.jobs.catalogue import jobs
    from cityloop.operations.jobs.engine import defer, make_app, period_of, run_job, uses_postgres

    ctx = _context()
    try:
        specs = {s.name: s for s in jobs(ctx.settings)}
        if name not in specs:
            typer.echo(f"未知任务 unknown job '{name}'; one of: {', '.join(specs)}", err=True)
            raise typer.Exit(2)
        if here or not uses_postgres(ctx):
            try:
                result = run_job(ctx, specs[name], period_of(None))
            except Exception as exc:
                typer.echo(f"任务失败 job failed: {type(exc).__name__}: {exc}", err=True)
                raise typer.Exit(1) from None
            typer.echo(json.dumps(result, ensure_ascii=False, default=str))
        else:
            job_id = asyncio.run(defer(make_app(ctx), name))
            typer.echo(f"queued {name} as job {job_id}")
    finally:
        ctx.engine.dispose()


def backup(file: Path) -> None:
    """Copy the database to FILE while it runs (SQLite online backup; pg_dump -Fc)."""
    from cityloop.operations.backup import BackupError, backup_database

    ctx = _context()
    try:
        counts = backup_database(ctx, file)
    except BackupError as exc:
        typer.echo(f"备份失败 backup failed: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"wrote {file}: {sum(counts.values())} rows in {len(counts)} tables")


def restore(
    file: Path,
    yes: Annotated[bool, typer.Option("--yes", help="replace the current database")] = False,
) -> None:
    """Replace the database with a backup made by `cityloop backup` (stop serve first)."""
    from cityloop.operations.backup import BackupError, restore_database

    if not yes:
        typer.echo("restore replaces every row of the current database; add --yes", err=True)
        raise typer.Exit(2)
    ctx = _context()
    try:
        counts = restore_database(ctx, file)
    except BackupError as exc:
        typer.echo(f"恢复失败 restore failed: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"restored {file}: {sum(counts.values())} rows in {len(counts)} tables")
