"""Use cases around the pipeline: the rule file, webhook vendors and their tokens, and taking
events over HTTP into the same stream the devices publish to."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cityloop.domain.errors import InvalidCommand
from cityloop.sensing.config import SensingConfig
from cityloop.sensing.rules import RuleSet, load_rules
from cityloop.sensing.schema import (
    KINDS,
    InvalidMessage,
    Topic,
    parse_payload,
    parse_topic,
    topic_for,
)
from cityloop.sensing.store import DeviceRow, VendorRow
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.store.repositories import add_audit

TOKEN_PREFIX = "sv_"
MAX_EVENTS = 500

_RULES_LOCK = threading.Lock()
_RULES: dict[str, tuple[float, RuleSet]] = {}


def ruleset(cfg: SensingConfig) -> RuleSet:
    """The configured rule file, parsed once per change of the file."""
    path = cfg.rules_path
    mtime = path.stat().st_mtime if path.exists() else 0.0
    key = str(path.resolve())
    with _RULES_LOCK:
        cached = _RULES.get(key)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        rules = load_rules(Path(path))
        _RULES[key] = (mtime, rules)
        return rules


# -- vendors ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vendor:
    id: int
    name: str
    tenant: str
    active: bool
    created_at: datetime


def _vendor(row: VendorRow) -> Vendor:
    return Vendor(row.id, row.name, row.tenant, row.active, row.created_at)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_vendor(ctx: CityLoop, name: str, tenant: str) -> tuple[Vendor, str]:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise InvalidCommand("name", "text_length", {"min": 1, "max": 80})
    try:
        parse_topic(f"x/{tenant}/devices/d/event", "x")
    except InvalidMessage:
        raise InvalidCommand("tenant", "tenant_format") from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        row = VendorRow(
            name=name,
            token_hash=hash_token(token),
            tenant=tenant,
            active=True,
            created_at=ctx.clock.now(),
        )
        uow.session.add(row)
        add_audit(
            uow.session, None, "config.sensing_vendor", name, {"op": "create", "tenant": tenant}
        )
        try:
            uow.commit()
        except IntegrityError:
            raise InvalidCommand("name", "name_taken", {"name": name}) from None
        return _vendor(row), token


def list_vendors(ctx: CityLoop) -> list[Vendor]:
    with ctx.uow() as uow:
        rows = uow.session.execute(select(VendorRow).order_by(VendorRow.name)).scalars()
        return [_vendor(r) for r in rows]


def revoke_vendor(ctx: CityLoop, name: str) -> Vendor:
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(VendorRow).where(VendorRow.name == name)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(name)
        row.active = False
        add_audit(uow.session, None, "config.sensing_vendor", name, {"op": "revoke"})
        uow.commit()
        return _vendor(row)


def vendor_for_token(ctx: CityLoop, token: str) -> Vendor | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(VendorRow).where(VendorRow.token_hash == hash_token(token))
        ).scalar_one_or_none()
        return _vendor(row) if row is not None and row.active else None


# -- events over HTTP -------------------------------------------------------------------------
class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, wait: float | None = 10.0) -> None: ...


@dataclass
class Accepted:
    accepted: list[dict[str, str]]
    rejected: list[dict[str, Any]]


def accept_events(
    ctx: CityLoop,
    cfg: SensingConfig,
    tenant: str,
    events: list[dict[str, Any]],
    publisher: Publisher,
) -> Accepted:
    """Validate each event as the consumer would and publish the valid ones (QoS 1, waiting
    for the broker) onto the device's own topic: one consumer owns every device's stream, so
    rules see webhook and MQTT events in one order and the same de-duplication applies."""
    now = ctx.clock.now()
    checked: list[tuple[int, Topic, dict[str, Any]]] = []
    rejected: list[dict[str, Any]] = []
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            rejected.append({"index": i, "reason": "payload", "detail": "must be an object"})
            continue
        device_id, kind = ev.get("device_id"), ev.get("kind", "event")
        body = {k: v for k, v in ev.items() if k not in ("device_id", "kind", "tenant")}
        try:
            if kind not in KINDS:
                raise InvalidMessage("kind", f"one of {', '.join(KINDS)}")
            topic = parse_topic(
                topic_for(cfg.mqtt_topic_prefix, tenant, str(device_id), str(kind)),
                cfg.mqtt_topic_prefix,
            )
            parse_payload(topic, body, now, cfg.sensing_max_clock_skew)
        except InvalidMessage as exc:
            rejected.append({"index": i, "reason": exc.reason, "detail": exc.detail})
            continue
        checked.append((i, topic, body))
    if checked:
        with ctx.uow() as uow:
            known = set(
                uow.session.execute(
                    select(DeviceRow.device_id).where(
                        DeviceRow.tenant == tenant,
                        DeviceRow.device_id.in_({t.device_id for _, t, _ in checked}),
                    )
                ).scalars()
            )
    accepted: list[dict[str, str]] = []
    for i, topic, body in checked:
        if topic.device_id not in known:
            rejected.append(
                {"index": i, "reason": "unknown_device", "detail": f"{tenant}/{topic.device_id}"}
            )
            continue
        name = topic_for(cfg.mqtt_topic_prefix, tenant, topic.device_id, topic.kind)
        publisher.publish(name, orjson.dumps(body))
        accepted.append({"device_id": topic.device_id, "message_id": str(body["message_id"])})
    rejected.sort(key=lambda r: int(r["index"]))
    return Accepted(accepted, rejected)
