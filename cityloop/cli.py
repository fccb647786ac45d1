"""The `cityloop` command line: init, demo, serve, import, user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from cityloop.analytics.cli import analyse_app, report_app
from cityloop.audit.cli import audit_app
from cityloop.community.cli import community_app
from cityloop.geo.regions import ImportRejected
from cityloop.holidays_cli import deadlines_app, holidays_app, import_holidays
from cityloop.nlp.cli import model_app
from cityloop.open311.cli import open311_app
from cityloop.operations.cli import backup, jobs_app, restore, worker
from cityloop.security.keyring.cli import keys_app
from cityloop.sensing.cli import sensing_app, simulate_app
from cityloop.settings import Settings, get_settings
from cityloop.users_cli import user_app

app = typer.Typer(
    help="CityLoop 一网统管: appeals → closed-loop work orders.", no_args_is_help=True
)
import_app = typer.Typer(help="Import reference data (all or nothing).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")
app.add_typer(open311_app, name="open311")
app.add_typer(model_app, name="model")
app.add_typer(community_app, name="community")
app.add_typer(report_app, name="report")
app.add_typer(analyse_app, name="analyse")
app.add_typer(sensing_app, name="sensing")
app.add_typer(simulate_app, name="simulate")
app.add_typer(holidays_app, name="holidays")
app.add_typer(deadlines_app, name="deadlines")
import_app.command("holidays")(import_holidays)
app.add_typer(jobs_app, name="jobs")
app.command()(worker)
app.command()(backup)
app.command()(restore)
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")


def _context(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from cityloop.services.context import build_context

    return build_context(settings or get_settings())


def _init(settings: Settings) -> None:
    from cityloop.store.db import make_engine
    from cityloop.store.migrate import upgrade

    engine = make_engine(settings)
    upgrade(engine, settings)
    engine.dispose()


@app.command()
def init() -> None:
    """Create or upgrade the database schema (Alembic)."""
    settings = get_settings()
    _init(settings)
    typer.echo(f"database ready: {settings.sqlalchemy_url.split('@')[-1]}")


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from cityloop.operations.lifecycle import (
        Children,
        exit_on_sigterm,
        prepare_metrics_dir,
        python_command,
    )
    from cityloop.operations.wiring import IN_PROCESS_ENV
    from cityloop.sensing.config import sensing_config
    from cityloop.serving import WorkerSpec, can_share_port, serve_workers

    several = workers > 1 and can_share_port()
    exit_on_sigterm()  # stopping serve stops its children (cityloop.operations.lifecycle)
    children = Children()
    # One MQTT consumer beside the web workers, however many workers there are.
    if sensing_config(settings).sensing_enabled:
        children.spawn("sensing consumer", python_command("cityloop.sensing", "run"))
    if settings.jobs_embedded:
        if several:  # one jobs worker beside the web workers
            children.spawn("jobs worker", python_command("cityloop.cli", "worker"))
        else:  # a single process runs the jobs in its own event loop
            os.environ[IN_PROCESS_ENV] = "1"
    if several:
        prepare_metrics_dir(settings)
    app = "cityloop.api.main:create_default_app"
    options: dict[str, Any] = {
        "loop": "uvloop",  # the plain asyncio loop adds ~44 ms per request here
        "http": "httptools",
        "log_level": settings.log_level.lower(),
        "access_log": False,  # ours: cityloop.api.access_log, JSON lines off the hot path
        "server_header": False,  # no "server: uvicorn" banner
    }
    try:
        if several:
            status = serve_workers(
                WorkerSpec(app, host, port, options), workers, on_stop=children.terminate
            )
            if status:
                raise typer.Exit(status)
        else:
            uvicorn.run(app, factory=True, host=host, port=port, workers=workers, **options)
    finally:
        children.stop()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
) -> None:
    """Serve the API over an existing database (docs at /docs)."""
    s = get_settings()
    _init(s)
    _serve(s, host or s.host, port or s.port, workers or s.workers)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    appeals: Annotated[int, typer.Option(help="historical appeals to generate")] = 3200,
    reset: Annotated[bool, typer.Option(help="rebuild even if the demo city exists")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="build only")] = False,
) -> None:
    """Build the demo city 云河市 (regions, departments, taxonomy, linkage list, users and
    180 days of appeals), then serve it."""
    from cityloop.demo.load import DEMO_PASSWORD, DEMO_USERS, build_demo

    s = get_settings()
    _init(s)
    ctx = _context(s)
    summary = build_demo(ctx, appeals=appeals, reset=reset, progress=typer.echo)
    typer.echo(summary)
    typer.echo(f"\n演示账号 demo users (password: {DEMO_PASSWORD}):")
    for username, role, label in DEMO_USERS:
        typer.echo(f"  {username:<12} {role:<20} {label}")
    if not no_serve:
        h, p = host or s.host, port or s.port
        typer.echo(f"\nCityLoop on http://{h}:{p}  (API docs: http://{h}:{p}/docs)")
        _serve(s, h, p, s.workers)


def _fail(exc: ImportRejected) -> None:
    """Every problem in Chinese, naming its row (or feature) and field, and what to do."""
    typer.echo(f"导入失败：{exc}", err=True)
    raise typer.Exit(2)


@import_app.command("regions")
def import_regions(file: Path) -> None:
    """GeoJSON FeatureCollection with properties code, name, level, parent_code."""
    from cityloop.importers import read_geojson
    from cityloop.services.admin import import_regions as run

    try:
        n = run(_context(), read_geojson(file))
    except ImportRejected as exc:
        _fail(exc)
    typer.echo(f"imported {n} regions")


@import_app.command("departments")
def import_departments(file: Path) -> None:
    """CSV with columns code, name, level (city|district|street), region_code[, phone]."""
    from cityloop.importers import read_csv
    from cityloop.services.admin import import_departments as run

    try:
        n = run(_context(), read_csv(file, ["code", "name", "level"]))
    except ImportRejected as exc:
        _fail(exc)
    typer.echo(f"imported {n} departments")


@import_app.command("taxonomy")
def import_taxonomy(
    file: Path,
    columns: Annotated[
        str, typer.Option(help="the three level columns")
    ] = "一级分类,二级分类,三级分类",
) -> None:
    """CSV of the three-level taxonomy (一级/二级/三级)."""
    from cityloop.importers import read_csv
    from cityloop.services.admin import import_taxonomy as run

    cols = tuple(c.strip() for c in columns.split(","))
    try:
        n = run(_context(), read_csv(file, list(cols[:1])), cols)
    except ImportRejected as exc:
        _fail(exc)
    typer.echo(f"imported {n} new categories")


@import_app.command("rules")
def import_rules(file: Path) -> None:
    """Linkage list, CSV or YAML: category, region_code, lead, co, urgent, normal."""
    from cityloop.importers import read_rules
    from cityloop.services.admin import import_rules as run

    try:
        version = run(_context(), read_rules(file), source=file.name)
    except ImportRejected as exc:
        _fail(exc)
    typer.echo(f"linkage list version {version} is now active")


@import_app.command("gazetteer")
def import_gazetteer(file: Path) -> None:
    """Gazetteer (地址库): CSV name, kind, lon, lat[, grid_code, aliases, district, street]
    or a GeoJSON FeatureCollection of Points. Replaces the current one."""
    from cityloop.geo.gazetteer import read_gazetteer_csv, read_gazetteer_geojson
    from cityloop.importers import read_geojson
    from cityloop.services.admin import import_gazetteer as run

    try:
        entries = (
            read_gazetteer_geojson(read_geojson(file))
            if file.suffix.lower() in (".geojson", ".json")
            else read_gazetteer_csv(file)
        )
        n = run(_context(), entries)
    except ImportRejected as exc:
        _fail(exc)
    typer.echo(f"imported {n} gazetteer entries")


if __name__ == "__main__":
    app()
