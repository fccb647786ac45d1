"""`cityloop community trust …`: print a compound's monthly statement; import its owners'
register from CSV (all or nothing, a bad row named with its line and column)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import typer

trust_app = typer.Typer(help="Trust-based property management (信托制物业).", no_args_is_help=True)

OWNER_COLUMNS = ("房屋编号", "业主居民编号", "开发商")


@trust_app.command("statement")
def statement(compound: int, period: str) -> None:
    """The month's statement (YYYY-MM) as the owners see it."""
    from cityloop.community.cli import _context, _system
    from cityloop.community.trust import books
    from cityloop.domain.errors import DomainError, text_zh

    ctx = _context()
    try:
        st = books.monthly_statement(ctx, _system(), compound, period)
    except DomainError as exc:
        typer.echo(f"无法生成收支公示：{text_zh(exc)}", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"{st['compound']['estate_name']} {period} 收支公示（单位：元）")
    typer.echo(f"期初余额 {st['opening_balance']}")
    for side, label in (("income", "收入"), ("expense", "支出")):
        for item in st[side]:
            typer.echo(f"  {label} {item['name']}: {item['amount']}")
    typer.echo(f"期末余额 {st['closing_balance']}；未审核凭证 {st['unreviewed_entries']} 笔")
    for flag in st["flags"]:
        typer.echo(f"  ⚠ {flag['label']}：{flag['message']}")


def read_owners(text: str) -> list[tuple[int, int | None, bool]]:
    """(house_id, resident_id, developer) rows; ValueError names the line and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in OWNER_COLUMNS[:2] if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"第 1 行：缺少列 {'、'.join(missing)}（应有 {'、'.join(OWNER_COLUMNS)}）")
    rows = []
    for line, rec in enumerate(reader, start=2):
        house = (rec.get("房屋编号") or "").strip()
        owner = (rec.get("业主居民编号") or "").strip()
        developer = (rec.get("开发商") or "").strip() in ("是", "1", "true", "yes")
        if not house.isdigit():
            raise ValueError(f"第 {line} 行“房屋编号”：应为数字，实为“{house}”")
        if owner and not owner.isdigit():
            raise ValueError(f"第 {line} 行“业主居民编号”：应为数字，实为“{owner}”")
        if not owner and not developer:
            raise ValueError(f"第 {line} 行：请填写“业主居民编号”，或在“开发商”列填“是”")
        rows.append((int(house), int(owner) if owner else None, developer))
    return rows


@trust_app.command("owners")
def owners(compound: int, path: Path) -> None:
    """Register the owners of the compound's houses (房屋编号, 业主居民编号, 开发商)."""
    from cityloop.community.cli import _context, _system
    from cityloop.community.trust import votes
    from cityloop.domain.errors import DomainError, text_zh

    try:
        rows = read_owners(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        typer.echo(f"{path.name}：{exc}；未导入任何数据", err=True)
        raise typer.Exit(2) from None
    ctx = _context()
    try:
        n = votes.register_owners(ctx, _system(), compound, rows)
    except DomainError as exc:
        typer.echo(f"{path.name}：{text_zh(exc)}；未导入任何数据", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"已登记 {n} 条业主记录")
