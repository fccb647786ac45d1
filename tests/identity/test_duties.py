"""Separation of duties (三权分立): no single role creates accounts, grants itself rights and
reads or erases the audit trail."""

from __future__ import annotations

import pytest

from cityloop.domain.duties import AccountOp, refusal
from cityloop.domain.statuses import Role
from cityloop.services.users import UserInput, create_user
from tests.identity.conftest import bearer, login

R = Role


@pytest.mark.parametrize(
    ("actor", "op", "target", "new", "code"),
    [
        (R.ADMIN, AccountOp.CREATE, None, R.OPERATOR, None),
        (R.ADMIN, AccountOp.CREATE, None, R.SECURITY_ADMIN, "duties_privileged_account"),
        (R.ADMIN, AccountOp.CREATE, None, R.AUDITOR, "duties_privileged_account"),
        (R.ADMIN, AccountOp.CREATE, None, R.ADMIN, "duties_privileged_account"),
        (R.ADMIN, AccountOp.CHANGE_ROLE, R.OPERATOR, R.AUDITOR, "duties_privileged_account"),
        (R.ADMIN, AccountOp.DISABLE, R.AUDITOR, None, "duties_privileged_account"),
        (R.ADMIN, AccountOp.RESET_TOTP, R.OPERATOR, None, "duties_not_admin_task"),
        (R.ADMIN, AccountOp.UNLOCK, R.OPERATOR, None, "duties_not_admin_task"),
        (R.SECURITY_ADMIN, AccountOp.CREATE, None, R.OPERATOR, "duties_not_security_task"),
        (R.SECURITY_ADMIN, AccountOp.RESET_PASSWORD, R.OPERATOR, None, "duties_not_security_task"),
        (R.SECURITY_ADMIN, AccountOp.CHANGE_ROLE, R.OPERATOR, R.AUDITOR, None),
        (R.AUDITOR, AccountOp.CREATE, None, R.OPERATOR, "duties_not_account_admin"),
        (R.DISPATCHER, AccountOp.DISABLE, R.OPERATOR, None, "duties_not_account_admin"),
    ],
)
def test_the_duties_matrix(actor, op, target, new, code):
    assert refusal(actor, op, target_role=target, new_role=new) == code


def test_nobody_acts_on_their_own_account():
    for role in (R.ADMIN, R.SECURITY_ADMIN):
        for op in AccountOp:
            assert refusal(role, op, self_target=True) == "duties_own_account"


@pytest.fixture
def officers(ctx, client):
    for username, role in (("sec", R.SECURITY_ADMIN), ("aud", R.AUDITOR)):
        create_user(
            ctx,
            UserInput(username, "Harbour-Lamp-2026", username, role, must_change_password=False),
        )
    return {u: bearer(login(client, u, "Harbour-Lamp-2026")) for u in ("sec", "aud")}


def test_through_the_api(client, users, officers):
    admin = users.headers("admin")
    me = users.id("admin")
    r = client.patch(f"/api/v1/users/{me}", json={"role": "security_admin"}, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "duties_own_account"
    op = users.id("operator")
    r = client.patch(f"/api/v1/users/{op}", json={"role": "auditor"}, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "duties_privileged_account"
    r = client.post(
        "/api/v1/users",
        json={
            "username": "x2",
            "password": "Harbour-Lamp-2026",
            "display_name": "x",
            "role": "admin",
        },
        headers=admin,
    )
    assert r.status_code == 403
    # The security administrator grants the role, but creates nobody and resets no password.
    r = client.patch(f"/api/v1/users/{op}", json={"role": "auditor"}, headers=officers["sec"])
    assert r.status_code == 200 and r.json()["role"] == "auditor"
    r = client.post(
        "/api/v1/users",
        json={
            "username": "x3",
            "password": "Harbour-Lamp-2026",
            "display_name": "x",
            "role": "operator",
        },
        headers=officers["sec"],
    )
    assert r.status_code == 403
    assert (
        client.post(f"/api/v1/users/{op}/reset-password", headers=officers["sec"]).status_code
        == 403
    )
    # The auditor manages nothing and sees no work orders.
    assert client.get("/api/v1/users", headers=officers["aud"]).status_code == 403
    assert client.get("/api/v1/work-orders", headers=officers["aud"]).json()["total"] == 0
    assert client.get("/api/v1/work-orders", headers=officers["sec"]).json()["total"] == 0


def test_user_list_searches_filters_and_pages(client, users):
    admin = users.headers("admin")
    page = client.get("/api/v1/users", params={"page_size": 5}, headers=admin).json()
    assert page["total"] == 12 and len(page["items"]) == 5
    second = client.get("/api/v1/users", params={"page_size": 5, "page": 3}, headers=admin).json()
    assert len(second["items"]) == 2
    found = client.get("/api/v1/users", params={"q": "sup_"}, headers=admin).json()
    assert {u["username"] for u in found["items"]} == {"sup_west", "sup_east"}
    assert client.get("/api/v1/users", params={"q": "%"}, headers=admin).json()["total"] == 0
    handlers = client.get("/api/v1/users", params={"role": "department_handler"}, headers=admin)
    assert {u["username"] for u in handlers.json()["items"]} == {"cg", "hx", "sw"}
    client.post(f"/api/v1/users/{users.id('sw')}/disable", headers=admin)
    off = client.get("/api/v1/users", params={"active": "false"}, headers=admin).json()
    assert [u["username"] for u in off["items"]] == ["sw"]


def test_user_search_finds_role_and_department_by_code_or_name(client, users):
    admin = users.headers("admin")

    def names(q: str) -> set[str]:
        r = client.get("/api/v1/users", params={"q": q}, headers=admin)
        assert r.status_code == 200
        return {u["username"] for u in r.json()["items"]}

    assert names("督办") == {"sup_west", "sup_east"}  # the role's Chinese label
    assert names("grid_worker") == {"grid_west"}  # the role's value
    assert names("水务") == {"sw"}  # the department's name (市水务局)
    assert names("D-HX") == {"hx"}  # the department's code
    assert names("990102002") == {"sup_east"}  # the region code
    assert names("不存在的部门") == set()
