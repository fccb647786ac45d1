"""The role × action matrix and jurisdiction scoping."""

from __future__ import annotations

import pytest

from cityloop.domain.jurisdiction import (
    ROLE_ACTIONS,
    OrderScope,
    can_view,
    may,
    may_reveal,
    sees_personal_data,
)
from cityloop.domain.orders import TRANSITIONS, Actor
from cityloop.domain.statuses import Action, Role

A = Action
SCOPE = OrderScope(
    region_codes=frozenset({"990100", "990102", "990102001", "990102001001", "990102001001001"}),
    departments=frozenset({"D-CG", "D-HX"}),
    lead_department="D-CG",
    co_departments=frozenset({"D-HX"}),
    reporter_user_ids=frozenset({42}),
)

ADMIN = Actor(1, "a", Role.ADMIN)
DISPATCHER = Actor(2, "d", Role.DISPATCHER)
OPERATOR = Actor(3, "o", Role.OPERATOR)
LEADER = Actor(4, "l", Role.LEADER)
LEAD_HANDLER = Actor(5, "cg", Role.DEPARTMENT_HANDLER, department_code="D-CG")
CO_HANDLER = Actor(6, "hx", Role.DEPARTMENT_HANDLER, department_code="D-HX")
OTHER_HANDLER = Actor(7, "sw", Role.DEPARTMENT_HANDLER, department_code="D-SW")
SUP_IN = Actor(8, "s", Role.SUPERVISOR, region_code="990102001")
SUP_DISTRICT = Actor(9, "s", Role.SUPERVISOR, region_code="990102")
SUP_OUT = Actor(10, "s", Role.SUPERVISOR, region_code="990102002")
GRID_IN = Actor(11, "g", Role.GRID_WORKER, region_code="990102001001001")
GRID_OUT = Actor(12, "g", Role.GRID_WORKER, region_code="990102001001002")
OWNER = Actor(42, "r", Role.RESIDENT)
STRANGER = Actor(43, "r", Role.RESIDENT)

# (actor, actions allowed on SCOPE) — every other action must be denied.
EXPECTED: list[tuple[Actor, set[Action]]] = [
    # 就地处置 is the reporting grid worker's own step: not even the administrator takes it.
    (ADMIN, set(TRANSITIONS) - {A.HANDLE_ON_SPOT}),
    (
        DISPATCHER,
        {
            A.SUBMIT,
            A.DISPATCH,
            A.CANCEL,
            A.MERGE,
            A.APPROVE_EXTENSION,
            A.DENY_EXTENSION,
            A.URGE,
            A.REJECT_REPLY,
            A.CLOSE,
            A.COMMENT,
        },
    ),
    (OPERATOR, {A.RATE, A.COMMENT}),
    (LEADER, {A.URGE, A.COMMENT}),
    (LEAD_HANDLER, {A.ACCEPT, A.RETURN, A.START, A.REQUEST_EXTENSION, A.REPLY, A.COMMENT}),
    (CO_HANDLER, {A.CO_REPLY, A.COMMENT}),
    (OTHER_HANDLER, set()),
    (SUP_IN, {A.URGE, A.APPROVE_EXTENSION, A.DENY_EXTENSION, A.REJECT_REPLY, A.CLOSE, A.COMMENT}),
    (
        SUP_DISTRICT,
        {A.URGE, A.APPROVE_EXTENSION, A.DENY_EXTENSION, A.REJECT_REPLY, A.CLOSE, A.COMMENT},
    ),
    (SUP_OUT, set()),
    (GRID_IN, {A.COMMENT, A.HANDLE_ON_SPOT}),
    (GRID_OUT, set()),
    (OWNER, {A.RATE, A.COMMENT}),
    (STRANGER, set()),
]


@pytest.mark.parametrize(("actor", "allowed"), EXPECTED, ids=lambda v: getattr(v, "name", ""))
def test_role_action_matrix(actor: Actor, allowed: set[Action]) -> None:
    for action in TRANSITIONS:
        assert may(actor, action, SCOPE) == (action in allowed), (actor.role, action)


def test_visibility() -> None:
    visible = {
        ADMIN,
        DISPATCHER,
        OPERATOR,
        LEADER,
        LEAD_HANDLER,
        CO_HANDLER,
        SUP_IN,
        SUP_DISTRICT,
        GRID_IN,
        OWNER,
    }
    for actor, _ in EXPECTED:
        assert can_view(actor, SCOPE) == (actor in visible), actor


def test_unlocated_order_is_seen_city_wide_and_by_its_departments_only() -> None:
    scope = OrderScope(departments=frozenset({"D-CG"}), lead_department="D-CG")
    assert can_view(DISPATCHER, scope) and can_view(LEAD_HANDLER, scope)
    assert not can_view(SUP_IN, scope) and not can_view(GRID_IN, scope)


def test_personal_data_access() -> None:
    for actor in (ADMIN, DISPATCHER, OPERATOR, OWNER):
        assert sees_personal_data(actor, SCOPE)
    for actor in (LEADER, LEAD_HANDLER, SUP_IN, GRID_IN):
        assert not sees_personal_data(actor, SCOPE)
    assert may_reveal(LEAD_HANDLER, SCOPE) and may_reveal(SUP_IN, SCOPE)
    assert not may_reveal(LEADER, SCOPE) and not may_reveal(SUP_OUT, SCOPE)


def test_every_role_is_in_the_matrix() -> None:
    assert set(ROLE_ACTIONS) == set(Role)
