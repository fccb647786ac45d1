"""Readiness (/api/v1/ready): the database answers and its schema is at the code's heads,
Redis answers when configured, the MQTT broker accepts a connection when sensing is on.
Each check says ok or what is wrong in a fixed word; exception text stays in the log."""

from __future__ import annotations

import logging
import socket
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text

from cityloop.services.context import CityLoop
from cityloop.store.migrate import MIGRATIONS, alembic_config

log = logging.getLogger("cityloop.ready")


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(script.get_heads())


def check_database(ctx: CityLoop) -> tuple[str, str]:
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            stamped = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        return "unreachable", "unknown"
    return "ok", "at_head" if stamped == set(code_heads()) else "behind"


def check_redis(ctx: CityLoop) -> str:
    if not ctx.settings.redis_url:
        return "not_configured"
    from cityloop.store.redis import get_redis

    try:
        client = get_redis(ctx.settings)
        assert client is not None
        client.ping()
    except Exception:
        log.warning("readiness: Redis unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def check_broker(ctx: CityLoop) -> str:
    if not ctx.settings.sensing_enabled:
        return "not_configured"
    try:
        with socket.create_connection((ctx.settings.mqtt_host, ctx.settings.mqtt_port), 1.0):
            pass
    except OSError:
        log.warning("readiness: MQTT broker unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def readiness(ctx: CityLoop) -> tuple[bool, dict[str, str]]:
    db, schema = check_database(ctx)
    checks = {
        "database": db,
        "migrations": schema,
        "redis": check_redis(ctx),
        "broker": check_broker(ctx),
    }
    ok = (
        db == "ok"
        and schema == "at_head"
        and checks["redis"] != "unreachable"
        and checks["broker"] != "unreachable"
    )
    return ok, checks


__all__ = ["MIGRATIONS", "readiness"]
