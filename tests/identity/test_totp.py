"""Two factors: required for the roles a setting names, enrolment with a QR code, login with a
`totp` field, no code used twice, recovery codes once each, an audited reset."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import select

from cityloop.domain.statuses import Role
from cityloop.services.users import UserInput, create_user
from cityloop.store.models import AuditRow
from tests.conftest import PASSWORD
from tests.identity.conftest import bearer, login

ORDERS = "/api/v1/work-orders"


def _enrol(client, h):
    begun = client.post("/api/v1/auth/totp/enrol", headers=h)
    assert begun.status_code == 200
    body = begun.json()
    assert body["qr_svg"].startswith("<?xml") and "<svg" in body["qr_svg"]
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    return body["secret"]


def _code(secret, clock, steps=0):
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * steps))


def test_an_admin_must_enrol_then_log_in_with_a_code(ctx, clock, worker):
    enforced = worker(totp_required_roles=["admin", "security_admin", "auditor"])
    first = login(enforced, "admin", PASSWORD)
    assert first.json()["restriction"] == "totp_enrolment_required"
    h = bearer(first)
    r = enforced.get(ORDERS, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "totp_enrolment_required"
    secret = _enrol(enforced, h)
    wrong = enforced.post("/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=h)
    assert wrong.status_code == 422 and wrong.json()["code"] == "totp_invalid"
    done = enforced.post(
        "/api/v1/auth/totp/confirm", json={"code": _code(secret, clock)}, headers=h
    )
    assert done.status_code == 200
    recovery = done.json()["recovery_codes"]
    assert len(recovery) == 10
    assert enforced.get(ORDERS, headers=h).status_code == 200  # this session is now complete

    # The next login needs the second factor.
    r = login(enforced, "admin", PASSWORD)
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    clock.set(clock.now() + timedelta(seconds=30))
    code = _code(secret, clock)
    assert login(enforced, "admin", PASSWORD, totp=code).json()["restriction"] is None
    # The same code is not accepted twice.
    again = login(enforced, "admin", PASSWORD, totp=code)
    assert again.status_code == 401 and again.json()["code"] == "totp_invalid"
    # A recovery code works once.
    assert login(enforced, "admin", PASSWORD, totp=recovery[0]).status_code == 200
    assert login(enforced, "admin", PASSWORD, totp=recovery[0]).status_code in (401, 429)
    # A wrong password with a good code is still a wrong password.
    clock.set(clock.now() + timedelta(seconds=30))
    r = login(enforced, "admin", "not-the-password", totp=_code(secret, clock))
    assert r.status_code in (401, 429) and r.json()["code"] != "totp_required"
    with ctx.uow() as uow:
        actions = [
            (a.action, a.result)
            for a in uow.session.execute(select(AuditRow).order_by(AuditRow.id)).scalars()
        ]
    assert ("totp.enrolled", "failure") in actions and ("totp.enrolled", "success") in actions
    assert any(a == "login.failure" for a, _ in actions)


def test_roles_outside_the_setting_are_offered_2fa_but_not_forced(ctx, clock, worker):
    enforced = worker(totp_required_roles=["admin"])
    h = bearer(login(enforced, "dispatcher", PASSWORD))
    assert enforced.get(ORDERS, headers=h).status_code == 200
    secret = _enrol(enforced, h)
    enforced.post("/api/v1/auth/totp/confirm", json={"code": _code(secret, clock)}, headers=h)
    assert login(enforced, "dispatcher", PASSWORD).json()["code"] == "totp_required"


def test_the_security_administrator_resets_a_lost_second_factor(client, ctx, clock, users):
    create_user(
        ctx,
        UserInput(
            "sec", "Harbour-Lamp-2026", "安全员", Role.SECURITY_ADMIN, must_change_password=False
        ),
    )
    sec = bearer(login(client, "sec", "Harbour-Lamp-2026"))
    h = bearer(login(client, "dispatcher", PASSWORD))
    secret = _enrol(client, h)
    client.post("/api/v1/auth/totp/confirm", json={"code": _code(secret, clock)}, headers=h)
    uid = users.id("dispatcher")
    assert (
        client.post(f"/api/v1/users/{uid}/reset-2fa", headers=users.headers("admin")).status_code
        == 403
    )
    r = client.post(f"/api/v1/users/{uid}/reset-2fa", headers=sec)
    assert r.status_code == 200 and r.json()["totp_enabled"] is False
    assert client.get(ORDERS, headers=h).status_code == 401  # its sessions ended
    assert login(client, "dispatcher", PASSWORD).status_code == 200  # no code needed now
    with ctx.uow() as uow:
        [audit] = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "totp.reset")
        ).scalars()
    assert audit.actor_name == "安全员" and audit.target == f"user:{uid}"
