"""`cityloop community groups …`: import micro-grids and a group's exported messages, purge
messages past the retention period (for a scheduler)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

groups_app = typer.Typer(help="Micro-grid group chats (微网格群).", no_args_is_help=True)


@groups_app.command("micro-grids")
def micro_grids(path: Path) -> None:
    """Micro-grids from CSV (编码, 名称, 网格编码, 小区, 楼栋, 微网格长, 身份), all or nothing."""
    from cityloop.community.cli import _context, _system
    from cityloop.community.groups import registry
    from cityloop.domain.errors import DomainError, text_zh

    ctx = _context()
    try:
        typer.echo(registry.import_csv(ctx, _system(), path.read_bytes()))
    except DomainError as exc:
        typer.echo(f"{path.name}：{text_zh(exc)}；未导入任何数据", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


@groups_app.command("messages")
def messages(
    group: int,
    path: Path,
    fmt: Annotated[str, typer.Option("--format", help="wecom | text | csv")] = "text",
) -> None:
    """A group's messages from a WeCom archive (JSON), a text export or a CSV export."""
    from cityloop.community.cli import _context, _system
    from cityloop.community.groups import adapters, chats
    from cityloop.domain.errors import DomainError, text_zh

    ctx = _context()
    tz = ctx.settings.tz
    raw = path.read_bytes()
    try:
        if fmt == "wecom":
            msgs = adapters.parse_wecom(raw.decode("utf-8-sig"), tz)
        elif fmt == "text":
            msgs = adapters.parse_text(raw.decode("utf-8-sig"), tz, f"group:{group}")
        elif fmt == "csv":
            msgs = adapters.parse_csv(raw, tz, f"group:{group}")
        else:
            typer.echo("格式只能是 wecom、text 或 csv", err=True)
            raise typer.Exit(2)
        typer.echo(chats.ingest(ctx, _system(), group, msgs))
    except (adapters.FormatError, UnicodeDecodeError, DomainError) as exc:
        typer.echo(f"{path.name}：{text_zh(exc)}；未导入任何数据", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


@groups_app.command("purge")
def purge() -> None:
    """Delete messages older than CITYLOOP_COMMUNITY_GROUPS_RETENTION_DAYS."""
    from cityloop.community.cli import _context
    from cityloop.community.groups import chats

    ctx = _context()
    try:
        n = chats.purge(ctx, ctx.settings.community_groups_retention_days)
        typer.echo(f"已删除 {n} 条过期群消息")
    finally:
        ctx.engine.dispose()
