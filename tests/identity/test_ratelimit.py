"""Shared rate limits: 429 problem+json with Retry-After on anonymous and expensive endpoints,
counted in the database (every worker) or in Redis when configured."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from cityloop.services import ratelimit
from tests.conftest import WEST, category, redis_test_url
from tests.identity.conftest import login


def _appeal(ctx, n):
    return {
        "channel": "web",
        "content": f"幸福路第{n}号路灯坏了，晚上很黑。",
        "reporter_phone": "13512345678",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }


def test_anonymous_appeals_are_limited_per_address_across_workers(ctx, clock, worker):
    limits = {"anonymous_appeal": "3/600"}
    a, b = worker(rate_limits=limits), worker(rate_limits=limits)
    assert a.post("/api/v1/appeals", json=_appeal(ctx, 1)).status_code == 201
    assert b.post("/api/v1/appeals", json=_appeal(ctx, 2)).status_code == 201
    assert a.post("/api/v1/appeals", json=_appeal(ctx, 3)).status_code == 201
    r = b.post("/api/v1/appeals", json=_appeal(ctx, 4))
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "rate_limited" and r.json()["params"]["limit"] == "anonymous_appeal"
    assert 0 < int(r.headers["Retry-After"]) <= 600
    clock.set(clock.now() + timedelta(seconds=601))
    assert a.post("/api/v1/appeals", json=_appeal(ctx, 5)).status_code == 201


def test_tracking_is_limited_per_ticket_whatever_the_address(ctx, worker):
    c = worker(rate_limits={"track": "100/60", "track_ticket": "4/3600"})
    params = {"ticket_no": "20260930-000001", "phone": "13500000000"}
    statuses = [c.get("/api/v1/appeals/track", params=params).status_code for _ in range(6)]
    assert statuses == [404, 404, 404, 404, 429, 429]
    other = {**params, "ticket_no": "20260930-000002"}
    assert c.get("/api/v1/appeals/track", params=other).status_code == 404
    rated = c.post("/api/v1/appeals/track/rate", json={**params, "rating": "satisfied"})
    assert rated.status_code == 429


def test_login_and_uploads_are_limited(ctx, worker):
    c = worker(rate_limits={"login": "2/60", "upload": "1/60"})
    assert login(c, "nobody", "x").status_code == 401
    assert login(c, "nobody", "x").status_code == 401
    assert login(c, "nobody", "x").json()["code"] == "rate_limited"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    first = c.post("/api/v1/attachments", files={"file": ("a.png", png, "image/png")})
    assert first.status_code != 429
    second = c.post("/api/v1/attachments", files={"file": ("a.png", png, "image/png")})
    assert second.status_code == 429 and "Retry-After" in second.headers


def test_limits_parse_and_switch_off():
    assert ratelimit.Limit.parse("30/60") == ratelimit.Limit(30, 60)
    assert ratelimit.Limit.parse("off").count == 0
    with pytest.raises(ValueError):
        ratelimit.Limit.parse("x/y")


def test_the_redis_backend_counts_across_processes(ctx):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(redis_test_url(0), socket_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    ctx.settings = ctx.settings.model_copy(
        update={"redis_url": redis_test_url(0), "rate_limits": {"t": "2/60"}}
    )
    key = uuid.uuid4().hex
    ratelimit.hit(ctx, "t", key)
    ratelimit.hit(ctx, "t", key)
    with pytest.raises(ratelimit.RateLimited) as exc:
        ratelimit.hit(ctx, "t", key)
    assert exc.value.retry_after >= 1
    with ctx.engine.connect() as conn:  # nothing went to the database
        from sqlalchemy import func, select

        from cityloop.store.security_models import RateLimitRow

        assert conn.execute(select(func.count()).select_from(RateLimitRow)).scalar() == 0


def test_an_unreachable_redis_falls_back_to_the_database(ctx):
    ctx.settings = ctx.settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "rate_limits": {"t": "1/60"}}
    )
    ratelimit.hit(ctx, "t", "k")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit(ctx, "t", "k")
