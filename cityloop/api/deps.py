"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import sessions
from cityloop.services.context import CityLoop
from cityloop.services.sessions import SessionState

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class SessionRestricted(Exception):
    """The session must first change its password or enrol a second factor (→ 403)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


# These dependencies do no I/O on most requests (the session is cached for a couple of
# seconds per worker), so they are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hand-off that cost every request more than the work itself.
async def get_ctx(request: Request) -> CityLoop:
    ctx: CityLoop = request.app.state.ctx
    return ctx


Ctx = Annotated[CityLoop, Depends(get_ctx)]


async def _session(
    ctx: Ctx, request: Request, token: Annotated[str | None, Depends(oauth2)]
) -> SessionState | None:
    if not token:
        return None
    state = sessions.current(ctx, token)  # raises SessionRefused → 401
    # Who made the request, for the access log (cityloop.api.access_log).
    request.state.user = f"{state.actor.user_id}:{state.actor.name}"
    return state


async def _any_session(state: Annotated[SessionState | None, Depends(_session)]) -> SessionState:
    if state is None:
        raise HTTPException(
            401, "请先登录 Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    return state


async def _actor(state: Annotated[SessionState | None, Depends(_session)]) -> Actor | None:
    if state is None:
        return None
    if state.restriction is not None:
        raise SessionRestricted(state.restriction)
    return state.actor


async def _required(actor: Annotated[Actor | None, Depends(_actor)]) -> Actor:
    if actor is None:
        raise HTTPException(
            401, "请先登录 Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


OptionalActor = Annotated[Actor | None, Depends(_actor)]
CurrentActor = Annotated[Actor, Depends(_required)]
# A session that may still have to change its password or enrol 2FA (the auth endpoints).
CurrentSession = Annotated[SessionState, Depends(_any_session)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise HTTPException(403, f"需要角色 requires role: {', '.join(roles)}")
        return actor

    return Depends(check)


def client_source(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")
