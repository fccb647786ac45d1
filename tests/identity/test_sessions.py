"""Server-side sessions: logout, disabling, role changes and password resets hold on every
worker within seconds; idle timeout and absolute lifetime end a session (manual clock)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cityloop.store.models import AuditRow
from cityloop.store.security_models import SessionRow
from tests.conftest import PASSWORD
from tests.identity.conftest import STRONG, bearer, login

ORDERS = "/api/v1/work-orders"


def _audits(ctx, action):
    with ctx.uow() as uow:
        return list(
            uow.session.execute(select(AuditRow).where(AuditRow.action == action)).scalars()
        )


def test_logout_ends_the_session_on_every_worker(client, ctx, clock, worker):
    other = worker()
    h = bearer(login(client, "dispatcher", PASSWORD))
    assert client.get(ORDERS, headers=h).status_code == 200
    assert other.get(ORDERS, headers=h).status_code == 200  # cached on the other worker
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    r = client.get(ORDERS, headers=h)
    assert r.status_code == 401 and r.json()["code"] == "session_ended"
    clock.set(clock.now() + timedelta(seconds=ctx.settings.session_recheck_seconds))
    r = other.get(ORDERS, headers=h)
    assert r.status_code == 401 and r.json()["code"] == "session_ended"
    assert len(_audits(ctx, "logout")) == 1


def test_a_disabled_account_is_refused_everywhere_within_5_s(client, ctx, clock, users, worker):
    other = worker()
    h = bearer(login(client, "cg", PASSWORD))
    assert other.get(ORDERS, headers=h).status_code == 200
    r = client.post(f"/api/v1/users/{users.id('cg')}/disable", headers=users.headers("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get(ORDERS, headers=h).status_code == 401  # this worker: at once
    clock.set(clock.now() + timedelta(seconds=5))
    r = other.get(ORDERS, headers=h)
    assert r.status_code == 401 and r.json()["code"] in ("session_ended", "account_disabled")
    # And no new session: the right password no longer logs in.
    assert login(client, "cg", PASSWORD).status_code == 401
    client.post(f"/api/v1/users/{users.id('cg')}/enable", headers=users.headers("admin"))
    assert login(client, "cg", PASSWORD).status_code == 200
    assert [a.result for a in _audits(ctx, "user.disabled")] == ["success"]


def test_a_role_or_scope_change_holds_in_open_sessions_within_5_s(
    client, ctx, clock, users, worker
):
    other = worker()
    h = bearer(login(client, "hx", PASSWORD))
    assert other.get("/api/v1/auth/me", headers=h).json()["department_code"] == "D-HX"
    r = client.patch(
        f"/api/v1/users/{users.id('hx')}",
        json={"department_code": "D-CG"},
        headers=users.headers("admin"),
    )
    assert r.status_code == 200, r.text
    clock.set(clock.now() + timedelta(seconds=5))
    assert other.get("/api/v1/auth/me", headers=h).json()["department_code"] == "D-CG"
    r = client.patch(
        f"/api/v1/users/{users.id('hx')}", json={"role": "leader"}, headers=users.headers("admin")
    )
    assert r.status_code == 200
    clock.set(clock.now() + timedelta(seconds=5))
    assert other.get("/api/v1/auth/me", headers=h).json()["role"] == "leader"
    [audit] = _audits(ctx, "user.role_changed")
    assert audit.detail["changes"]["role"] == ["department_handler", "leader"]


def test_idle_sessions_end_and_the_expiry_is_audited_once(client, ctx, clock):
    h = bearer(login(client, "leader", PASSWORD))
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    # Activity keeps it open past the idle timeout…
    for _ in range(3):
        clock.set(clock.now() + idle * 0.6)
        assert client.get(ORDERS, headers=h).status_code == 200
    # …silence ends it.
    clock.set(clock.now() + idle + timedelta(seconds=1))
    r = client.get(ORDERS, headers=h)
    assert r.status_code == 401 and r.json()["code"] == "session_expired"
    assert client.get(ORDERS, headers=h).json()["code"] == "session_ended"
    [audit] = _audits(ctx, "session.expired")
    assert audit.detail["reason"] == "idle"
    with ctx.uow() as uow:
        [row] = uow.session.execute(select(SessionRow)).scalars()
        assert row.end_reason == "idle"


def test_the_absolute_lifetime_ends_even_a_busy_session(client, ctx, clock):
    h = bearer(login(client, "leader", PASSWORD))
    end = clock.now() + timedelta(minutes=ctx.settings.token_ttl_minutes)
    while clock.now() + timedelta(minutes=20) < end:
        clock.set(clock.now() + timedelta(minutes=20))
        assert client.get(ORDERS, headers=h).status_code == 200
    clock.set(end + timedelta(seconds=1))
    r = client.get(ORDERS, headers=h)
    assert r.status_code == 401 and r.json()["code"] == "session_expired"
    assert _audits(ctx, "session.expired")[0].detail["reason"] == "lifetime"


def test_a_reset_password_ends_sessions_and_forces_a_change(client, ctx, clock, users, worker):
    other = worker()
    old = bearer(login(client, "operator", PASSWORD))
    r = client.post(
        f"/api/v1/users/{users.id('operator')}/reset-password", headers=users.headers("admin")
    )
    assert r.status_code == 200
    temporary = r.json()["temporary_password"]
    clock.set(clock.now() + timedelta(seconds=5))
    assert other.get(ORDERS, headers=old).status_code == 401
    assert login(client, "operator", PASSWORD).status_code == 401
    first = login(client, "operator", temporary)
    assert first.json()["restriction"] == "password_change_required"
    h = bearer(first)
    r = client.get(ORDERS, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "password_change_required"
    assert client.get("/api/v1/auth/me", headers=h).json()["restriction"] == (
        "password_change_required"
    )
    weak = client.post(
        "/api/v1/auth/password",
        json={"current_password": temporary, "new_password": "short"},
        headers=h,
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["code"] == "password_too_short"
    r = client.post(
        "/api/v1/auth/password",
        json={"current_password": temporary, "new_password": STRONG},
        headers=h,
    )
    assert r.status_code == 204
    assert client.get(ORDERS, headers=h).status_code == 200  # this session goes on
    assert login(client, "operator", STRONG).json()["restriction"] is None


def test_a_new_account_changes_its_password_at_the_first_login(client, users):
    r = client.post(
        "/api/v1/users",
        json={
            "username": "new_op",
            "password": "Welcome-2-CityLoop",
            "display_name": "新话务员",
            "role": "operator",
        },
        headers=users.headers("admin"),
    )
    assert r.status_code == 201 and r.json()["must_change_password"] is True
    h = bearer(login(client, "new_op", "Welcome-2-CityLoop"))
    assert client.get(ORDERS, headers=h).json()["code"] == "password_change_required"


def test_tokens_without_a_session_are_refused(client, ctx):
    import jwt

    forged = jwt.encode({"sub": "1", "exp": 9999999999}, ctx.settings.signing_key())
    r = client.get(ORDERS, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"
    unknown = jwt.encode({"sub": "1", "sid": "nope", "exp": 9999999999}, ctx.settings.signing_key())
    r = client.get(ORDERS, headers={"Authorization": f"Bearer {unknown}"})
    assert r.status_code == 401 and r.json()["code"] == "session_unknown"
