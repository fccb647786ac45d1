"""Users, login with throttling, bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import LoginFailureRow, UserRow, utcnow

_hasher = PasswordHasher()
_ALGORITHM = "HS256"


class LoginFailed(Exception):
    pass


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed logins; retry in {retry_after} s")


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class UserInput:
    username: str
    password: str
    display_name: str
    role: Role
    region_code: str | None = None
    department_code: str | None = None
    phone: str | None = None


def actor_of(row: UserRow) -> Actor:
    return Actor(
        user_id=row.id,
        name=row.display_name,
        role=Role(row.role),
        region_code=row.region_code,
        department_code=row.department_code,
    )


def create_user(ctx: CityLoop, data: UserInput) -> dict[str, Any]:
    if len(data.password) < 8:
        raise InvalidCommand("password", "at least 8 characters")
    ref = ctx.reference.get()
    if data.role in (Role.SUPERVISOR, Role.GRID_WORKER) and data.region_code not in ref.regions:
        raise InvalidCommand("region_code", "a supervisor or grid worker needs a known region")
    if data.role is Role.DEPARTMENT_HANDLER and data.department_code not in ref.departments:
        raise InvalidCommand("department_code", "a department handler needs a known department")
    with ctx.uow() as uow:
        taken = uow.session.execute(
            select(UserRow.id).where(UserRow.username == data.username)
        ).first()
        if taken:
            raise InvalidCommand("username", f"'{data.username}' is taken")
        row = UserRow(
            username=data.username,
            password_hash=_hasher.hash(data.password),
            display_name=data.display_name,
            role=data.role.value,
            region_code=data.region_code,
            department_code=data.department_code,
            phone=data.phone,
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.commit()
        return user_view(row)


def user_view(row: UserRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "region_code": row.region_code,
        "department_code": row.department_code,
        "active": row.active,
    }


def list_users(ctx: CityLoop) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        return [
            user_view(r)
            for r in uow.session.execute(select(UserRow).order_by(UserRow.id)).scalars()
        ]


def authenticate(ctx: CityLoop, username: str, password: str) -> str:
    """Check the password and return a bearer token; throttle repeated failures per user."""
    s = ctx.settings
    now = ctx.clock.now()
    window_start = now - timedelta(seconds=s.login_window_seconds)
    with ctx.uow() as uow:
        session = uow.session
        failures = session.execute(
            select(func.count(), func.min(LoginFailureRow.at)).where(
                LoginFailureRow.username == username, LoginFailureRow.at >= window_start
            )
        ).one()
        if failures[0] >= s.login_max_failures:
            retry = (
                int((failures[1] + timedelta(seconds=s.login_window_seconds) - now).total_seconds())
                + 1
            )
            raise LoginThrottled(max(retry, 1))
        row = session.execute(
            select(UserRow).where(UserRow.username == username, UserRow.active.is_(True))
        ).scalar_one_or_none()
        ok = False
        if row is not None:
            try:
                ok = _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok or row is None:
            session.add(LoginFailureRow(username=username, at=now))
            uow.commit()
            raise LoginFailed(username)
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))
        uow.commit()
        return issue_token(ctx, row)


def issue_token(ctx: CityLoop, row: UserRow) -> str:
    now = ctx.clock.now()
    claims = {
        "sub": str(row.id),
        "name": row.display_name,
        "role": row.role,
        "region": row.region_code,
        "dept": row.department_code,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=ctx.settings.token_ttl_minutes)).timestamp()),
    }
    return jwt.encode(claims, ctx.settings.signing_key(), algorithm=_ALGORITHM)


def actor_from_token(ctx: CityLoop, token: str) -> Actor:
    """The token carries the actor, so a request needs no user lookup (intake stays fast)."""
    try:
        exp, actor = _verified(ctx.settings.signing_key(), token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    # Expiry is checked against the service clock, so tests and replays agree with it.
    if exp < int(ctx.clock.now().timestamp()):
        raise InvalidToken("token expired")
    return actor


@lru_cache(maxsize=4096)
def _verified(key: str, token: str) -> tuple[int, Actor]:
    """A token's expiry and actor once its signature checks out. A client sends the same token
    with every request, so the signature is checked once per process and key, not per request
    (decoding was a twentieth of intake's CPU); failures are not cached."""
    claims = jwt.decode(token, key, algorithms=[_ALGORITHM], options={"verify_exp": False})
    try:
        return int(claims.get("exp", 0)), Actor(
            user_id=int(claims["sub"]),
            name=str(claims["name"]),
            role=Role(claims["role"]),
            region_code=claims.get("region"),
            department_code=claims.get("dept"),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise jwt.InvalidTokenError("malformed token") from exc
