"""Tables of identity and sessions (身份鉴别): sessions, account security state, password
history, recovery codes, login throttling and shared rate-limit counters (migration i0001).

They live beside `models.py` on the same `Base`; an account's security state is a 1:1 table
rather than columns on `users`, so an account without a row simply has no restriction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class UserSecurityRow(Base):
    __tablename__ = "user_security"
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Set when someone else chose the password (creation, reset): changed at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None]
    # A demo account (`cityloop demo`): the known demo password, policy and 2FA waived; a
    # production deployment refuses to start while one exists.
    demo_account: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sealed with the field keyring (cityloop.security.keyring; migration y0001), never plain.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_pending_secret: Mapped[str | None] = mapped_column(Text)  # enrolment begun
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # no code is used twice


class SessionRow(Base):
    """A login session; the bearer token names it. Ended sessions are kept (audit)."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # the absolute lifetime
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(30))  # logout, idle, lifetime …
    source: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class PasswordHistoryRow(Base):
    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class LoginThrottleRow(Base):
    """Login attempts per key (account, account+address, address), counted before the
    password is checked so that parallel guesses cannot pass the limit."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime]
    not_before: Mapped[datetime]  # no attempt is checked before this time


class RateLimitRow(Base):
    """Fixed-window request counters shared by every worker (when Redis is not configured)."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    reset_at: Mapped[int] = mapped_column(BigInteger)  # epoch seconds the window ends
