"""TOTP secrets at rest: sealed with the field keyring (never plaintext in the database), still
good for logins after a key rotation and a re-encryption, and migration y0001 sealing the
secrets an earlier release stored in plaintext (and opening them again on downgrade)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
from alembic import command
from sqlalchemy import select, text

from cityloop.security.keyring import keyring_for
from cityloop.security.keyring.service import reencrypt, rotate
from cityloop.services.context import build_context
from cityloop.settings import Settings
from cityloop.store.db import make_engine
from cityloop.store.migrate import alembic_config
from cityloop.store.models import utcnow
from cityloop.store.security_models import UserSecurityRow
from tests.conftest import PASSWORD
from tests.databases import own_database
from tests.identity.conftest import bearer, login


def _stored(ctx, user_id):
    with ctx.engine.connect() as conn:
        return conn.execute(
            select(UserSecurityRow.totp_secret, UserSecurityRow.totp_pending_secret).where(
                UserSecurityRow.user_id == user_id
            )
        ).one()


def test_secrets_are_sealed_and_logins_survive_a_rotation(ctx, clock, users, worker, tmp_path):
    ring_file = tmp_path / "field_keys.json"
    app = worker(totp_required_roles=["dispatcher"], field_keys_file=ring_file)
    h = bearer(login(app, "dispatcher", PASSWORD))
    secret = app.post("/api/v1/auth/totp/enrol", headers=h).json()["secret"]
    uid = users.id("dispatcher")
    enabled, pending = _stored(ctx, uid)
    assert enabled is None and pending.startswith("v2:k1:aes-256-gcm:") and secret not in pending
    code = pyotp.TOTP(secret).at(clock.now())
    assert app.post("/api/v1/auth/totp/confirm", json={"code": code}, headers=h).status_code == 200
    enabled, pending = _stored(ctx, uid)
    assert pending is None and enabled.startswith("v2:k1:") and secret not in enabled
    assert secret.lower() not in enabled.lower()

    kctx = build_context(
        ctx.settings.model_copy(update={"field_keys_file": ring_file}), clock=clock
    )
    try:
        assert rotate(kctx, "sm4-gcm").key_id == "k2"
        clock.set(clock.now() + timedelta(seconds=30))
        ok = login(app, "dispatcher", PASSWORD, totp=pyotp.TOTP(secret).at(clock.now()))
        assert ok.status_code == 200, ok.text  # sealed under k1, read after the rotation
        assert reencrypt(kctx).rewritten == 1
    finally:
        kctx.engine.dispose()
    enabled, _ = _stored(ctx, uid)
    assert enabled.startswith("v2:k2:sm4-gcm:")
    clock.set(clock.now() + timedelta(seconds=30))
    ok = login(app, "dispatcher", PASSWORD, totp=pyotp.TOTP(secret).at(clock.now()))
    assert ok.status_code == 200, ok.text
    wrong = login(app, "dispatcher", PASSWORD, totp="000000")
    assert wrong.status_code in (401, 429)


def test_migration_seals_plaintext_secrets_and_downgrade_opens_them(tmp_path: Path) -> None:
    secret, pending = pyotp.random_base32(), pyotp.random_base32()
    with own_database(tmp_path, "totp_at_rest") as url:
        settings = Settings(database_url=url, data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
        engine = make_engine(settings)
        cfg = alembic_config(url)
        cfg.attributes["settings"] = settings

        def migrate(step, target):  # type: ignore[no-untyped-def]
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                step(cfg, target)

        try:
            migrate(command.downgrade, "y0001-1")  # the schema of the release before
            assert not (tmp_path / "data" / "community_key").exists()  # no key needed so far
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO users (username, password_hash, display_name, role, active,"
                        " created_at) VALUES ('old', 'x', 'old', 'admin', true, :at)"
                    ),
                    {"at": utcnow()},
                )
                uid = conn.execute(text("SELECT id FROM users WHERE username = 'old'")).scalar()
                conn.execute(
                    text(
                        "INSERT INTO user_security (user_id, must_change_password, demo_account,"
                        " totp_secret, totp_pending_secret, totp_enabled)"
                        " VALUES (:u, false, false, :s, :p, true)"
                    ),
                    {"u": uid, "s": secret, "p": pending},
                )
            migrate(command.upgrade, "heads")
            with engine.connect() as conn:
                sealed, sealed_pending = conn.execute(
                    text("SELECT totp_secret, totp_pending_secret FROM user_security")
                ).one()
            assert sealed.startswith("v2:k1:aes-256-gcm:") and secret not in sealed
            assert sealed_pending.startswith("v2:") and pending not in sealed_pending
            ring = keyring_for(settings)
            assert ring.decrypt(sealed) == secret and ring.decrypt(sealed_pending) == pending

            migrate(command.downgrade, "y0001-1")
            with engine.connect() as conn:
                assert conn.execute(
                    text("SELECT totp_secret, totp_pending_secret FROM user_security")
                ).one() == (secret, pending)
            migrate(command.upgrade, "heads")  # and forward again, for the cleanup
        finally:
            engine.dispose()
