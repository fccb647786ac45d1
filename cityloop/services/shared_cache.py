"""The dashboard's per-scope cache in Redis, so every worker on every machine answers a
jurisdiction's screens from one computation (CITYLOOP_REDIS_URL; without it the cache stays
in-process, services/dashboard.py).

An entry is JSON with the wall time it was computed at. A fresh entry is answered; one past
its life but within the stale window is answered while one worker (the holder of a short
Redis lock) recomputes it; a missing one is computed by the lock holder while the others
wait for it briefly, then compute themselves rather than keep a screen waiting. Redis being
down is never an error: the caller computes."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import redis

log = logging.getLogger("cityloop.cache")

PREFIX = "cityloop:scope:"
LOCK_SECONDS = 30  # longer than any one computation; a crashed holder frees it this late
WAIT_SECONDS = 3.0  # how long a worker waits for the lock holder's value


def _key(parts: tuple[Any, ...]) -> str:
    return PREFIX + hashlib.sha1(repr(parts).encode()).hexdigest()


class SharedScopeCache:
    def __init__(self, client: redis.Redis, stale_seconds: float) -> None:
        self.r = client
        self.stale = stale_seconds

    def _read(self, key: str) -> tuple[float, Any] | None:
        raw = self.r.get(key)
        if raw is None:
            return None
        entry = orjson.loads(raw)
        return float(entry["at"]), entry["value"]

    def _write(self, key: str, value: Any, ttl: float) -> None:
        body = orjson.dumps({"at": time.time(), "value": value}, option=orjson.OPT_NON_STR_KEYS)
        self.r.set(key, body, px=int((ttl + self.stale) * 1000))

    def _compute_and_store(self, key: str, compute: Callable[[], Any], ttl: float) -> Any:
        value = compute()
        # Stored and answered as the JSON it becomes (dates as ISO text), as every worker
        # that reads it back will answer it.
        self._write(key, value, ttl)
        return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))

    def get(
        self,
        parts: tuple[Any, ...],
        compute: Callable[[], Any],
        ttl: float,
        serve_stale: bool = True,
        valid: Callable[[Any], bool] | None = None,
    ) -> Any:
        key = _key(parts)
        holds = valid or (lambda _: True)
        lock = key + ":lock"
        try:
            entry = self._read(key)
            if entry is not None:
                at, value = entry
                age = time.time() - at
                if age < ttl and holds(value):
                    return value
                if serve_stale and age < ttl + self.stale and holds(value):
                    if self.r.set(lock, b"1", nx=True, ex=LOCK_SECONDS):
                        threading.Thread(
                            target=self._refresh, args=(key, lock, compute, ttl), daemon=True
                        ).start()
                    return value
            if self.r.set(lock, b"1", nx=True, ex=LOCK_SECONDS):
                try:
                    return self._compute_and_store(key, compute, ttl)
                finally:
                    self.r.delete(lock)
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:  # another worker is computing it
                time.sleep(0.05)
                entry = self._read(key)
                if entry is not None and time.time() - entry[0] < ttl and holds(entry[1]):
                    return entry[1]
        except redis.RedisError:
            log.warning("shared cache unavailable; computing in this worker", exc_info=True)
        return compute()

    def _refresh(self, key: str, lock: str, compute: Callable[[], Any], ttl: float) -> None:
        try:
            self._write(key, compute(), ttl)
        except Exception:  # the next request past the stale window computes it in the open
            log.exception("refreshing the shared entry %s failed", key)
        finally:
            with contextlib.suppress(redis.RedisError):
                self.r.delete(lock)
