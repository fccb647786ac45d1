"""Login, logout, the current session, password change and two-factor enrolment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import Ctx, CurrentSession, client_agent, client_source, oauth2
from cityloop.services import login as login_service
from cityloop.services import ratelimit, totp
from cityloop.services.sessions import recheck
from cityloop.services.users import change_password, get_user
from cityloop.store.models import UserRow
from cityloop.store.repositories import add_audit

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # the session's absolute lifetime, seconds
    idle_timeout: int  # seconds without a request after which the session ends
    user: dict[str, Any]
    # "password_change_required" or "totp_enrolment_required": the session may only do that.
    restriction: str | None = None


@router.post("/token", response_model=Token, operation_id="login")
def login(
    ctx: Ctx,
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    totp_code: Annotated[str | None, Form(alias="totp", max_length=40)] = None,
) -> dict[str, Any]:
    """OAuth2 password login (登录) with an optional `totp` field (a 6-digit code or a recovery
    code) for accounts with two factors. Attempts are throttled per account and address."""
    source = client_source(request)
    ratelimit.hit(ctx, "login", source or "-")
    result = login_service.authenticate(
        ctx, form.username, form.password, totp_code, source, client_agent(request)
    )
    return {
        "access_token": result.token,
        "token_type": "bearer",
        "expires_in": ctx.settings.token_ttl_minutes * 60,
        "idle_timeout": ctx.settings.session_idle_minutes * 60,
        "user": result.user,
        "restriction": result.restriction,
    }


@router.post("/logout", status_code=204, operation_id="logout")
def logout(ctx: Ctx, request: Request, token: Annotated[str | None, Depends(oauth2)]) -> None:
    """End this session (退出登录) on every worker."""
    if not token:
        raise HTTPException(
            401, "请先登录 Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    login_service.logout(ctx, token, client_source(request))


@router.get("/me", operation_id="me")
def me(state: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    actor = state.actor
    assert actor.user_id is not None
    user = get_user(ctx, actor.user_id)
    return {
        "id": actor.user_id,
        "name": actor.name,
        "username": user["username"],
        "role": actor.role.value,
        "region_code": actor.region_code,
        "department_code": actor.department_code,
        "restriction": state.restriction,
        "totp_enabled": user["totp_enabled"],
        "expires_at": state.expires_at.isoformat(),
    }


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post("/password", status_code=204, operation_id="changePassword")
def password(body: PasswordChange, state: CurrentSession, ctx: Ctx, request: Request) -> None:
    """Change one's own password (修改密码): required at the first login and after a reset.
    The account's other sessions end; this one goes on."""
    change_password(
        ctx,
        state.actor,
        body.current_password,
        body.new_password,
        state.sid,
        client_source(request),
    )


def _user_row(ctx: Ctx, state: CurrentSession) -> UserRow:
    with ctx.uow() as uow:
        row = uow.session.get(UserRow, state.actor.user_id)
        assert row is not None
        uow.session.expunge(row)
        return row


@router.post("/totp/enrol", operation_id="beginTotpEnrolment")
def totp_enrol(state: CurrentSession, ctx: Ctx) -> dict[str, Any]:
    """Begin binding an authenticator app (绑定双因素认证): a new secret and its QR code (SVG)."""
    return totp.begin_enrolment(ctx, _user_row(ctx, state))


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=6, max_length=10, pattern=r"^[0-9 ]+$")


@router.post("/totp/confirm", operation_id="confirmTotpEnrolment")
def totp_confirm(
    body: TotpConfirm, state: CurrentSession, ctx: Ctx, request: Request
) -> dict[str, Any]:
    """Finish binding with a first code; answers the recovery codes, shown this once."""
    user = _user_row(ctx, state)
    try:
        codes = totp.confirm_enrolment(ctx, user, body.code)
    except totp.TotpError as exc:
        with ctx.uow() as uow:
            add_audit(
                uow.session,
                state.actor,
                "totp.enrolled",
                f"user:{user.id}",
                {"reason": exc.code},
                result="failure",
                source=client_source(request),
            )
            uow.commit()
        raise
    with ctx.uow() as uow:
        add_audit(
            uow.session,
            state.actor,
            "totp.enrolled",
            f"user:{user.id}",
            {},
            source=client_source(request),
        )
        uow.commit()
    recheck(ctx, user.id)
    return {"recovery_codes": codes}
