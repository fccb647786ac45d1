"""Problem answers (RFC 9457) for identity, sessions, throttling and rate limits, each with a
stable `code` (and params) so the console can word it in zh or en."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cityloop.api.deps import SessionRestricted
from cityloop.api.problems import problem
from cityloop.services.passwords import PasswordRejected
from cityloop.services.ratelimit import RateLimited
from cityloop.services.sessions import SessionRefused
from cityloop.services.throttle import LoginThrottled
from cityloop.services.totp import TotpError
from cityloop.services.users import AccountRefused, LoginFailed

_BEARER = {"WWW-Authenticate": "Bearer"}
_RESTRICTIONS = {
    "password_change_required": "请先修改密码 Change your password first",
    "totp_enrolment_required": "请先绑定双因素认证 Enrol a second factor first",
}
_LOGIN = {
    "login_failed": "用户名或密码错误 Wrong username or password",
    "totp_required": "请输入动态验证码 Enter the verification code",
    "totp_invalid": "动态验证码错误 Wrong verification code",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(SessionRefused)
    async def _refused(_: Request, exc: SessionRefused) -> JSONResponse:
        return problem(401, f"登录已失效 {exc}", exc.reason, headers=_BEARER, code=exc.code)

    @app.exception_handler(SessionRestricted)
    async def _restricted(_: Request, exc: SessionRestricted) -> JSONResponse:
        return problem(403, _RESTRICTIONS.get(exc.code, exc.code), code=exc.code)

    @app.exception_handler(LoginFailed)
    async def _login_failed(_: Request, exc: LoginFailed) -> JSONResponse:
        return problem(401, _LOGIN.get(exc.code, exc.code), headers=_BEARER, code=exc.code)

    @app.exception_handler(LoginThrottled)
    async def _throttled(_: Request, exc: LoginThrottled) -> JSONResponse:
        return problem(
            429,
            "登录失败次数过多，请稍后再试 Too many failed logins",
            f"retry in {exc.retry_after} s",
            headers={"Retry-After": str(exc.retry_after)},
            code="login_throttled",
            params={"retry_after": exc.retry_after},
        )

    @app.exception_handler(RateLimited)
    async def _limited(_: Request, exc: RateLimited) -> JSONResponse:
        return problem(
            429,
            "请求过于频繁，请稍后再试 Too many requests",
            f"retry in {exc.retry_after} s",
            headers={"Retry-After": str(exc.retry_after)},
            code="rate_limited",
            params={"limit": exc.name, "retry_after": exc.retry_after},
        )

    @app.exception_handler(AccountRefused)
    async def _duties(_: Request, exc: AccountRefused) -> JSONResponse:
        return problem(403, "无权操作 Forbidden", str(exc), code=exc.code)

    @app.exception_handler(PasswordRejected)
    async def _password(_: Request, exc: PasswordRejected) -> JSONResponse:
        return problem(
            422,
            "密码不符合安全要求 The password does not meet the policy",
            str(exc),
            code="password_policy",
            errors=[
                {"field": exc.field, "code": v.code, "message": v.message, "params": v.params}
                for v in exc.violations
            ],
        )

    @app.exception_handler(TotpError)
    async def _totp(_: Request, exc: TotpError) -> JSONResponse:
        return problem(
            422,
            str(exc),
            code=exc.code,
            errors=[{"field": "code", "code": exc.code, "message": str(exc)}],
        )
