"""`cityloop sensing …` (the consumer, rules, devices, vendors) and `cityloop simulate devices`.

cityloop sensing run                       consume MQTT until SIGINT/SIGTERM
cityloop sensing rules check [FILE]        validate a rule file (and its categories)
cityloop sensing devices import FILE.csv   register devices (all or nothing)
cityloop sensing devices list              devices with status
cityloop sensing vendor create NAME        a webhook token (shown once)
cityloop simulate devices --devices N --rate R --duration S
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cityloop.sensing.config import SensingConfig, sensing_config

if TYPE_CHECKING:
    from cityloop.services.context import CityLoop

sensing_app = typer.Typer(
    help="智能感知: MQTT devices → rules → work orders.", no_args_is_help=True
)
rules_app = typer.Typer(help="The rule file.", no_args_is_help=True)
devices_app = typer.Typer(help="The device registry.", no_args_is_help=True)
vendor_app = typer.Typer(help="Webhook vendors and their tokens.", no_args_is_help=True)
sensing_app.add_typer(rules_app, name="rules")
sensing_app.add_typer(devices_app, name="devices")
sensing_app.add_typer(vendor_app, name="vendor")
simulate_app = typer.Typer(help="Simulators for demos and benchmarks.", no_args_is_help=True)


@simulate_app.callback()
def _simulate() -> None:
    """Simulators for demos and benchmarks (a group, so `simulate devices` keeps its name)."""


def _context() -> CityLoop:
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _config() -> SensingConfig:
    from cityloop.settings import get_settings

    return sensing_config(get_settings())


def _rules_or_exit(cfg: SensingConfig):  # type: ignore[no-untyped-def]
    from cityloop.sensing.rules import RulesInvalid
    from cityloop.sensing.service import ruleset

    try:
        return ruleset(cfg)
    except RulesInvalid as exc:
        typer.echo(f"规则文件有误 rules rejected: {exc.source}", err=True)
        for p in exc.problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(2) from None


@sensing_app.command("run")
def run(
    tenant: Annotated[str | None, typer.Option(help="tenant to consume ('+' for all)")] = None,
    client_id: Annotated[str | None, typer.Option(help="MQTT client id (fixed)")] = None,
) -> None:
    """Run the consumer: QoS 1, persistent session, acknowledged after commit."""
    from cityloop.operations.events import ScreenAlarms
    from cityloop.sensing.mqtt import MqttConsumer, MqttPublisher
    from cityloop.sensing.pipeline import Pipeline
    from cityloop.sensing.ports import LoggingNotifier

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = _config()
    if tenant:
        cfg = cfg.with_(mqtt_tenant=tenant)
    if client_id:
        cfg = cfg.with_(mqtt_client_id=client_id)
    rules = _rules_or_exit(cfg)
    ctx = _context()
    publisher = MqttPublisher(cfg, client_id=f"{cfg.mqtt_client_id}-cmd")
    pipeline = Pipeline(ctx, cfg, rules, LoggingNotifier(), publisher, ScreenAlarms(ctx.settings))
    consumer = MqttConsumer(pipeline, cfg)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    consumer.start()
    typer.echo(
        f"sensing consumer on {cfg.mqtt_host}:{cfg.mqtt_port} "
        f"({cfg.mqtt_topic_prefix}/{cfg.mqtt_tenant}/devices/+/…, {len(rules.rules)} rules)"
    )
    while not done.wait(30):
        logging.getLogger("cityloop.sensing").info("stats %s", json.dumps(consumer.stats.as_dict()))
    consumer.stop()
    publisher.close()
    ctx.engine.dispose()


def spawn_consumer() -> subprocess.Popen[bytes]:
    """Start `cityloop sensing run` beside the web server (`serve`/`demo` with
    CITYLOOP_SENSING_ENABLED): one consumer process whatever the number of web workers."""
    return subprocess.Popen([sys.executable, "-m", "cityloop.sensing", "run"])


@rules_app.command("check")
def rules_check(file: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Validate a rule file; with a database, also that its categories exist."""
    cfg = _config()
    if file is not None:
        cfg = cfg.with_(sensing_rules=str(file))
    rules = _rules_or_exit(cfg)
    typer.echo(f"{len(rules.rules)} rules, {len(rules.device_types)} device types: OK")
    try:
        from cityloop.sensing.pipeline import Pipeline
        from cityloop.sensing.ports import LoggingNotifier

        ctx = _context()
        problems = Pipeline(ctx, cfg, rules, LoggingNotifier()).check_categories()
        ctx.engine.dispose()
    except Exception as exc:  # no database yet: the syntax check stands alone
        typer.echo(f"(categories not checked: {exc.__class__.__name__})")
        return
    for p in problems:
        typer.echo(f"  {p}", err=True)
    if problems:
        raise typer.Exit(2)


