"""Login throttling: atomic under parallel guesses, growing waits, per account and address,
an owner at a known address is not locked out by others, unknown names cost a hash too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from cityloop.services import login as login_service
from cityloop.services import passwords
from cityloop.services.throttle import LoginThrottled
from cityloop.services.users import LoginFailed
from cityloop.store.models import AuditRow
from tests.conftest import PASSWORD
from tests.identity.conftest import login


@pytest.fixture
def checks(monkeypatch):
    """Count the password hashes computed, real and dummy."""
    counted = {"real": 0, "dummy": 0}
    real_verify = passwords.verify

    def verify(h, p):
        counted["real"] += 1
        return real_verify(h, p)

    def dummy(p):
        counted["dummy"] += 1
        return real_verify(passwords._dummy_hash(), p)  # the same argon2 work as a real check

    monkeypatch.setattr(passwords, "verify", verify)
    monkeypatch.setattr(passwords, "verify_dummy", dummy)
    return counted


def test_40_parallel_guesses_with_a_limit_of_5_check_at_most_5(ctx, checks):
    assert ctx.settings.login_max_failures == 5

    def guess(i):
        try:
            login_service.authenticate(ctx, "operator", f"guess-{i}", source="10.0.0.9")
        except LoginFailed:
            return "checked"
        except LoginThrottled:
            return "throttled"
        return "in"

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(guess, range(40)))
    assert outcomes.count("checked") <= 5
    assert checks["real"] == outcomes.count("checked") <= 5
    assert outcomes.count("throttled") >= 35 and "in" not in outcomes


def test_waits_grow_and_a_quiet_window_starts_over(client, ctx, clock):
    s = ctx.settings
    for _ in range(s.login_max_failures):
        assert login(client, "operator", "wrong-password").status_code == 401
    r = login(client, "operator", PASSWORD)
    assert r.status_code == 429 and r.json()["code"] == "login_throttled"
    first = int(r.headers["Retry-After"])
    assert first == s.login_delay_seconds
    clock.set(clock.now() + timedelta(seconds=first))
    assert login(client, "operator", "wrong-again").status_code == 401
    second = int(login(client, "operator", PASSWORD).headers["Retry-After"])
    assert second == 2 * first
    clock.set(clock.now() + timedelta(seconds=second))
    assert login(client, "operator", "wrong-again").status_code == 401
    assert int(login(client, "operator", PASSWORD).headers["Retry-After"]) == 4 * first
    with ctx.uow() as uow:
        locked = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "login.locked")
        ).scalars()
        assert {a.detail["scope"] for a in locked} == {"account_address"}
    clock.set(clock.now() + timedelta(seconds=s.login_window_seconds + 1))
    assert login(client, "operator", PASSWORD).status_code == 200


def test_a_flood_from_elsewhere_does_not_lock_the_owner_out_at_a_known_address(ctx, clock):
    s = ctx.settings
    login_service.authenticate(ctx, "admin", PASSWORD, source="192.168.1.20")  # the owner's PC
    attackers = [f"203.0.113.{i}" for i in range(60)]
    refused = 0
    for ip in attackers:
        try:
            login_service.authenticate(ctx, "admin", "guess", source=ip)
        except LoginFailed:
            pass
        except LoginThrottled as exc:
            refused += 1
            assert exc.scope == "account"
    # The softer per-account limit holds the flood (the owner's first login, from an address
    # not yet known, counted once)…
    assert refused == len(attackers) - (s.login_account_max_failures - 1)
    # …but not the owner at the address it logs in from, now or while the flood goes on.
    assert login_service.authenticate(ctx, "admin", PASSWORD, source="192.168.1.20").token
    with pytest.raises(LoginThrottled):
        login_service.authenticate(ctx, "admin", PASSWORD, source="198.51.100.7")


def test_one_address_spraying_many_accounts_is_held(ctx):
    s = ctx.settings.model_copy(update={"login_address_max_failures": 8})
    ctx.settings = s
    held = 0
    for i in range(12):
        try:
            login_service.authenticate(ctx, f"user{i}", "guess", source="198.51.100.50")
        except LoginFailed:
            pass
        except LoginThrottled as exc:
            held += 1
            assert exc.scope == "address"
    assert held == 12 - 8


def test_a_call_centre_behind_one_address_logs_in_all_morning(ctx):
    """The address limit counts failures: successful logins from one address (a call centre
    behind NAT) never add up to it, while failures from there still do."""
    s = ctx.settings.model_copy(update={"login_address_max_failures": 8})
    ctx.settings = s
    for _ in range(20):
        assert login_service.authenticate(ctx, "operator", PASSWORD, source="10.8.0.1").token
    for i in range(7):
        with pytest.raises(LoginFailed):
            login_service.authenticate(ctx, f"user{i}", "guess", source="10.8.0.1")
    assert login_service.authenticate(ctx, "operator", PASSWORD, source="10.8.0.1").token
    with pytest.raises(LoginThrottled) as held:
        for i in range(3):
            login_service.authenticate(ctx, f"other{i}", "guess", source="10.8.0.1")
    assert held.value.scope == "address"


def test_unknown_usernames_cost_the_same_hash_as_known_ones(ctx, checks):
    with pytest.raises(LoginFailed):
        login_service.authenticate(ctx, "nobody-here", "guess", source="10.1.1.1")
    assert checks == {"real": 0, "dummy": 1}
    with pytest.raises(LoginFailed):
        login_service.authenticate(ctx, "operator", "guess", source="10.1.1.1")
    assert checks == {"real": 1, "dummy": 1}
    # A disabled account's password is checked too before it is refused.
    from cityloop.services.users import set_active
    from cityloop.store.models import UserRow

    with ctx.uow() as uow:
        uid = uow.session.execute(select(UserRow.id).where(UserRow.username == "sw")).scalar()
    set_active(ctx, uid, False, None)
    with pytest.raises(LoginFailed):
        login_service.authenticate(ctx, "sw", PASSWORD, source="10.1.1.1")
    assert checks == {"real": 2, "dummy": 1}


def test_the_security_administrator_unlocks_an_account(client, ctx, users):
    from cityloop.domain.statuses import Role
    from cityloop.services.users import UserInput, create_user

    create_user(
        ctx,
        UserInput(
            "sec", "Harbour-Lamp-2026", "安全员", Role.SECURITY_ADMIN, must_change_password=False
        ),
    )
    sec = {
        "Authorization": "Bearer "
        + login(client, "sec", "Harbour-Lamp-2026").json()["access_token"]
    }
    for _ in range(ctx.settings.login_max_failures):
        login(client, "operator", "wrong")
    assert login(client, "operator", PASSWORD).status_code == 429
    admin_try = client.post(
        f"/api/v1/users/{users.id('operator')}/unlock", headers=users.headers("admin")
    )
    assert admin_try.status_code == 403
    r = client.post(f"/api/v1/users/{users.id('operator')}/unlock", headers=sec)
    assert r.status_code == 200 and r.json()["locks_lifted"] >= 1
    assert login(client, "operator", PASSWORD).status_code == 200
