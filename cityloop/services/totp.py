"""Second factor (双因素认证): TOTP (RFC 6238, pyotp) with recovery codes.

Enrolment is two steps — a pending secret shown as a QR code, then a first code that proves the
authenticator has it. Recovery codes are shown once and stored as HMAC-SHA256 digests (they are
random, so a keyed fast hash is enough); each works once. A code's time step is remembered so
the same code cannot be replayed within its validity window. The secrets are stored sealed with
the field keyring (AES-256-GCM or SM4-GCM, `cityloop.security.keyring`), opened only to check a
code.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cityloop.security.keyring import keyring_for
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow, utcnow
from cityloop.store.security_models import RecoveryCodeRow, UserSecurityRow

RECOVERY_CODES = 10
_DIGITS = 6


class TotpError(Exception):
    MESSAGES = {
        "totp_not_pending": "请先开始绑定 Start the enrolment first",
        "totp_invalid": "动态验证码错误 Wrong verification code",
        "totp_already_enabled": "已绑定双因素认证 Two factors already enrolled",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES.get(code, code))


def security_row(session: Session, user_id: int) -> UserSecurityRow:
    row = session.get(UserSecurityRow, user_id)
    if row is None:
        row = UserSecurityRow(
            user_id=user_id, must_change_password=False, demo_account=False, totp_enabled=False
        )
        session.add(row)
        session.flush()
    return row


def _qr_svg(uri: str) -> str:
    """The QR code as SVG markup, drawn here: nothing is sent to a third party."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def begin_enrolment(ctx: CityLoop, user: UserRow) -> dict[str, Any]:
    with ctx.uow() as uow:
        sec = security_row(uow.session, user.id)
        if sec.totp_enabled:
            raise TotpError("totp_already_enabled")
        secret = pyotp.random_base32()
        sec.totp_pending_secret = keyring_for(ctx.settings).encrypt(secret)
        uow.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=ctx.settings.totp_issuer
    )
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": _qr_svg(uri)}


def _step_ok(secret: str, code: str, at: float, last_step: int | None) -> int | None:
    """The time step the code belongs to (±1 step of clock drift), unless already used."""
    code = code.strip().replace(" ", "")
    if len(code) != _DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(at // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            if last_step is not None and candidate <= last_step:
                return None
            return candidate
    return None


def confirm_enrolment(ctx: CityLoop, user: UserRow, code: str) -> list[str]:
    """Check the first code; enable TOTP and return fresh recovery codes (shown once)."""
    with ctx.uow() as uow:
        sec = security_row(uow.session, user.id)
        ring = keyring_for(ctx.settings)
        pending = ring.decrypt(sec.totp_pending_secret, "totp_pending_secret")
        if not pending:
            raise TotpError("totp_not_pending")
        step = _step_ok(pending, code, ctx.clock.now().timestamp(), None)
        if step is None:
            raise TotpError("totp_invalid")
        sec.totp_secret, sec.totp_pending_secret = ring.encrypt(pending), None
        sec.totp_enabled = True
        sec.totp_last_step = step
        codes = _new_recovery_codes(ctx, uow.session, user.id)
        uow.commit()
    return codes


def _digest(ctx: CityLoop, code: str) -> str:
    key = ctx.settings.signing_key().encode()
    return hmac.new(key, code.strip().lower().encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(ctx: CityLoop, session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCodeRow(user_id=user_id, code_hash=_digest(ctx, c)) for c in codes)
    return codes


def check_second_factor(ctx: CityLoop, session: Session, user_id: int, code: str) -> str | None:
    """At login: "totp" or "recovery" when the code is good (and now used), else None."""
    sec = session.get(UserSecurityRow, user_id)
    if sec is None or not sec.totp_enabled or not sec.totp_secret:
        return None
    secret = keyring_for(ctx.settings).decrypt(sec.totp_secret, "totp_secret") or ""
    step = _step_ok(secret, code, ctx.clock.now().timestamp(), sec.totp_last_step)
    if step is not None:
        # Conditional, so two workers cannot both accept one code.
        done = session.execute(
            update(UserSecurityRow)
            .where(
                UserSecurityRow.user_id == user_id,
                (UserSecurityRow.totp_last_step.is_(None))
                | (UserSecurityRow.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return "totp" if done.rowcount else None  # type: ignore[attr-defined]
    used = session.execute(
        update(RecoveryCodeRow)
        .where(
            RecoveryCodeRow.user_id == user_id,
            RecoveryCodeRow.code_hash == _digest(ctx, code),
            RecoveryCodeRow.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return "recovery" if used.rowcount else None  # type: ignore[attr-defined]


def enabled(session: Session, user_id: int) -> bool:
    return bool(
        session.execute(
            select(UserSecurityRow.totp_enabled).where(UserSecurityRow.user_id == user_id)
        ).scalar()
    )


def reset(session: Session, user_id: int) -> None:
    """Withdraw the second factor (lost phone): the account enrols again at its next login."""
    sec = security_row(session, user_id)
    sec.totp_secret = sec.totp_pending_secret = None
    sec.totp_enabled = False
    sec.totp_last_step = None
    session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.execute(
            select(RecoveryCodeRow.id).where(
                RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None)
            )
        ).all()
    )
