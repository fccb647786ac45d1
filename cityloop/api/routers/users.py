"""Accounts (账号管理): list, create, edit, disable, enable, reset password, unlock, reset 2FA.

Who may do what follows the separation of duties (domain/duties.py): the system administrator
runs operational accounts, the security administrator holds roles, locks and second factors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cityloop.api.deps import Ctx, client_source, require_roles
from cityloop.api.schemas import UserCreate
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.importers import read_csv
from cityloop.services import users as accounts
from cityloop.services.user_import import COLUMNS, import_users

router = APIRouter(prefix="/api/v1/users", tags=["users"])

AccountAdmin = require_roles(Role.ADMIN, Role.SECURITY_ADMIN)
UserId = Annotated[int, Path(ge=1, le=2**62)]


def _role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise InvalidCommand(field, "unknown_role", {"value": value}) from exc


@router.get("", operation_id="listUsers")
def users(
    ctx: Ctx,
    q: Annotated[str | None, Query(max_length=80)] = None,
    role: Annotated[str | None, Query(max_length=30)] = None,
    active: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    _: Actor = AccountAdmin,
) -> dict[str, Any]:
    """Accounts searched by username or name (q), filtered by role and state, paginated."""
    return accounts.list_users(ctx, q, role, active, page, page_size)


@router.post("", status_code=201, operation_id="createUser")
def create(
    body: UserCreate, ctx: Ctx, request: Request, actor: Actor = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """A new account; its user changes the password at the first login."""
    return accounts.create_user(
        ctx,
        accounts.UserInput(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role=_role(body.role),
            region_code=body.region_code,
            department_code=body.department_code,
            phone=body.phone,
        ),
        actor,
        client_source(request),
    )


@router.post("/import", operation_id="importUsers")
async def import_csv(
    file: UploadFile, ctx: Ctx, request: Request, actor: Actor = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """Bulk import accounts from CSV (username, display_name, role, region_code,
    department_code, phone, password): the whole file is checked first, and any problem —
    answered 422 with each line and column named in Chinese — imports nothing."""
    from cityloop.api.routers.files import saved_upload

    path = await saved_upload(file)
    try:
        rows = read_csv(path, COLUMNS)
        # Off the event loop: each account costs a password hash.
        created = await run_in_threadpool(import_users, ctx, rows, actor, client_source(request))
    finally:
        path.unlink(missing_ok=True)
    return {"imported": len(created), "users": created}


@router.get("/{user_id}", operation_id="getUser")
def one(user_id: UserId, ctx: Ctx, _: Actor = AccountAdmin) -> dict[str, Any]:
    return accounts.get_user(ctx, user_id)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    role: str | None = Field(default=None, max_length=30)
    region_code: str | None = Field(default=None, max_length=20)
    department_code: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+\- ]*$")


@router.patch("/{user_id}", operation_id="updateUser")
def patch(
    user_id: UserId, body: UserPatch, ctx: Ctx, request: Request, actor: Actor = AccountAdmin
) -> dict[str, Any]:
    """Change the role, scope (region, department) or name; holds on every worker within
    seconds, in the account's open sessions too."""
    given = frozenset(body.model_fields_set)
    change = accounts.UserChange(
        display_name=body.display_name,
        role=_role(body.role) if body.role is not None else None,
        region_code=body.region_code,
        department_code=body.department_code,
        phone=body.phone,
        fields=given,
    )
    return accounts.update_user(ctx, user_id, change, actor, client_source(request))


@router.post("/{user_id}/disable", operation_id="disableUser")
def disable(user_id: UserId, ctx: Ctx, request: Request, actor: Actor = AccountAdmin) -> Any:
    """Disable the account (停用): its sessions end at once, on every worker within seconds."""
    return accounts.set_active(ctx, user_id, False, actor, client_source(request))


@router.post("/{user_id}/enable", operation_id="enableUser")
def enable(user_id: UserId, ctx: Ctx, request: Request, actor: Actor = AccountAdmin) -> Any:
    return accounts.set_active(ctx, user_id, True, actor, client_source(request))


@router.post("/{user_id}/reset-password", operation_id="resetUserPassword")
def reset_password(
    user_id: UserId, ctx: Ctx, request: Request, actor: Actor = require_roles(Role.ADMIN)
) -> dict[str, Any]:
    """A temporary password, answered once; the user must change it at the next login."""
    return accounts.reset_password(ctx, user_id, actor, client_source(request))


@router.post("/{user_id}/unlock", operation_id="unlockUser")
def unlock(
    user_id: UserId, ctx: Ctx, request: Request, actor: Actor = require_roles(Role.SECURITY_ADMIN)
) -> dict[str, Any]:
    """Lift the login throttle on the account (解锁), from every address."""
    return {"locks_lifted": accounts.unlock(ctx, user_id, actor, client_source(request))}


@router.post("/{user_id}/reset-2fa", operation_id="resetUserTotp")
def reset_2fa(
    user_id: UserId, ctx: Ctx, request: Request, actor: Actor = require_roles(Role.SECURITY_ADMIN)
) -> dict[str, Any]:
    """Withdraw the account's second factor (lost phone); it enrols again at the next login."""
    return accounts.reset_second_factor(ctx, user_id, actor, client_source(request))
