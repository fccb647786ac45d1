"""The password policy: length, character classes, the common list, the username, history and
expiry — each failure named with a code and a Chinese message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cityloop.domain.passwords import PasswordPolicy, violations
from cityloop.domain.statuses import Role
from cityloop.services.passwords import common_passwords
from cityloop.services.users import PasswordRejected, UserInput, create_user
from tests.identity.conftest import STRONG, bearer, login

POLICY = PasswordPolicy()


def codes(password: str, username: str = "wang") -> list[str]:
    return [v.code for v in violations(password, username, POLICY, common_passwords())]


def test_the_weak_passwords_of_the_review_are_refused():
    assert codes("12345678") == [
        "password_too_short",
        "password_too_few_classes",
        "password_common",
    ]
    assert codes("password") == [
        "password_too_short",
        "password_too_few_classes",
        "password_common",
    ]
    assert codes("cityloop-demo") == ["password_too_few_classes"]  # the demo password fails


def test_each_rule_names_what_is_missing_in_chinese():
    [v] = violations("abcdefghij", "x", POLICY, common_passwords())
    assert v.code == "password_too_few_classes"
    assert "至少 3 类" in v.message and "大写字母" in v.message and "数字" in v.message
    assert v.params == {"min_classes": 3, "classes": 1, "missing": ["upper", "digit", "symbol"]}
    short = violations("Ab1!", "x", POLICY, common_passwords())[0]
    assert short.code == "password_too_short" and "至少需要 10 个字符" in short.message


def test_common_passwords_with_decorations_and_the_username_are_refused():
    assert "password_common" in codes("Password@123")
    assert "password_common" in codes("Woaini1314!")
    assert "password_common" in codes("P@ssw0rd2024")
    assert "password_common" in codes("1qaz@WSX!@#")
    assert codes("Wang-Lamp-2026", username="wang") == ["password_contains_username"]
    assert codes(STRONG) == []
    assert len(common_passwords()) > 5000


def test_the_last_five_passwords_cannot_come_back(client, ctx, users):
    create_user(
        ctx,
        UserInput("zhao", "First-Pass-001", "赵", Role.OPERATOR, must_change_password=False),
    )
    h = bearer(login(client, "zhao", "First-Pass-001"))
    chain = ["First-Pass-001"] + [f"Harbour-Lamp-00{i}" for i in range(2, 8)]
    for old, new in zip(chain, chain[1:], strict=False):
        r = client.post(
            "/api/v1/auth/password", json={"current_password": old, "new_password": new}, headers=h
        )
        assert r.status_code == 204, r.text
    current = chain[-1]
    # Among the last five (the current one included): refused, with the code.
    r = client.post(
        "/api/v1/auth/password",
        json={"current_password": current, "new_password": chain[-4]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "password_reused"
    assert "最近 5 次" in r.json()["errors"][0]["message"]
    # Older than five: allowed again.
    r = client.post(
        "/api/v1/auth/password",
        json={"current_password": current, "new_password": chain[0]},
        headers=h,
    )
    assert r.status_code == 204


def test_creating_an_account_applies_the_policy(client, users):
    r = client.post(
        "/api/v1/users",
        json={"username": "li", "password": "12345678", "display_name": "李", "role": "operator"},
        headers=users.headers("admin"),
    )
    assert r.status_code == 422 and r.json()["code"] == "password_policy"
    assert {e["code"] for e in r.json()["errors"]} >= {"password_too_short", "password_common"}
    assert all(e["field"] == "password" for e in r.json()["errors"])


def test_an_expired_password_must_be_changed(client, ctx, clock, worker):
    create_user(
        ctx, UserInput("qian", "First-Pass-001", "钱", Role.OPERATOR, must_change_password=False)
    )
    aged = worker(password_max_age_days=90)
    assert login(aged, "qian", "First-Pass-001").json()["restriction"] is None
    clock.set(clock.now() + timedelta(days=91))
    h = bearer(login(aged, "qian", "First-Pass-001"))
    assert aged.get("/api/v1/work-orders", headers=h).json()["code"] == "password_change_required"


def test_the_service_refuses_a_weak_password_without_creating_anything(ctx):
    with pytest.raises(PasswordRejected) as exc:
        create_user(ctx, UserInput("weak", "password", "弱", Role.OPERATOR))
    assert "密码至少需要" in str(exc.value)
    from cityloop.services.users import list_users

    assert "weak" not in {u["username"] for u in list_users(ctx)["items"]}
