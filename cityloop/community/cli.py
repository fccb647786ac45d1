"""`cityloop community …`: import the community database, escalate overdue disputes, grant the
monthly household points, tell snap reporters their outcomes (for a scheduler)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from cityloop.domain.orders import Actor
    from cityloop.services.context import CityLoop

community_app = typer.Typer(help="Community database and participation.", no_args_is_help=True)


def _add_subcommands() -> None:
    from cityloop.community.groups.cli import groups_app
    from cityloop.community.trust.cli import trust_app

    community_app.add_typer(trust_app, name="trust")
    community_app.add_typer(groups_app, name="groups")


_add_subcommands()


def _context() -> CityLoop:
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _system() -> Actor:
    from cityloop.domain.orders import Actor

    return Actor.system()


@community_app.command("import")
def import_(kind: str, path: Path) -> None:
    """Import residents or shops from CSV/Excel (all or nothing): KIND is residents|shops."""
    from cityloop.community.registry import importing, sheets
    from cityloop.geo.regions import ImportRejected

    ctx = _context()
    try:
        rows = sheets.read_table(path.name, path.read_bytes())
        fn = importing.import_people if kind == "residents" else importing.import_shops
        typer.echo(fn(ctx, _system(), rows))
    except ImportRejected as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


@community_app.command("sweep")
def sweep() -> None:
    """Escalate overdue disputes and notify snap reporters of outcomes."""
    from cityloop.community.mediation.service import sweep as escalate
    from cityloop.community.snaps.service import sync_outcomes

    ctx = _context()
    try:
        typer.echo(f"disputes escalated: {escalate(ctx)}; reporters told: {sync_outcomes(ctx)}")
    finally:
        ctx.engine.dispose()


@community_app.command("grant")
def grant(month: str) -> None:
    """Post the monthly household grant for MONTH (YYYY-MM); safe to run twice."""
    from cityloop.community.points.service import monthly_grant

    ctx = _context()
    try:
        typer.echo(monthly_grant(ctx, _system(), month))
    finally:
        ctx.engine.dispose()
