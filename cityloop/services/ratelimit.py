"""Rate limits shared by every worker (限流) for anonymous and expensive endpoints.

A limit is "count/seconds" in `settings.rate_limits` under a name ("track", "upload" …); a
request is counted against (name, key) in a fixed window. With `CITYLOOP_REDIS_URL` the
counter is a Redis INCR (one round trip, shared across machines); without it, or while Redis
is unreachable, one UPSERT … RETURNING on the database — atomic on PostgreSQL and SQLite alike.
A refused request raises RateLimited, which the API answers 429 with Retry-After.

    from cityloop.services.ratelimit import hit
    hit(ctx, "track", client_address)                 # in a service or router
    _: None = Depends(limited("upload"))              # a FastAPI dependency, keyed by address
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite

from cityloop.services.context import CityLoop
from cityloop.store.redis import get_redis
from cityloop.store.security_models import RateLimitRow

log = logging.getLogger(__name__)
R = RateLimitRow


class RateLimited(Exception):
    def __init__(self, name: str, retry_after: int) -> None:
        self.name = name
        self.retry_after = retry_after
        super().__init__(f"rate limit '{name}' reached; retry in {retry_after} s")


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """ "30/60" → 30 requests per 60 s. "0/…" or "off" switches the limit off."""
        if text.strip().lower() == "off":
            return cls(0, 1)
        count, _, seconds = text.partition("/")
        limit = cls(int(count), int(seconds or "60"))
        if limit.count < 0 or limit.seconds <= 0:
            raise ValueError(f"rate limit '{text}': want count/seconds")
        return limit


def limit_of(ctx: CityLoop, name: str) -> Limit | None:
    text = ctx.settings.rate_limits.get(name)
    if text is None:
        return None
    limit = Limit.parse(text)
    return limit if limit.count > 0 else None


def hit(ctx: CityLoop, name: str, key: str) -> None:
    """Count one request; raise RateLimited when the window's allowance is spent."""
    limit = limit_of(ctx, name)
    if limit is None:
        return
    now = ctx.clock.now().timestamp()
    window_end = (math.floor(now / limit.seconds) + 1) * limit.seconds
    full_key = f"{name}:{key}"[:200]
    count = _redis_hit(ctx, full_key, limit, window_end)
    if count is None:
        count = _db_hit(ctx, full_key, window_end, int(now))
    if count > limit.count:
        raise RateLimited(name, max(1, math.ceil(window_end - now)))


def _redis_hit(ctx: CityLoop, key: str, limit: Limit, window_end: int) -> int | None:
    client = get_redis(ctx.settings)
    if client is None:
        return None
    rkey = f"cityloop:rl:{key}:{window_end}"
    try:
        pipe = client.pipeline()
        pipe.incr(rkey)
        pipe.expire(rkey, limit.seconds + 1)  # the key names its window; this only tidies
        count, _ = pipe.execute()
        return int(count)
    except Exception as exc:  # Redis down: fall back to the database, never fail the request
        log.warning("rate limit: Redis unavailable (%s); counting in the database", exc)
        return None


def _db_hit(ctx: CityLoop, key: str, window_end: int, now: int) -> int:
    insert = postgresql.insert if ctx.engine.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(R).values(key=key, count=1, reset_at=window_end)
    current = R.reset_at > now  # the stored window is still running
    upsert = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": case((current, R.count + 1), else_=1),
            "reset_at": case((current, R.reset_at), else_=stmt.excluded.reset_at),
        },
    ).returning(R.count)
    with ctx.engine.begin() as conn:
        count = int(conn.execute(upsert).scalar_one())
        if count == 1 and random.random() < 0.01:
            # Now and then sweep windows long over, so one-off addresses do not pile up.
            conn.execute(delete(R).where(R.reset_at < now - 3600))
    return count


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy, uvicorn's
    --proxy-headers / forwarded-allow-ips decide what this is)."""
    return request.client.host if request.client else "-"


def limited(name: str, key: Callable[[Request], str] = client_address) -> Callable[[Request], None]:
    """A FastAPI dependency counting each request against the limit `name`."""

    # A plain function: FastAPI runs it in the thread pool, off the event loop (it may query).
    def check(request: Request) -> None:
        ctx: Any = request.app.state.ctx
        hit(ctx, name, key(request))

    return check
