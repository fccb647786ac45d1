"""Server-side sessions (会话管理): the bearer token names a session row, and every request is
checked against that session and the account's current state.

A worker keeps what it last read of a session for `session_recheck_seconds` (2 s), then reads
it again, so a logout, a disabled account, a changed role or scope, or a password reset holds
on every worker and machine within that bound, while a busy client costs one small query per
worker every two seconds instead of one per request (intake stays fast). Changes made by this
worker are dropped from its cache at once. The idle timeout and the absolute lifetime end a
session; the first worker to notice ends it in the database and audits it once.
"""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow
from cityloop.store.repositories import add_audit
from cityloop.store.security_models import SessionRow, UserSecurityRow

_ALGORITHM = "HS256"
# Touch the session's last-seen time in the database at most this often: the idle timeout is
# counted in minutes, so a minute's precision costs nothing and saves a write per request.
_TOUCH_EVERY = timedelta(seconds=60)
_MAX_CACHED = 20_000

PASSWORD_CHANGE = "password_change_required"
TOTP_ENROLMENT = "totp_enrolment_required"


class SessionRefused(Exception):
    """The token names no usable session (→ 401 with a stable code)."""

    MESSAGES = {
        "token_invalid": "登录凭证无效 Invalid token",
        "session_unknown": "会话不存在 No such session",
        "session_ended": "已退出登录或会话已被终止 The session has ended",
        "session_expired": "会话已超时，请重新登录 The session has expired",
        "account_disabled": "账号已停用 The account is disabled",
    }

    def __init__(self, code: str, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(self.MESSAGES.get(code, code))


@dataclass
class SessionState:
    sid: str
    actor: Actor
    restriction: str | None  # a session that must first change the password or enrol 2FA
    expires_at: datetime
    last_seen: datetime  # the latest request this worker or the database knows of
    db_last_seen: datetime
    fetched_at: datetime


class SessionCache:
    """What this worker last read of each session, for at most `recheck` seconds."""

    def __init__(self) -> None:
        self.entries: dict[str, SessionState] = {}

    def forget(self, sid: str | None = None, user_id: int | None = None) -> None:
        if sid is not None:
            self.entries.pop(sid, None)
        if user_id is not None:
            for key in [k for k, v in self.entries.items() if v.actor.user_id == user_id]:
                self.entries.pop(key, None)


_caches: weakref.WeakKeyDictionary[sessionmaker[Session], SessionCache] = (
    weakref.WeakKeyDictionary()
)


def cache_of(ctx: CityLoop) -> SessionCache:
    """One cache per application context (per worker; tests build several as 'workers')."""
    cache = _caches.get(ctx.session_factory)
    if cache is None:
        cache = _caches[ctx.session_factory] = SessionCache()
    return cache


def open_session(
    ctx: CityLoop, user: UserRow, source: str | None = None, user_agent: str | None = None
) -> tuple[str, SessionRow]:
    """A new session for an authenticated user and the bearer token that names it."""
    now = ctx.clock.now()
    row = SessionRow(
        id=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=ctx.settings.token_ttl_minutes),
        source=(source or None) and source[:64],
        user_agent=(user_agent or None) and user_agent[:200],
    )
    with ctx.uow() as uow:
        uow.session.add(row)
        uow.commit()
    claims = {
        "sub": str(user.id),
        "sid": row.id,
        "iat": int(now.timestamp()),
        "exp": int(row.expires_at.timestamp()),
    }
    return jwt.encode(claims, ctx.settings.signing_key(), algorithm=_ALGORITHM), row


def session_id_of(ctx: CityLoop, token: str) -> str:
    try:
        return _verified(ctx.settings.signing_key(), token)
    except jwt.PyJWTError as exc:
        raise SessionRefused("token_invalid", str(exc)) from exc


@lru_cache(maxsize=4096)
def _verified(key: str, token: str) -> str:
    """The session a token names once its signature checks out. A client sends the same token
    with every request, so the signature is checked once per process and key, not per request
    (decoding was a twentieth of intake's CPU); failures are not cached. Expiry is the
    session's business (checked against the service clock)."""
    claims = jwt.decode(
        token, key, algorithms=[_ALGORITHM], options={"verify_exp": False, "verify_iat": False}
    )
    sid = claims.get("sid")
    if not isinstance(sid, str) or not sid:
        raise jwt.InvalidTokenError("the token names no session")
    return sid


def current(ctx: CityLoop, token: str) -> SessionState:
    """The session a request's token names, checked; raises SessionRefused."""
    sid = session_id_of(ctx, token)
    now = ctx.clock.now()
    cache = cache_of(ctx)
    state = cache.entries.get(sid)
    s = ctx.settings
    if (
        state is not None
        and (now - state.fetched_at).total_seconds() < s.session_recheck_seconds
        and now < state.expires_at
        and now - state.last_seen <= timedelta(minutes=s.session_idle_minutes)
    ):
        if now > state.last_seen:
            state.last_seen = now
        return state
    state = _refresh(ctx, sid, state, now)
    if len(cache.entries) >= _MAX_CACHED:
        cache.entries.clear()  # a rare flood of sessions: start over rather than grow
    cache.entries[sid] = state
    return state


