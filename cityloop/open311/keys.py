"""Open311 client keys (API 密钥): issue, list, revoke, authenticate; and the per-key rate limit.

A key is shown once, when it is created; the database keeps only its SHA-256. Keys are long
random strings, so an unsalted hash is enough: it cannot be guessed back.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.open311.store import Open311ClientRow
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.store.models import utcnow
from cityloop.store.repositories import add_audit

KEY_PREFIX = "o311_"
DEFAULT_RATE_LIMIT = 60
MAX_RATE_LIMIT = 10_000


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str
    created_at: datetime
    active: bool
    rate_limit_per_minute: int


def _info(row: Open311ClientRow) -> ClientInfo:
    return ClientInfo(row.id, row.name, row.created_at, row.active, row.rate_limit_per_minute)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _audit(session: Session, actor: Actor | None, action: str, name: str, **detail: object) -> None:
    add_audit(session, actor, action, f"open311_client:{name}", dict(detail))


def create_key(
    ctx: CityLoop,
    name: str,
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT,
    actor: Actor | None = None,
) -> tuple[ClientInfo, str]:
    """Register a client; returns it and its key in plain text (shown this once only)."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidCommand("name", "text_length", {"min": 1, "max": 80})
    if not 1 <= rate_limit_per_minute <= MAX_RATE_LIMIT:
        raise InvalidCommand(
            "rate_limit_per_minute", "number_range", {"min": 1, "max": MAX_RATE_LIMIT}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311ClientRow(
        name=name,
        key_hash=hash_key(key),
        created_at=utcnow(),
        active=True,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    with ctx.uow() as uow:
        if uow.session.execute(
            select(Open311ClientRow.id).where(Open311ClientRow.name == name)
        ).first():
            raise InvalidCommand("name", "name_taken", {"name": name})
        uow.session.add(row)
        _audit(uow.session, actor, "open311_key_create", name, rate_limit=rate_limit_per_minute)
        try:
            uow.commit()
        except IntegrityError as exc:  # the same name created at the same moment
            raise InvalidCommand("name", "name_taken", {"name": name}) from exc
        return _info(row), key


def list_clients(ctx: CityLoop) -> list[ClientInfo]:
    with ctx.uow() as uow:
        rows = uow.session.execute(select(Open311ClientRow).order_by(Open311ClientRow.id))
        return [_info(r) for r in rows.scalars()]


def revoke_key(ctx: CityLoop, name: str, actor: Actor | None = None) -> ClientInfo:
    """Deactivate a client's key at once (every worker checks the database on each request)."""
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(Open311ClientRow).where(Open311ClientRow.name == name.strip())
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"open311 client {name}")
        if row.active:
            row.active = False
            _audit(uow.session, actor, "open311_key_revoke", row.name)
            uow.commit()
        return _info(row)


def authenticate(ctx: CityLoop, key: str) -> ClientInfo | None:
    """The active client holding `key`, else None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(Open311ClientRow).where(Open311ClientRow.key_hash == hash_key(key))
        ).scalar_one_or_none()
        if row is None or not row.active:
            return None
        return _info(row)


class SlidingWindowLimiter:
    """At most `limit` hits per client in any `window` seconds.

    In-process: each worker process counts on its own, so with N workers a client may make up
    to N × limit requests a minute in the worst case.
    """

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._window = window
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client_id: int, limit: int) -> float | None:
        """Count one request; None when allowed, else the seconds until one is allowed again."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(client_id, deque())
            while hits and hits[0] <= now - self._window:
                hits.popleft()
            if len(hits) >= limit:
                return max(hits[0] + self._window - now, 0.0)
            hits.append(now)
            return None
