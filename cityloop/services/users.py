"""Accounts and their lifecycle (账号管理): create, edit, change role, disable, enable, reset and
change passwords, unlock, reset the second factor — each checked against the separation of
duties (domain/duties.py), each audited. `actor=None` is the command line (break-glass).

Login itself is in services/login.py, sessions in services/sessions.py.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cityloop.domain.duties import REFUSAL_MESSAGES, AccountOp, refusal
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import ROLE_LABELS, Role
from cityloop.services import sessions, throttle, totp
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.services.passwords import (
    PasswordRejected,
    check_new_password,
    hash_password,
    remember,
    verify,
)
from cityloop.services.sessions import SessionRefused, actor_of, open_session
from cityloop.services.throttle import LoginThrottled
from cityloop.store.models import UserRow, utcnow
from cityloop.store.repositories import add_audit
from cityloop.store.security_models import UserSecurityRow

__all__ = [
    "AccountRefused",
    "InvalidToken",
    "LoginFailed",
    "LoginThrottled",
    "PasswordRejected",
    "UserInput",
    "actor_from_token",
    "actor_of",
    "issue_token",
]


class LoginFailed(Exception):
    def __init__(self, username: str, code: str = "login_failed") -> None:
        self.code = code
        super().__init__(username)


class AccountRefused(Exception):
    """The separation of duties forbids this account operation (→ 403 with the code)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(REFUSAL_MESSAGES.get(code, code))


InvalidToken = SessionRefused  # the old name, for callers that catch it


@dataclass(frozen=True)
class UserInput:
    username: str
    password: str
    display_name: str
    role: Role
    region_code: str | None = None
    department_code: str | None = None
    phone: str | None = None
    # Someone else chose the password: the user changes it at the first login.
    must_change_password: bool = True


@dataclass(frozen=True)
class UserChange:
    """PATCH /users/{id}: only the fields given change."""

    display_name: str | None = None
    role: Role | None = None
    region_code: str | None = None
    department_code: str | None = None
    phone: str | None = None
    fields: frozenset[str] = frozenset()  # which of the above were given (None may clear)


def issue_token(
    ctx: CityLoop, row: UserRow, source: str | None = None, user_agent: str | None = None
) -> str:
    """A bearer token for a new session of an authenticated user."""
    token, _ = open_session(ctx, row, source, user_agent)
    return token


def actor_from_token(ctx: CityLoop, token: str) -> Actor:
    """The actor of a usable session (a restricted one must first finish its login)."""
    state = sessions.current(ctx, token)
    if state.restriction is not None:
        raise SessionRefused(state.restriction)
    return state.actor


def _check(
    actor: Actor | None, op: AccountOp, target: UserRow | None, new_role: Role | None
) -> None:
    if actor is None:
        return  # the host's command line
    code = refusal(
        actor.role,
        op,
        self_target=target is not None and target.id == actor.user_id,
        target_role=Role(target.role) if target is not None else None,
        new_role=new_role,
    )
    if code is not None:
        raise AccountRefused(code)


def _check_scope(ctx: CityLoop, role: Role, region: str | None, dept: str | None) -> None:
    ref = ctx.reference.get()
    if role in (Role.SUPERVISOR, Role.GRID_WORKER) and region not in ref.regions:
        raise InvalidCommand("region_code", "region_required")
    if role is Role.DEPARTMENT_HANDLER and dept not in ref.departments:
        raise InvalidCommand("department_code", "department_required")


def _user(session: Session, user_id: int) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"user {user_id}")
    return row


def _security(session: Session, user_id: int) -> UserSecurityRow:
    return totp.security_row(session, user_id)