def _refresh(ctx: CityLoop, sid: str, known: SessionState | None, now: datetime) -> SessionState:
    s = ctx.settings
    cache = cache_of(ctx)
    with ctx.uow() as uow:
        found = uow.session.execute(
            select(SessionRow, UserRow, UserSecurityRow)
            .join(UserRow, UserRow.id == SessionRow.user_id)
            .outerjoin(UserSecurityRow, UserSecurityRow.user_id == UserRow.id)
            .where(SessionRow.id == sid)
        ).first()
        if found is None:
            cache.forget(sid)
            raise SessionRefused("session_unknown")
        row, user, security = found
        if row.ended_at is not None:
            cache.forget(sid)
            raise SessionRefused("session_ended", row.end_reason or "")
        if not user.active:
            cache.forget(sid)
            raise SessionRefused("account_disabled")
        actor = actor_of(user)
        last_seen = max(row.last_seen_at, known.last_seen if known else row.last_seen_at)
        reason = None
        if now >= row.expires_at:
            reason = "lifetime"
        elif now - last_seen > timedelta(minutes=s.session_idle_minutes):
            reason = "idle"
        if reason is not None:
            ended = uow.session.execute(
                update(SessionRow)
                .where(SessionRow.id == sid, SessionRow.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason)
            )
            if ended.rowcount:  # type: ignore[attr-defined]
                add_audit(
                    uow.session, actor, "session.expired", f"user:{user.id}", {"reason": reason}
                )
            uow.commit()
            cache.forget(sid)
            raise SessionRefused("session_expired", reason)
        db_last_seen = row.last_seen_at
        if last_seen - db_last_seen >= _TOUCH_EVERY:
            uow.session.execute(
                update(SessionRow)
                .where(SessionRow.id == sid, SessionRow.last_seen_at < last_seen)
                .values(last_seen_at=last_seen)
            )
            uow.commit()
            db_last_seen = last_seen
        restriction = restriction_of(ctx, user, security, now)
    return SessionState(
        sid=sid,
        actor=actor,
        restriction=restriction,
        expires_at=row.expires_at,
        last_seen=max(last_seen, now),
        db_last_seen=db_last_seen,
        fetched_at=now,
    )


def actor_of(row: UserRow) -> Actor:
    return Actor(
        user_id=row.id,
        name=row.display_name,
        role=Role(row.role),
        region_code=row.region_code,
        department_code=row.department_code,
    )


def restriction_of(
    ctx: CityLoop, user: UserRow, security: UserSecurityRow | None, now: datetime
) -> str | None:
    """What a session must do before anything else: change the password (chosen by someone
    else, or expired), or enrol a second factor its role requires."""
    s = ctx.settings
    if security is not None and security.must_change_password:
        return PASSWORD_CHANGE
    if s.password_max_age_days > 0 and (security is None or not security.demo_account):
        changed = security.password_changed_at if security is not None else None
        since = changed or user.created_at
        if now - since > timedelta(days=s.password_max_age_days):
            return PASSWORD_CHANGE
    if user.role in s.totp_required_roles:
        exempt = security is not None and security.demo_account
        if not exempt and not (security is not None and security.totp_enabled):
            return TOTP_ENROLMENT
    return None


def end_session(ctx: CityLoop, session: Session, sid: str, reason: str) -> bool:
    """End one session now (logout); True when it was still open."""
    done = session.execute(
        update(SessionRow)
        .where(SessionRow.id == sid, SessionRow.ended_at.is_(None))
        .values(ended_at=ctx.clock.now(), end_reason=reason)
    )
    cache_of(ctx).forget(sid)
    return bool(done.rowcount)  # type: ignore[attr-defined]


def end_user_sessions(
    ctx: CityLoop, session: Session, user_id: int, reason: str, keep: str | None = None
) -> int:
    """End every open session of an account (disabled, password reset, 2FA reset …)."""
    q = update(SessionRow).where(SessionRow.user_id == user_id, SessionRow.ended_at.is_(None))
    if keep is not None:
        q = q.where(SessionRow.id != keep)
    done = session.execute(q.values(ended_at=ctx.clock.now(), end_reason=reason))
    cache_of(ctx).forget(user_id=user_id)  # the kept one is read again at its next request
    return int(done.rowcount)  # type: ignore[attr-defined]


def recheck(ctx: CityLoop, user_id: int) -> None:
    """This worker re-reads the user's sessions at their next request (role, scope changed)."""
    cache_of(ctx).forget(user_id=user_id)
