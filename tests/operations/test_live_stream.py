"""Live events over SSE: an event published by any process (through Redis) reaches the
stream of a server, as `event: <kind>` with the order's ticket and place."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import httpx
import pytest
import redis
import uvicorn

from cityloop.api.app import create_app
from cityloop.operations.events import RedisBus
from tests.conftest import free_port, redis_test_url

PORT = free_port()
URL = redis_test_url(1)


@pytest.fixture
def live_server(ctx):
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app = create_app(
        replace(ctx, settings=ctx.settings.model_copy(update={"redis_url": URL})), web=False
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{PORT}"
    server.should_exit = True
    t.join(10)


def test_an_event_from_another_worker_reaches_the_stream(live_server, users):
    got: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET",
            f"{live_server}/api/v1/events/stream",
            headers=users.headers("leader"),
            timeout=10,
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    got.append((kind, json.loads(line[6:])))
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    time.sleep(0.3)  # the subscription is in place once the first line went out
    RedisBus(URL).publish(
        {"kind": "alarm", "ticket_no": "20260930000123", "place": "幸福路18号", "title": "烟感告警"}
    )
    t.join(5)
    assert got == [
        (
            "alarm",
            {
                "kind": "alarm",
                "ticket_no": "20260930000123",
                "place": "幸福路18号",
                "title": "烟感告警",
            },
        )
    ]


def test_the_stream_needs_a_watching_role(live_server, users):
    r = httpx.get(f"{live_server}/api/v1/events/stream", headers=users.headers("cg"), timeout=5)
    assert r.status_code == 403
    assert httpx.get(f"{live_server}/api/v1/events/stream", timeout=5).status_code == 401


def test_each_redis_database_has_its_own_live_channel():
    # Pub/Sub spans a Redis server's databases: two platforms on one Redis keep apart.
    from cityloop.operations.events import channel_for

    assert channel_for("redis://127.0.0.1:6379/9") == "cityloop:live:9"
    assert channel_for("redis://127.0.0.1:6379") == "cityloop:live:0"
    assert channel_for("redis://127.0.0.1:6379/1") != channel_for("redis://127.0.0.1:6379/0")
