"""Live events (a new urgent order, a sensor alarm, an order going overdue, an urge) for the
command-centre screen, across every worker and machine.

With Redis (CITYLOOP_REDIS_URL) an event is PUBLISHed on one channel and every API process
subscribes, so an event made anywhere reaches every SSE client. Without Redis the bus is
in-process: the single-machine default runs its jobs inside the API process (jobs_embedded),
so the events it makes reach the same process's clients."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from cityloop.operations import metrics
from cityloop.settings import Settings

log = logging.getLogger("cityloop.events")

CHANNEL = "cityloop:live"


def channel_for(url: str) -> str:
    """The live channel of the Redis database `url` names: Pub/Sub spans all of a server's
    databases, and two platforms sharing one Redis (a staging one beside production, on
    another database) must not show each other's alarms."""
    from redis.connection import parse_url

    return f"{CHANNEL}:{parse_url(url).get('db', 0)}"  # type: ignore[no-untyped-call]


KINDS = ("urgent_order", "life_safety", "alarm", "overdue", "urge")


class LocalBus:
    """Fan-out to the asyncio queues of this process's subscribers (thread-safe publish)."""

    def __init__(self) -> None:
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = set()
        self._lock = threading.Lock()

    def publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            loop.call_soon_threadsafe(_offer, q, event)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        entry = (asyncio.get_running_loop(), q)
        with self._lock:
            self._subs.add(entry)
        try:
            while True:
                yield await q.get()
        finally:
            with self._lock:
                self._subs.discard(entry)


def _offer(q: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if q.full():  # a client that stopped reading loses the oldest, not the server's memory
        q.get_nowait()
    q.put_nowait(event)


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.channel = channel_for(url)

    def publish(self, event: dict[str, Any]) -> None:
        import redis

        from cityloop.store.redis import _client

        try:
            _client(self.url).publish(self.channel, json.dumps(event, ensure_ascii=False))
        except redis.RedisError:
            log.warning("live event not published: Redis unavailable", exc_info=True)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        await pubsub.subscribe(self.channel)
        try:
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=15.0)
                if msg is not None and msg.get("type") == "message":
                    try:
                        yield json.loads(msg["data"])
                    except ValueError:
                        continue
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()


_LOCAL = LocalBus()


def bus(settings: Settings) -> LocalBus | RedisBus:
    return RedisBus(settings.redis_url) if settings.redis_url else _LOCAL


def publish(settings: Settings, kind: str, **data: Any) -> None:
    event = {"kind": kind, **data}
    metrics.LIVE_EVENTS.labels(kind).inc()
    bus(settings).publish(event)


class ScreenAlarms:
    """The sensing pipeline's live-alarm port (sensing/ports.LiveAlarms) on this bus."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def alarm(self, data: dict[str, Any]) -> None:
        publish(self.settings, "alarm", **data)
