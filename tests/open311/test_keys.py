"""Client keys: service functions, the CLI, the admin endpoints, the rate limiter."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from cityloop.domain.errors import InvalidCommand
from cityloop.open311 import keys
from cityloop.open311.cli import open311_app
from cityloop.open311.store import Open311ClientRow
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.settings import Settings, get_settings
from cityloop.store.models import AuditRow
from tests.conftest import Users


def test_only_the_hash_of_a_key_is_stored(ctx: CityLoop):
    client, key = keys.create_key(ctx, "civic-app", rate_limit_per_minute=30)
    assert key.startswith("o311_") and len(key) > 40
    with ctx.uow() as uow:
        row = uow.session.execute(select(Open311ClientRow)).scalar_one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (row.key_hash, row.name)
    assert row.active and row.rate_limit_per_minute == 30
    assert keys.authenticate(ctx, key) == client
    assert keys.authenticate(ctx, key + "x") is None
    assert keys.authenticate(ctx, "") is None


def test_names_are_unique_and_limits_bounded(ctx: CityLoop):
    keys.create_key(ctx, "civic-app")
    with pytest.raises(InvalidCommand) as exc:
        keys.create_key(ctx, " civic-app ")
    assert (exc.value.field, exc.value.code) == ("name", "name_taken")
    assert exc.value.params == {"name": "civic-app"}
    with pytest.raises(InvalidCommand) as exc:
        keys.create_key(ctx, "")
    assert (exc.value.field, exc.value.code) == ("name", "text_length")
    with pytest.raises(InvalidCommand) as exc:
        keys.create_key(ctx, "fast-app", rate_limit_per_minute=0)
    assert (exc.value.field, exc.value.code) == ("rate_limit_per_minute", "number_range")
    assert exc.value.params == {"min": 1, "max": keys.MAX_RATE_LIMIT}
    assert [c.name for c in keys.list_clients(ctx)] == ["civic-app"]


def test_revoke_takes_effect_at_once_and_is_audited(ctx: CityLoop):
    _, key = keys.create_key(ctx, "civic-app")
    revoked = keys.revoke_key(ctx, "civic-app")
    assert revoked.active is False
    assert keys.authenticate(ctx, key) is None
    assert keys.revoke_key(ctx, "civic-app").active is False  # idempotent
    with pytest.raises(NotFound):
        keys.revoke_key(ctx, "nobody")
    with ctx.uow() as uow:
        actions = [a.action for a in uow.session.execute(select(AuditRow)).scalars()]
    assert actions == ["open311_key_create", "open311_key_revoke"]


def test_table_comes_from_the_migration(ctx: CityLoop):
    insp = inspect(ctx.engine)
    columns = {c["name"] for c in insp.get_columns("open311_clients")}
    assert columns == {"id", "name", "key_hash", "created_at", "active", "rate_limit_per_minute"}
    with ctx.engine.connect() as conn:
        heads = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    # Upgraded through the migrations (feature branches may add heads after 0002).
    assert heads and "0001" not in heads


def test_sliding_window_limiter():
    now = [0.0]
    limiter = keys.SlidingWindowLimiter(window=60, clock=lambda: now[0])
    assert limiter.hit(1, 2) is None
    now[0] = 30
    assert limiter.hit(1, 2) is None
    assert limiter.hit(1, 2) == pytest.approx(30)  # the first hit leaves the window at 60
    assert limiter.hit(2, 2) is None  # another client has its own window
    now[0] = 60.5
    assert limiter.hit(1, 2) is None
    assert limiter.hit(1, 2) == pytest.approx(29.5)


@pytest.fixture
def cli_env(settings: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_create_list_revoke(ctx: CityLoop, cli_env):
    runner = CliRunner()
    created = runner.invoke(open311_app, ["key", "create", "civic-app", "--rate-limit", "20"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert keys.authenticate(ctx, key) is not None
    listed = runner.invoke(open311_app, ["key", "list"])
    assert listed.exit_code == 0
    assert "civic-app\tactive\t20/min" in listed.output
    assert key not in listed.output
    again = runner.invoke(open311_app, ["key", "create", "civic-app"])
    assert again.exit_code == 2
    assert "name：“civic-app”已被使用" in again.output  # the field and the Chinese words
    revoked = runner.invoke(open311_app, ["key", "revoke", "civic-app"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert keys.authenticate(ctx, key) is None
    assert "civic-app\trevoked" in runner.invoke(open311_app, ["key", "list"]).output
    assert runner.invoke(open311_app, ["key", "revoke", "nobody"]).exit_code == 2


def test_admin_endpoints(o311: TestClient, ctx: CityLoop, users: Users):
    h = users.headers("admin")
    r = o311.post("/api/v1/open311/clients", json={"name": "civic-app"}, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "civic-app" and body["rate_limit_per_minute"] == 60
    key = body["api_key"]
    assert keys.authenticate(ctx, key) is not None
    listed = o311.get("/api/v1/open311/clients", headers=h)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()] == ["civic-app"]
    assert "api_key" not in listed.json()[0] and key not in listed.text
    dup = o311.post("/api/v1/open311/clients", json={"name": "civic-app"}, headers=h)
    assert dup.status_code == 422
    assert dup.headers["content-type"].startswith("application/problem+json")
    revoked = o311.post("/api/v1/open311/clients/civic-app/revoke", headers=h)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert o311.post("/api/v1/open311/clients/nobody/revoke", headers=h).status_code == 404
    with ctx.uow() as uow:
        audit = uow.session.execute(select(AuditRow)).scalars().all()
    assert {a.actor_name for a in audit} == {"admin"}


def test_admin_endpoints_are_admin_only(o311: TestClient, users: Users):
    assert o311.get("/api/v1/open311/clients").status_code == 401
    for who in ("dispatcher", "leader", "resident"):
        r = o311.get("/api/v1/open311/clients", headers=users.headers(who))
        assert r.status_code == 403, who
        r = o311.post("/api/v1/open311/clients", json={"name": "x"}, headers=users.headers(who))
        assert r.status_code == 403