def create_user(
    ctx: CityLoop,
    data: UserInput,
    actor: Actor | None = None,
    source: str | None = None,
    *,
    policy: bool = True,
) -> dict[str, Any]:
    """A new account. `policy=False` only for the demo's known accounts."""
    _check(actor, AccountOp.CREATE, None, data.role)
    with ctx.uow() as uow:
        if policy:
            check_new_password(uow.session, ctx.settings, data.username, data.password, None)
        _check_scope(ctx, data.role, data.region_code, data.department_code)
        taken = uow.session.execute(
            select(UserRow.id).where(UserRow.username == data.username)
        ).first()
        if taken:
            raise InvalidCommand("username", "name_taken", {"name": data.username})
        hashed = hash_password(data.password)
        row = UserRow(
            username=data.username,
            password_hash=hashed,
            display_name=data.display_name,
            role=data.role.value,
            region_code=data.region_code,
            department_code=data.department_code,
            phone=data.phone,
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.session.flush()
        security = UserSecurityRow(
            user_id=row.id,
            must_change_password=data.must_change_password,
            password_changed_at=ctx.clock.now(),
            demo_account=not policy,
            totp_enabled=False,
        )
        uow.session.add(security)
        remember(uow.session, ctx.settings, row.id, hashed)
        add_audit(
            uow.session,
            actor,
            "user.created",
            f"user:{row.id}",
            {"username": row.username, "new_role": row.role},
            source=source,
        )
        uow.commit()
        return user_view(row, security)


def user_view(row: UserRow, security: UserSecurityRow | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "role_label": ROLE_LABELS.get(row.role, row.role),  # type: ignore[call-overload]
        "region_code": row.region_code,
        "department_code": row.department_code,
        "active": row.active,
        "must_change_password": bool(security and security.must_change_password),
        "totp_enabled": bool(security and security.totp_enabled),
        "demo_account": bool(security and security.demo_account),
        "created_at": row.created_at.isoformat(),
    }


def list_users(
    ctx: CityLoop,
    q: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """Accounts, searched by username, name, role (value or Chinese label) or department (code
    or name) and by region code, filtered by role and state, a page at a time."""
    where = []
    if q:
        term = q.strip()
        pattern = "%" + _escape_like(term) + "%"
        matches = [
            UserRow.username.ilike(pattern, escape="\\"),
            UserRow.display_name.ilike(pattern, escape="\\"),
            UserRow.department_code.ilike(pattern, escape="\\"),
            UserRow.region_code.ilike(pattern, escape="\\"),
        ]
        roles = [r.value for r, label in ROLE_LABELS.items() if term in label or term == r.value]
        if roles:
            matches.append(UserRow.role.in_(roles))
        ref = ctx.reference.get()
        departments = [code for code, name in ref.departments.items() if term in name]
        if departments:
            matches.append(UserRow.department_code.in_(departments))
        where.append(or_(*matches))
    if role:
        where.append(UserRow.role == role)
    if active is not None:
        where.append(UserRow.active.is_(active))
    with ctx.uow() as uow:
        total = uow.session.execute(
            select(func.count()).select_from(UserRow).where(*where)
        ).scalar()
        rows = uow.session.execute(
            select(UserRow, UserSecurityRow)
            .outerjoin(UserSecurityRow, UserSecurityRow.user_id == UserRow.id)
            .where(*where)
            .order_by(UserRow.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return {
            "items": [user_view(u, s) for u, s in rows],
            "total": int(total or 0),
            "page": page,
            "page_size": page_size,
        }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_user(ctx: CityLoop, user_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        return user_view(row, uow.session.get(UserSecurityRow, user_id))


def update_user(
    ctx: CityLoop, user_id: int, change: UserChange, actor: Actor | None, source: str | None = None
) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        role_changes = (
            "role" in change.fields and change.role is not None and change.role.value != row.role
        )
        _check(actor, AccountOp.CHANGE_ROLE if role_changes else AccountOp.EDIT, row, change.role)
        before = {
            "role": row.role,
            "region_code": row.region_code,
            "department_code": row.department_code,
            "display_name": row.display_name,
        }
        role = change.role if role_changes and change.role else Role(row.role)
        region = change.region_code if "region_code" in change.fields else row.region_code
        dept = change.department_code if "department_code" in change.fields else row.department_code
        _check_scope(ctx, role, region, dept)
        row.role, row.region_code, row.department_code = role.value, region, dept
        if "display_name" in change.fields and change.display_name:
            row.display_name = change.display_name
        if "phone" in change.fields:
            row.phone = change.phone
        after = {k: getattr(row, k) for k in before}
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changed:
            add_audit(
                uow.session,
                actor,
                "user.role_changed" if role_changes else "user.updated",
                f"user:{row.id}",
                {"username": row.username, "changes": changed},
                source=source,
            )
        uow.commit()
        sessions.recheck(ctx, row.id)
        return user_view(row, uow.session.get(UserSecurityRow, row.id))


def set_active(
    ctx: CityLoop, user_id: int, active: bool, actor: Actor | None, source: str | None = None
) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        _check(actor, AccountOp.ENABLE if active else AccountOp.DISABLE, row, None)
        row.active = active
        if not active:
            sessions.end_user_sessions(ctx, uow.session, row.id, "disabled")
        add_audit(
            uow.session,
            actor,
            "user.enabled" if active else "user.disabled",
            f"user:{row.id}",
            {"username": row.username},
            source=source,
        )
        uow.commit()
        sessions.recheck(ctx, row.id)
        return user_view(row, uow.session.get(UserSecurityRow, row.id))


def temporary_password(length: int = 14) -> str:
    """A random password that meets any policy up to four classes (changed at first login)."""
    alphabet = string.ascii_letters + string.digits + "-_!@#%"
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in word)
            and any(c.isupper() for c in word)
            and any(c.isdigit() for c in word)
            and any(not c.isalnum() for c in word)
        ):
            return word


def reset_password(
    ctx: CityLoop, user_id: int, actor: Actor | None, source: str | None = None
) -> dict[str, Any]:
    """A temporary password (returned once), to be changed at the next login; every open
    session of the account ends."""
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        _check(actor, AccountOp.RESET_PASSWORD, row, None)
        temporary = temporary_password()
        row.password_hash = hash_password(temporary)
        sec = _security(uow.session, row.id)
        sec.must_change_password = True
        sec.demo_account = False
        sec.password_changed_at = ctx.clock.now()
        ended = sessions.end_user_sessions(ctx, uow.session, row.id, "password_reset")
        add_audit(
            uow.session,
            actor,
            "user.password_reset",
            f"user:{row.id}",
            {"username": row.username, "sessions_ended": ended},
            source=source,
        )
        uow.commit()
        return {"user": user_view(row, sec), "temporary_password": temporary}


def change_password(
    ctx: CityLoop,
    actor: Actor,
    current: str,
    new: str,
    session_id: str | None,
    source: str | None = None,
) -> None:
    """The user's own change (forced at first login and after a reset): the current password
    proves it is them; the other sessions end, this one goes on."""
    assert actor.user_id is not None
    with ctx.uow() as uow:
        row = _user(uow.session, actor.user_id)
        if not verify(row.password_hash, current):
            add_audit(
                uow.session,
                actor,
                "user.password_changed",
                f"user:{row.id}",
                {"reason": "wrong_current_password"},
                result="failure",
                source=source,
            )
            uow.commit()
            raise InvalidCommand("current_password", "current_password_wrong")
        if new == current:
            raise PasswordRejected([_same_as_current()], field="new_password")
        try:
            check_new_password(uow.session, ctx.settings, row.username, new, row.id)
        except PasswordRejected as exc:
            raise PasswordRejected(exc.violations, field="new_password") from None
        row.password_hash = hash_password(new)
        remember(uow.session, ctx.settings, row.id, row.password_hash)
        sec = _security(uow.session, row.id)
        sec.must_change_password = False
        sec.demo_account = False
        sec.password_changed_at = ctx.clock.now()
        sessions.end_user_sessions(ctx, uow.session, row.id, "password_changed", keep=session_id)
        add_audit(uow.session, actor, "user.password_changed", f"user:{row.id}", {}, source=source)
        uow.commit()


def _same_as_current() -> Any:
    from cityloop.domain.passwords import Violation

    return Violation("password_same", "新密码不能与当前密码相同 must differ from the current one")


def unlock(ctx: CityLoop, user_id: int, actor: Actor | None, source: str | None = None) -> int:
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        _check(actor, AccountOp.UNLOCK, row, None)
        lifted = throttle.unlock(ctx, row.username)
        add_audit(
            uow.session,
            actor,
            "user.unlocked",
            f"user:{row.id}",
            {"username": row.username, "locks": lifted},
            source=source,
        )
        uow.commit()
        return lifted


def reset_second_factor(
    ctx: CityLoop, user_id: int, actor: Actor | None, source: str | None = None
) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = _user(uow.session, user_id)
        _check(actor, AccountOp.RESET_TOTP, row, None)
        totp.reset(uow.session, row.id)
        ended = sessions.end_user_sessions(ctx, uow.session, row.id, "totp_reset")
        add_audit(
            uow.session,
            actor,
            "totp.reset",
            f"user:{row.id}",
            {"username": row.username, "sessions_ended": ended},
            source=source,
        )
        uow.commit()
        return user_view(row, uow.session.get(UserSecurityRow, row.id))


def by_username(session: Session, username: str) -> UserRow | None:
    return session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
