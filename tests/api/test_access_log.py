"""The HTTP access log: one JSON line per request with request id, user, route, status and
duration, in a file rotated by size."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from cityloop.api import access_log
from cityloop.api.app import create_app


def _app(ctx, tmp_path, **extra):
    settings = ctx.settings.model_copy(
        update={"access_log_path": tmp_path / "access.jsonl", **extra}
    )
    return settings, TestClient(create_app(ctx.__class__(**{**vars(ctx), "settings": settings})))


def test_each_request_is_a_json_line(ctx, users, tmp_path):
    settings, client = _app(ctx, tmp_path)
    try:
        client.get("/api/v1/health", headers={"x-request-id": "req-0001-abcd"})
        r = client.get("/api/v1/work-orders/999999", headers=users.headers("dispatcher"))
        assert r.status_code == 404
        client.get("/api/v1/work-orders")
    finally:
        access_log.flush(settings)
    lines = [json.loads(x) for x in (tmp_path / "access.jsonl").read_text().splitlines()]
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("GET", "/api/v1/health", 200),
        ("GET", "/api/v1/work-orders/{order_id}", 404),
        ("GET", "/api/v1/work-orders", 401),
    ]
    assert lines[0]["request_id"] == "req-0001-abcd" and lines[0]["user"] is None
    assert lines[1]["user"] == f"{users.id('dispatcher')}:dispatcher"
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 and x["at"] for x in lines)


def test_the_file_rotates_by_size(ctx, tmp_path):
    settings, client = _app(ctx, tmp_path, access_log_max_bytes=600, access_log_backups=2)
    try:
        for _ in range(30):
            client.get("/api/v1/health")
    finally:
        access_log.flush(settings)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["access.jsonl", "access.jsonl.1", "access.jsonl.2"]
    assert all((tmp_path / f).stat().st_size <= 600 for f in files)


def test_off_without_a_path(ctx, client):
    assert ctx.settings.access_log_path is None
    assert not any(m.cls is access_log.AccessLog for m in client.app.user_middleware)
