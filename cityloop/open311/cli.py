"""`cityloop open311 key create|list|revoke`: Open311 client keys from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cityloop.open311 import keys

if TYPE_CHECKING:
    from cityloop.services.context import CityLoop

open311_app = typer.Typer(help="Open311 GeoReport v2.", no_args_is_help=True)
key_app = typer.Typer(help="Client API keys (shown once at creation).", no_args_is_help=True)
open311_app.add_typer(key_app, name="key")


def _context() -> CityLoop:
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


@key_app.command("create")
def create(
    name: str,
    rate_limit: Annotated[
        int, typer.Option(help="requests per minute (per worker)")
    ] = keys.DEFAULT_RATE_LIMIT,
) -> None:
    """Register a client and print its new key once."""
    from cityloop.domain.errors import InvalidCommand

    ctx = _context()
    try:
        client, key = keys.create_key(ctx, name, rate_limit)
    except InvalidCommand as exc:
        typer.echo(exc.text_zh(), err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"client '{client.name}' created ({client.rate_limit_per_minute} requests/minute)")
    typer.echo("API key (shown only now, keep it safe):")
    typer.echo(key)


@key_app.command("list")
def list_() -> None:
    """List clients (keys are never shown again)."""
    ctx = _context()
    try:
        clients = keys.list_clients(ctx)
    finally:
        ctx.engine.dispose()
    if not clients:
        typer.echo("no Open311 clients")
    for c in clients:
        state = "active" if c.active else "revoked"
        created = ctx.local(c.created_at).isoformat(timespec="seconds")
        typer.echo(f"{c.name}\t{state}\t{c.rate_limit_per_minute}/min\t{created}")


@key_app.command("revoke")
def revoke(name: str) -> None:
    """Revoke a client's key at once."""
    from cityloop.services.orders import NotFound

    ctx = _context()
    try:
        client = keys.revoke_key(ctx, name)
    except NotFound:
        typer.echo(f"no Open311 client named '{name}'", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"client '{client.name}' revoked")
