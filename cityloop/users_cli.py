"""`cityloop user …`: accounts from the command line — the host operator's break-glass.

The separation of duties binds the API's roles; the command line is run by whoever holds the
server, so it is not limited by them, and every change is audited as the command line's.
Messages name the row and field in Chinese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cityloop.services.context import CityLoop

user_app = typer.Typer(help="Users and roles (账号管理).", no_args_is_help=True)


def _context() -> CityLoop:
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _run(action: Any) -> Any:
    """Run a service call, turning its refusals into Chinese messages and exit status 2."""
    from cityloop.domain.errors import InvalidCommand
    from cityloop.services.orders import NotFound
    from cityloop.services.passwords import PasswordRejected

    try:
        return action()
    except PasswordRejected as exc:
        for v in exc.violations:
            typer.echo(f"{exc.field}: {v.message} [{v.code}]", err=True)
        raise typer.Exit(2) from None
    except InvalidCommand as exc:
        _fail(exc.text_zh())
    except NotFound as exc:
        _fail(f"未找到 not found: {exc}")


def _user_id(ctx: CityLoop, username: str) -> int:
    from cityloop.services.users import by_username

    with ctx.uow() as uow:
        row = by_username(uow.session, username)
        if row is None:
            _fail(f"没有用户 no such user: {username}")
        assert row is not None
        return row.id


def _role(value: str) -> Any:
    from cityloop.domain.statuses import Role

    try:
        return Role(value)
    except ValueError:
        _fail(f"角色无效 unknown role '{value}'; one of: {', '.join(Role)}")


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


@user_app.command("create")
def create(
    username: str,
    role: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    region: Annotated[str | None, typer.Option(help="region code (supervisor, grid)")] = None,
    department: Annotated[str | None, typer.Option(help="department code (handler)")] = None,
    change_at_login: Annotated[
        bool, typer.Option(help="the user must change the password at the first login")
    ] = True,
) -> None:
    """Create a user with a role (the password must meet the policy)."""
    from cityloop.services.users import UserInput, create_user

    ctx = _context()
    data = UserInput(
        username,
        password,
        name or username,
        _role(role),
        region,
        department,
        must_change_password=change_at_login,
    )
    _echo(_run(lambda: create_user(ctx, data)))


@user_app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="search username or name")] = None,
    role: Annotated[str | None, typer.Option()] = None,
    disabled: Annotated[bool, typer.Option(help="only disabled accounts")] = False,
) -> None:
    """List accounts, one JSON object a line."""
    from cityloop.services.users import list_users

    ctx = _context()
    page = 1
    while True:
        found = list_users(ctx, q, role, False if disabled else None, page, 500)
        for user in found["items"]:
            _echo(user)
        if page * 500 >= found["total"]:
            break
        page += 1


@user_app.command("disable")
def disable(username: str) -> None:
    """Disable an account; its sessions end on every worker within seconds."""
    from cityloop.services.users import set_active

    ctx = _context()
    _echo(_run(lambda: set_active(ctx, _user_id(ctx, username), False, None)))


@user_app.command("enable")
def enable(username: str) -> None:
    from cityloop.services.users import set_active

    ctx = _context()
    _echo(_run(lambda: set_active(ctx, _user_id(ctx, username), True, None)))


@user_app.command("reset-password")
def reset_password(username: str) -> None:
    """Print a temporary password; the user changes it at the next login."""
    from cityloop.services.users import reset_password as reset

    ctx = _context()
    answer = _run(lambda: reset(ctx, _user_id(ctx, username), None))
    typer.echo(f"临时密码 temporary password for {username}: {answer['temporary_password']}")


@user_app.command("set-role")
def set_role(
    username: str,
    role: str,
    region: Annotated[str | None, typer.Option(help="region code (supervisor, grid)")] = None,
    department: Annotated[str | None, typer.Option(help="department code (handler)")] = None,
) -> None:
    """Change an account's role and scope (open sessions follow within seconds)."""
    from cityloop.services.users import UserChange, update_user

    ctx = _context()
    fields = (
        {"role"}
        | ({"region_code"} if region else set())
        | ({"department_code"} if department else set())
    )
    change = UserChange(
        role=_role(role), region_code=region, department_code=department, fields=frozenset(fields)
    )
    _echo(_run(lambda: update_user(ctx, _user_id(ctx, username), change, None)))


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Lift the login throttle on an account."""
    from cityloop.services.users import unlock as lift

    ctx = _context()
    typer.echo(f"已解锁 unlocked: {_run(lambda: lift(ctx, _user_id(ctx, username), None))} lock(s)")


@user_app.command("reset-2fa")
def reset_2fa(username: str) -> None:
    """Withdraw an account's second factor (it enrols again at the next login)."""
    from cityloop.services.users import reset_second_factor

    ctx = _context()
    _echo(_run(lambda: reset_second_factor(ctx, _user_id(ctx, username), None)))


@user_app.command("import")
def import_(file: Path) -> None:
    """Bulk import accounts from CSV (username,display_name,role[,region_code,department_code,
    phone,password]); one problem and nothing is imported. Prints the temporary passwords."""
    from cityloop.geo.regions import ImportRejected
    from cityloop.importers import read_csv
    from cityloop.services.user_import import COLUMNS, import_users

    ctx = _context()
    try:
        created = import_users(ctx, read_csv(file, COLUMNS), None)
    except ImportRejected as exc:
        typer.echo(
            f"导入失败，未导入任何账号 import rejected: {len(exc.problems)} problem(s)", err=True
        )
        for p in exc.problems:
            typer.echo(f"  第 {p.row} 行 {p.field}: {p.message}", err=True)
        raise typer.Exit(2) from None
    for user in created:
        _echo({k: user[k] for k in ("username", "role", "temporary_password")})
    typer.echo(f"已导入 imported {len(created)} account(s)", err=True)
