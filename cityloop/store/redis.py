"""The Redis connection shared by every worker (CITYLOOP_REDIS_URL), or None without one.

Redis holds what must agree across workers and machines: rate limits, caches, session
revocation, live events. Callers fall back to in-process or database state when it is None.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from cityloop.settings import Settings


@lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    # A small timeout: a Redis outage must slow a request a little, never hang it.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def get_redis(settings: Settings) -> redis.Redis | None:
    """The shared client for this process, or None when no Redis is configured."""
    return _client(settings.redis_url) if settings.redis_url else None
