"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.services.users import InvalidToken, actor_from_token

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# These dependencies do no I/O, so they are `async def`: FastAPI runs a plain `def` dependency
# in its thread pool, a hand-off that cost every request more than the work itself.
async def get_ctx(request: Request) -> CityLoop:
    ctx: CityLoop = request.app.state.ctx
    return ctx


Ctx = Annotated[CityLoop, Depends(get_ctx)]


async def _actor(ctx: Ctx, token: Annotated[str | None, Depends(oauth2)]) -> Actor | None:
    if not token:
        return None
    try:
        return actor_from_token(ctx, token)
    except InvalidToken as exc:
        raise HTTPException(
            401, f"登录已失效 Invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}
        ) from exc


async def _required(actor: Annotated[Actor | None, Depends(_actor)]) -> Actor:
    if actor is None:
        raise HTTPException(
            401, "请先登录 Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


OptionalActor = Annotated[Actor | None, Depends(_actor)]
CurrentActor = Annotated[Actor, Depends(_required)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise HTTPException(403, f"需要角色 requires role: {', '.join(roles)}")
        return actor

    return Depends(check)
