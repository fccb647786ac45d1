"""Accounts from the command line and bulk CSV import (API and CLI): all or nothing, problems
named by line and column in Chinese; production refuses demo accounts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cityloop.api.app import create_app
from cityloop.cli import app as cli
from cityloop.demo.load import DEMO_PASSWORD
from cityloop.services import demo_accounts
from cityloop.services.users import list_users
from tests.identity.conftest import login

GOOD = (
    "username,display_name,role,region_code,department_code,phone,password\n"
    "wang_op,王话务,operator,,,13900000001,\n"
    "li_cg,李承办,department_handler,,D-CG,,Harbour-Lamp-2026\n"
)
BAD = (
    "username,display_name,role,region_code,department_code\n"
    "ok_user,好,operator,,\n"
    "bad name,坏,operator,,\n"
    "ok_user,重复,wizard,,\n"
    "sup9,督办,supervisor,nowhere,\n"
    "sec9,安全,security_admin,,\n"
)


@pytest.fixture
def cli_env(ctx, monkeypatch):
    monkeypatch.setattr("cityloop.users_cli._context", lambda: ctx)
    return CliRunner()


def test_admin_imports_a_csv_and_the_accounts_must_change_their_password(client, users, ctx):
    r = client.post(
        "/api/v1/users/import",
        files={"file": ("users.csv", GOOD.encode(), "text/csv")},
        headers=users.headers("admin"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 2
    made = {u["username"]: u for u in body["users"]}
    assert made["li_cg"]["temporary_password"] is None
    temporary = made["wang_op"]["temporary_password"]
    assert login(client, "wang_op", temporary).json()["restriction"] == "password_change_required"


def test_a_bad_csv_imports_nothing_and_names_each_line_and_column(client, users, ctx):
    before = list_users(ctx)["total"]
    r = client.post(
        "/api/v1/users/import",
        files={"file": ("users.csv", BAD.encode(), "text/csv")},
        headers=users.headers("admin"),
    )
    assert r.status_code == 422
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert errors == {
        (3, "username"),
        (4, "username"),
        (4, "role"),
        (5, "region_code"),
        (6, "role"),
    }
    by_cell = {(e["row"], e["field"]): e for e in r.json()["errors"]}
    messages = {k: e["message"] for k, e in by_cell.items()}
    assert by_cell[(4, "username")]["code"] == "duplicate_line"
    assert by_cell[(4, "username")]["params"]["first"] == 2
    assert "与第 2 行重复" in messages[(4, "username")]
    assert "repeats line 2" in by_cell[(4, "username")]["message_en"]
    assert "“wizard”不是有效的角色" in messages[(4, "role")]
    assert by_cell[(4, "role")]["code"] == "not_one_of"
    assert "系统管理员不能" in messages[(6, "role")]
    assert "An administrator cannot" in by_cell[(6, "role")]["message_en"]
    assert list_users(ctx)["total"] == before


def test_the_command_line_manages_accounts(cli_env, ctx, client, tmp_path):
    r = cli_env.invoke(
        cli,
        ["user", "create", "zhou", "operator", "--password", "12345678"],
        catch_exceptions=False,
    )
    assert r.exit_code == 2 and "password_too_short" in r.output and "至少需要" in r.output
    r = cli_env.invoke(
        cli,
        [
            "user",
            "create",
            "zhou",
            "operator",
            "--password",
            "Harbour-Lamp-2026",
            "--no-change-at-login",
        ],
    )
    assert r.exit_code == 0, r.output
    assert login(client, "zhou", "Harbour-Lamp-2026").json()["restriction"] is None
    assert cli_env.invoke(cli, ["user", "disable", "zhou"]).exit_code == 0
    assert login(client, "zhou", "Harbour-Lamp-2026").status_code == 401
    assert cli_env.invoke(cli, ["user", "enable", "zhou"]).exit_code == 0
    r = cli_env.invoke(cli, ["user", "reset-password", "zhou"])
    temporary = r.output.rsplit(": ", 1)[1].strip()
    assert login(client, "zhou", temporary).json()["restriction"] == "password_change_required"
    r = cli_env.invoke(cli, ["user", "set-role", "zhou", "supervisor"])
    assert r.exit_code == 2 and "region_code" in r.output
    r = cli_env.invoke(cli, ["user", "set-role", "zhou", "supervisor", "--region", "990102001"])
    assert r.exit_code == 0 and '"role": "supervisor"' in r.output
    assert cli_env.invoke(cli, ["user", "unlock", "zhou"]).exit_code == 0
    assert cli_env.invoke(cli, ["user", "disable", "nobody"]).exit_code == 2
    listed = cli_env.invoke(cli, ["user", "list", "--q", "zhou"])
    assert listed.output.count('"username": "zhou"') == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    r = cli_env.invoke(cli, ["user", "import", str(bad)])
    assert r.exit_code == 2 and "第 4 行 role" in r.output


def test_production_refuses_to_start_with_a_demo_account(ctx):
    from dataclasses import replace

    from cityloop.services.passwords import hash_password
    from cityloop.store.models import UserRow

    prod = replace(ctx, settings=ctx.settings.model_copy(update={"env": "production"}))
    create_app(prod)  # the fixture city has no demo account: it starts
    with ctx.uow() as uow:
        row = uow.session.query(UserRow).filter_by(username="leader").one()
        row.password_hash = hash_password(DEMO_PASSWORD)
        uow.commit()
    with pytest.raises(demo_accounts.DemoAccountsLeft) as exc:
        create_app(prod)
    assert exc.value.usernames == ["leader"] and "生产环境" in str(exc.value)
    create_app(ctx)  # development: starts


def test_the_demo_flags_its_accounts_and_production_refuses_them(ctx):
    from dataclasses import replace

    from cityloop.demo.load import DEMO_USERS, build_demo

    build_demo(ctx, appeals=20, reset=True, progress=lambda _: None)
    prod = replace(ctx, settings=ctx.settings.model_copy(update={"env": "production"}))
    with pytest.raises(demo_accounts.DemoAccountsLeft) as exc:
        create_app(prod)
    assert set(exc.value.usernames) == {u for u, _, _ in DEMO_USERS}
    assert {"security", "auditor"} <= set(exc.value.usernames)
