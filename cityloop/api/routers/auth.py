from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.api.schemas import Token
from cityloop.services.users import authenticate, user_view
from cityloop.store.models import UserRow

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=Token, operation_id="login")
def login(ctx: Ctx, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
    """OAuth2 password login (登录). Repeated failures for one username are throttled."""
    token = authenticate(ctx, form.username, form.password)
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(UserRow).where(UserRow.username == form.username)
        ).scalar_one()
        user = user_view(row)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ctx.settings.token_ttl_minutes * 60,
        "user": user,
    }


@router.get("/me", operation_id="me")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {
        "id": actor.user_id,
        "name": actor.name,
        "role": actor.role.value,
        "region_code": actor.region_code,
        "department_code": actor.department_code,
    }
