"""`cityloop audit …`: verify and seal the chains, export, archive and purge past retention."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

audit_app = typer.Typer(
    help="审计日志 the audit trail: verify, export, archive.", no_args_is_help=True
)


def _ctx(typer_ctx: typer.Context) -> Any:
    """The context a test hands in (obj), else one built from the environment."""
    if typer_ctx.obj is not None:
        return typer_ctx.obj
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


@audit_app.command("verify")
def verify_command(typer_ctx: typer.Context) -> None:
    """Check every record's seal and the hash chain; exit 1 naming the first breach."""
    from cityloop.audit.chain import verify_all
    from cityloop.audit.records import LOGS

    ctx = _ctx(typer_ctx)
    results = verify_all(ctx.engine)
    broken = False
    for target in LOGS:
        v = results[target.table]
        if v.finding is None:
            typer.echo(
                f"{target.table} {target.label}: 完好 intact — {v.checked} 条记录 records, "
                f"链头 head #{v.head_seq}, 待封存 unsealed {v.unsealed}"
            )
        else:
            broken = True
            f = v.finding
            typer.echo(
                f"{target.table} {target.label}: 已被篡改 TAMPERED — 记录 record #{f.record_id}"
                f" (链序号 seq {f.seq}): {f.breach.value}: {f.message}",
                err=True,
            )
    if broken:
        raise typer.Exit(1)


@audit_app.command("seal")
def seal_command(typer_ctx: typer.Context) -> None:
    """Seal pending records into the chains now (workers do it every few seconds)."""
    from cityloop.audit.chain import seal_all

    sealed = seal_all(_ctx(typer_ctx).engine)
    typer.echo(", ".join(f"{table}: {n}" for table, n in sealed.items()))


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"{name}: 日期格式应为 YYYY-MM-DD 或 ISO 8601，收到 {value!r}", err=True)
        raise typer.Exit(2) from None


@audit_app.command("export")
def export_command(
    typer_ctx: typer.Context,
    file: Path,
    start: Annotated[str | None, typer.Option("--from", help="from this date/time")] = None,
    end: Annotated[str | None, typer.Option("--to", help="before this date/time")] = None,
) -> None:
    """Write the records (both logs) of a period to a signed JSON Lines file."""
    from cityloop.audit.archive import export_records

    ctx = _ctx(typer_ctx)
    tz = ctx.settings.tz
    t0, t1 = _when(start, "--from"), _when(end, "--to")
    n = export_records(
        ctx,
        file,
        t0.replace(tzinfo=t0.tzinfo or tz) if t0 else None,
        t1.replace(tzinfo=t1.tzinfo or tz) if t1 else None,
    )
    typer.echo(f"exported {n} records → {file} (signature {file}.sig)")


@audit_app.command("archive")
def archive_command(typer_ctx: typer.Context) -> None:
    """Archive records older than the retention to signed files, then purge them."""
    from cityloop.audit.archive import archive_and_purge

    outcome = archive_and_purge(_ctx(typer_ctx))
    if outcome.file is None:
        typer.echo("nothing past retention 没有超过保存期限的记录")
    else:
        typer.echo(f"archived and purged {outcome.records} records → {outcome.file}")


@audit_app.command("verify-archive")
def verify_archive_command(typer_ctx: typer.Context, file: Path) -> None:
    """Check an archive or export file against its signature."""
    from cityloop.audit.archive import verify_file

    ok, message = verify_file(_ctx(typer_ctx).settings, file)
    typer.echo(message, err=not ok)
    if not ok:
        raise typer.Exit(1)
