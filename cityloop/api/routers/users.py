from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cityloop.api.deps import Ctx, require_roles
from cityloop.api.schemas import UserCreate
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.statuses import Role
from cityloop.services.users import UserInput, create_user, list_users

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", operation_id="listUsers")
def users(ctx: Ctx, _: Any = require_roles(Role.ADMIN)) -> list[dict[str, Any]]:
    return list_users(ctx)


@router.post("", status_code=201, operation_id="createUser")
def create(body: UserCreate, ctx: Ctx, _: Any = require_roles(Role.ADMIN)) -> dict[str, Any]:
    try:
        role = Role(body.role)
    except ValueError as exc:
        raise InvalidCommand("role", f"'{body.role}' is not a role") from exc
    return create_user(
        ctx,
        UserInput(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role=role,
            region_code=body.region_code,
            department_code=body.department_code,
            phone=body.phone,
        ),
    )
