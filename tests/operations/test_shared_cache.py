"""With Redis, the dashboard's per-scope cache is shared by every worker: one computation
answers all of them; without Redis (or with it down) each worker computes."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from cityloop.services.shared_cache import SharedScopeCache
from tests.conftest import redis_test_url

URL = redis_test_url(2)


@pytest.fixture
def client():
    r = redis.Redis.from_url(URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        r.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield r
    for k in r.scan_iter("cityloop:scope:*"):
        r.delete(k)


def test_two_workers_share_one_computation(client):
    calls: list[int] = []
    key = ("scope", uuid.uuid4().hex)

    def compute():
        calls.append(1)
        time.sleep(0.3)  # slow enough that both ask while it runs
        return {"open": 7, "by_status": {"dispatched": 3}}

    # two "workers": separate cache objects, separate connections, same Redis
    workers = [SharedScopeCache(redis.Redis.from_url(URL), 60) for _ in range(2)]
    out: list[dict] = []
    threads = [
        threading.Thread(target=lambda w=w: out.append(w.get(key, compute, 5))) for w in workers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [{"open": 7, "by_status": {"dispatched": 3}}] * 2
    assert len(calls) == 1
    assert workers[1].get(key, compute, 5) == out[0] and len(calls) == 1


def test_redis_down_means_compute_here():
    dead = SharedScopeCache(
        redis.Redis.from_url("redis://127.0.0.1:8123/0", socket_connect_timeout=0.2), 60
    )
    assert dead.get(("k",), lambda: {"x": 1}, 5) == {"x": 1}


def test_dashboard_scopes_live_in_redis_across_workers(ctx, users, client):
    from dataclasses import replace

    from cityloop.services import dashboard
    from cityloop.services.clock import SystemClock

    s = ctx.settings.model_copy(update={"redis_url": URL})
    a = replace(ctx, settings=s, clock=SystemClock())  # two workers' contexts
    b = replace(ctx, settings=s, clock=SystemClock())
    calls: list[int] = []
    what = ("test", uuid.uuid4().hex)

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    actor = users.actor("sup_west")
    assert dashboard.per_scope(a, actor, what, compute, 5) == {"n": 1}
    assert dashboard.per_scope(b, actor, what, compute, 5) == {"n": 1}
    assert calls == [1]
    # another jurisdiction is another entry
    assert dashboard.per_scope(b, users.actor("sup_east"), what, compute, 5) == {"n": 2}


def test_past_its_life_an_entry_is_served_stale_only_when_allowed(client):
    cache = SharedScopeCache(redis.Redis.from_url(URL), 60)
    key = ("scope", uuid.uuid4().hex)
    n = iter(range(1, 100))

    def compute():
        return {"n": next(n)}

    assert cache.get(key, compute, 0.2) == {"n": 1}
    time.sleep(0.3)  # past its life, inside the stale window
    assert cache.get(key, compute, 0.2, serve_stale=False) == {"n": 2}  # computed now
    time.sleep(0.3)
    assert cache.get(key, compute, 0.2) == {"n": 2}  # the stale one, refreshed behind


def test_an_entry_that_no_longer_holds_is_computed_again_within_its_life(client):
    """The map's points: shared while the orders' version they were read at is current."""
    key = ("scope", uuid.uuid4().hex)
    version = [1]
    reads = iter(range(100))

    def compute():
        return {"read": next(reads), "_version": list(version)}

    def holds(v):
        return v["_version"] == version

    workers = [SharedScopeCache(redis.Redis.from_url(URL), 60) for _ in range(2)]
    first = workers[0].get(key, compute, 60, False, holds)
    assert workers[1].get(key, compute, 60, False, holds) == first  # shared
    version[0] = 2  # an order changed
    second = workers[1].get(key, compute, 60, False, holds)
    assert second["read"] == first["read"] + 1 and second["_version"] == [2]
    assert workers[0].get(key, compute, 60, False, holds) == second