@devices_app.command("import")
def devices_import(file: Path) -> None:
    """CSV: device_id, type, lon, lat[, model, name, address, owner, care_tags, household,
    tenant]."""
    from cityloop.geo.regions import ImportRejected
    from cityloop.importers import read_csv
    from cityloop.sensing import registry

    cfg = _config()
    rules = _rules_or_exit(cfg)
    ctx = _context()
    try:
        n = registry.import_devices(
            ctx, read_csv(file, registry.COLUMNS), rules.device_types, cfg.mqtt_tenant
        )
    except ImportRejected as exc:
        typer.echo(f"导入失败 import rejected: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"imported {n} devices")


@devices_app.command("list")
def devices_list(
    status: Annotated[str | None, typer.Option(help="online, offline or unknown")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
) -> None:
    from cityloop.sensing import registry

    cfg = _config()
    ctx = _context()
    try:
        page = registry.list_devices(
            ctx, timedelta(seconds=cfg.sensing_offline_after), status=status, page_size=limit
        )
    finally:
        ctx.engine.dispose()
    for d in page["items"]:
        seen = d["last_seen_at"].isoformat(timespec="seconds") if d["last_seen_at"] else "-"
        typer.echo(f"{d['tenant']}/{d['device_id']}\t{d['type']}\t{d['status']}\t{seen}")
    typer.echo(f"{page['total']} devices")


@vendor_app.command("create")
def vendor_create(
    name: str, tenant: Annotated[str | None, typer.Option(help="the vendor's tenant")] = None
) -> None:
    """Register a vendor and print its webhook token once."""
    from cityloop.domain.errors import InvalidCommand
    from cityloop.sensing.service import create_vendor

    ctx = _context()
    try:
        vendor, token = create_vendor(ctx, name, tenant or _config().mqtt_tenant)
    except InvalidCommand as exc:
        typer.echo(exc.text_zh(), err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"vendor '{vendor.name}' (tenant {vendor.tenant}) created; token (shown once):")
    typer.echo(token)


@vendor_app.command("list")
def vendor_list() -> None:
    from cityloop.sensing.service import list_vendors

    ctx = _context()
    try:
        for v in list_vendors(ctx):
            typer.echo(f"{v.name}\t{v.tenant}\t{'active' if v.active else 'revoked'}")
    finally:
        ctx.engine.dispose()


@vendor_app.command("revoke")
def vendor_revoke(name: str) -> None:
    from cityloop.sensing.service import revoke_vendor
    from cityloop.services.orders import NotFound

    ctx = _context()
    try:
        revoke_vendor(ctx, name)
    except NotFound:
        typer.echo(f"no vendor named '{name}'", err=True)
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"vendor '{name}' revoked")


@simulate_app.command("devices")
def simulate_devices(
    devices: Annotated[int, typer.Option(help="simulated devices")] = 200,
    rate: Annotated[float, typer.Option(help="messages per second")] = 100.0,
    duration: Annotated[float, typer.Option(help="seconds")] = 60.0,
    incident_every: Annotated[float, typer.Option(help="seconds between incidents")] = 5.0,
    tenant: Annotated[str | None, typer.Option(help="tenant (default: the setting)")] = None,
    register: Annotated[bool, typer.Option(help="register the devices first")] = True,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
) -> None:
    """Publish realistic device streams: readings with noise, heartbeats, injected incidents."""
    from cityloop.sensing.mqtt import MqttPublisher
    from cityloop.sensing.registry import upsert_devices
    from cityloop.sensing.simulate import Simulator, plan_devices
    from cityloop.services.admin import regions_geojson

    cfg = _config()
    if tenant:
        cfg = cfg.with_(mqtt_tenant=tenant)
    if cfg.mqtt_tenant == "+":
        typer.echo("choose a tenant with --tenant", err=True)
        raise typer.Exit(2)
    ctx = _context()
    grids = regions_geojson(ctx, level="grid")["features"]
    if not grids:
        typer.echo("no unit grids in the database: run `cityloop demo --no-serve` first", err=True)
        raise typer.Exit(2)
    plan = plan_devices(ctx.reference.get(), grids, devices, cfg.mqtt_tenant, seed)
    if register:
        upsert_devices(ctx, plan)
    ctx.engine.dispose()
    pub = MqttPublisher(cfg)
    sim = Simulator(
        cfg,
        plan,
        lambda t, p: pub.publish(t, p, wait=None),
        seed=seed,
        incident_every=incident_every,
    )
    t0 = time.monotonic()
    result = sim.run(rate, duration)
    pub.close()
    typer.echo(
        f"published {result.published} messages in {time.monotonic() - t0:.1f} s "
        f"({result.rate:.0f}/s) from {len(plan)} devices: {len(result.incidents)} incidents, "
        f"{result.heartbeats} heartbeats"
    )
