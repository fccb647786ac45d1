"""Metrics, readiness, backup and restore."""

from __future__ import annotations

from dataclasses import replace

from cityloop.api.app import create_app
from cityloop.operations.backup import backup_database, restore_database, row_counts
from tests.operations.test_sweeps import _appeal


def test_metrics_need_the_token_and_carry_the_figures(ctx, client):
    ctx.settings.metrics_token = "scrape-me"
    try:
        _appeal(client, ctx)
        client.get("/api/v1/health")
        assert client.get("/metrics").status_code == 403  # the test client has no address
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        r = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        text = r.text
        assert (
            'cityloop_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/health",status="2xx"}'
            in text
            or ('route="/api/v1/health"' in text)
        )
        assert 'route="/api/v1/appeals"' in text
        assert 'cityloop_appeals_received_total{channel="web"}' in text
        assert 'cityloop_queue_depth{step="dispatched"} 1.0' in text
        assert "cityloop_notification_messages" in text and "cityloop_job_runs_24h" in text
    finally:
        ctx.settings.metrics_token = ""


def test_ready_checks_each_dependency_without_leaking_errors(ctx, client):
    r = client.get("/api/v1/ready")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "at_head",
            "redis": "not_configured",
            "broker": "not_configured",
        },
    }
    broken = replace(
        ctx,
        settings=ctx.settings.model_copy(
            update={
                "redis_url": "redis://127.0.0.1:8121/0",
                "sensing_enabled": True,
                "mqtt_port": 8122,
            }
        ),
    )
    from fastapi.testclient import TestClient

    r = TestClient(create_app(broken, web=False)).get("/api/v1/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"]["redis"] == "unreachable" and body["checks"]["broker"] == "unreachable"
    assert "Error" not in r.text and "refused" not in r.text.lower()


def test_backup_and_restore_round_trip(ctx, client, tmp_path):
    _appeal(client, ctx)
    _appeal(client, ctx, "河边的路灯也坏了")
    chain = _chain(ctx)
    file = tmp_path / "cityloop.backup"
    saved = backup_database(ctx, file)
    assert saved["appeals"] == 2 and saved["work_orders"] >= 1
    _appeal(client, ctx, "第三条：路灯一闪一闪")
    assert row_counts(ctx)["appeals"] == 3
    restored = restore_database(ctx, file)
    assert restored == saved
    assert _chain(ctx) == chain  # the audit chain verifies, with the same head, after restore


def _chain(ctx):
    """Each audit chain's (intact, head) where the audit package is installed."""
    try:
        from cityloop.audit.chain import verify_all
    except ImportError:
        return None
    out = {}
    for name, v in verify_all(ctx.engine).items():
        assert v.intact, (name, v.finding)
        out[name] = (v.checked + v.unsealed, v.head_seq, v.head_hash)
    return out
