"""Login (身份鉴别): throttle, password, second factor, session — and the audit of each outcome.

Every attempt costs one password hash whether or not the account exists, is disabled or has the
right password (an unknown name is checked against a dummy hash), so the answer's timing does
not tell which usernames exist. The throttle counts the attempt before the check
(services/throttle.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from cityloop.services import passwords, sessions, throttle, totp
from cityloop.services.context import CityLoop
from cityloop.services.users import LoginFailed, by_username, user_view
from cityloop.store.models import UserRow
from cityloop.store.repositories import add_audit
from cityloop.store.security_models import UserSecurityRow


@dataclass(frozen=True)
class LoginResult:
    token: str
    user: dict[str, Any]
    restriction: str | None
    session_id: str


def _audit_failure(
    ctx: CityLoop,
    username: str,
    user: UserRow | None,
    reason: str,
    source: str | None,
    user_agent: str | None,
    charged: throttle.Charge | None,
) -> None:
    with ctx.uow() as uow:
        actor = sessions.actor_of(user) if user is not None else None
        target = f"user:{user.id}" if user is not None else f"username:{username[:80]}"
        add_audit(
            uow.session,
            actor,
            "login.failure",
            target,
            {"username": username[:80], "reason": reason},
            result="failure",
            source=source,
            user_agent=user_agent,
        )
        for scope, attempts in charged.locked() if charged else []:
            add_audit(
                uow.session,
                actor,
                "login.locked",
                target,
                {"username": username[:80], "scope": scope, "attempts": attempts},
                result="failure",
                source=source,
                user_agent=user_agent,
            )
        uow.commit()


def authenticate(
    ctx: CityLoop,
    username: str,
    password: str,
    second_factor: str | None = None,
    source: str | None = None,
    user_agent: str | None = None,
) -> LoginResult:
    """Check the credentials and open a session; raises LoginThrottled or LoginFailed (whose
    code tells the console when to ask for the second factor)."""
    with ctx.uow() as uow:
        user = by_username(uow.session, username)
        if user is not None:
            uow.session.expunge(user)
    try:
        charged = throttle.charge(ctx, username, source or "", user.id if user else None)
    except throttle.LoginThrottled:
        _audit_failure(ctx, username, user, "throttled", source, user_agent, None)
        raise
    if user is None:
        passwords.verify_dummy(password)
        _audit_failure(ctx, username, None, "unknown_user", source, user_agent, charged)
        raise LoginFailed(username)
    if not passwords.verify(user.password_hash, password):
        _audit_failure(ctx, username, user, "wrong_password", source, user_agent, charged)
        raise LoginFailed(username)
    if not user.active:
        _audit_failure(ctx, username, user, "disabled", source, user_agent, charged)
        raise LoginFailed(username)
    method = "password"
    with ctx.uow() as uow:
        if totp.enabled(uow.session, user.id):
            if not second_factor:
                # The password was right: the counters stay charged, so the second factor
                # cannot be guessed without the throttle.
                raise LoginFailed(username, code="totp_required")
            used = totp.check_second_factor(ctx, uow.session, user.id, second_factor)
            if used is None:
                uow.session.rollback()
                _audit_failure(ctx, username, user, "totp_invalid", source, user_agent, charged)
                raise LoginFailed(username, code="totp_invalid")
            method = f"password+{used}"
            uow.commit()
    throttle.clear(ctx, username, source or "")
    token, row = sessions.open_session(ctx, user, source, user_agent)
    with ctx.uow() as uow:
        security = uow.session.get(UserSecurityRow, user.id)
        restriction = sessions.restriction_of(ctx, user, security, ctx.clock.now())
        add_audit(
            uow.session,
            sessions.actor_of(user),
            "login.success",
            f"user:{user.id}",
            {"username": user.username, "method": method, "session": row.id[:8]},
            source=source,
            user_agent=user_agent,
        )
        uow.commit()
        view = user_view(user, security)
    return LoginResult(token=token, user=view, restriction=restriction, session_id=row.id)


def logout(ctx: CityLoop, token: str, source: str | None = None) -> bool:
    sid = sessions.session_id_of(ctx, token)
    state = None
    with contextlib.suppress(sessions.SessionRefused):  # an expired one can still log out
        state = sessions.current(ctx, token)
    with ctx.uow() as uow:
        ended = sessions.end_session(ctx, uow.session, sid, "logout")
        if ended:
            add_audit(
                uow.session,
                state.actor if state else None,
                "logout",
                f"user:{state.actor.user_id}" if state else f"session:{sid[:8]}",
                {"session": sid[:8]},
                source=source,
            )
        uow.commit()
    return ended
