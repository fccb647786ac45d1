"""Who may see and do what (辖区与权限): the role × action matrix and jurisdiction scoping.

A user sees and acts only inside their jurisdiction (supervisor, grid worker), their department
(department handler) or their own appeals (resident); city-wide roles see the whole city.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cityloop.domain.orders import TRANSITIONS, Actor
from cityloop.domain.statuses import Action, Role

A = Action

CITY_WIDE = frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR, Role.LEADER})
# Roles whose jurisdiction is a region (their grid, street or district).
REGION_SCOPED = frozenset({Role.SUPERVISOR, Role.GRID_WORKER})

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    # 就地处置 is the reporting grid worker's own step, taken at intake (services/on_spot).
    Role.ADMIN: frozenset(TRANSITIONS) - {A.HANDLE_ON_SPOT},
    Role.DISPATCHER: frozenset(
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
        }
    ),
    # Operators call residents back (回访) and record their rating.
    Role.OPERATOR: frozenset({A.RATE, A.COMMENT}),
    Role.DEPARTMENT_HANDLER: frozenset(
        {A.ACCEPT, A.RETURN, A.START, A.REQUEST_EXTENSION, A.REPLY, A.CO_REPLY, A.COMMENT}
    ),
    Role.GRID_WORKER: frozenset({A.COMMENT, A.HANDLE_ON_SPOT}),
    Role.SUPERVISOR: frozenset(
        {A.URGE, A.APPROVE_EXTENSION, A.DENY_EXTENSION, A.REJECT_REPLY, A.CLOSE, A.COMMENT}
    ),
    Role.LEADER: frozenset({A.URGE, A.COMMENT}),
    Role.RESIDENT: frozenset({A.RATE, A.COMMENT}),
    # The security administrator and the auditor work on accounts and on the audit trail,
    # never on work orders: they see none and act on none (三权分立).
    Role.SECURITY_ADMIN: frozenset(),
    Role.AUDITOR: frozenset(),
}

# Actions only the lead department's handler takes.
LEAD_ONLY = frozenset({A.ACCEPT, A.RETURN, A.START, A.REQUEST_EXTENSION, A.REPLY})

# Roles that see residents' personal data unmasked by default (they call residents back).
SEES_PERSONAL_DATA = frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR})
# Roles that may unmask on purpose (an audited action), inside what they can see.
MAY_REVEAL = frozenset({Role.DEPARTMENT_HANDLER, Role.SUPERVISOR, Role.GRID_WORKER})


@dataclass(frozen=True)
class OrderScope:
    """Where an order is and who holds it: what jurisdiction checks look at."""

    region_codes: frozenset[str] = frozenset()  # the order's grid and every region above it
    departments: frozenset[str] = frozenset()  # departments assigned now or before
    lead_department: str | None = None
    co_departments: frozenset[str] = frozenset()
    reporter_user_ids: frozenset[int] = field(default_factory=frozenset)


def can_view(actor: Actor, scope: OrderScope) -> bool:
    role = actor.role
    if role in CITY_WIDE:
        return True
    if role is Role.RESIDENT:
        return actor.user_id is not None and actor.user_id in scope.reporter_user_ids
    if role is Role.DEPARTMENT_HANDLER:
        return actor.department_code is not None and actor.department_code in scope.departments
    if role in REGION_SCOPED:
        return actor.region_code is not None and actor.region_code in scope.region_codes
    return False


def may(actor: Actor, action: Action, scope: OrderScope) -> bool:
    """True when the actor's role allows the action and the order is theirs to act on."""
    if action not in ROLE_ACTIONS.get(actor.role, frozenset()):
        return False
    if not can_view(actor, scope):
        return False
    if actor.role is Role.DEPARTMENT_HANDLER:
        if action in LEAD_ONLY:
            return actor.department_code == scope.lead_department
        if action is A.CO_REPLY:
            return actor.department_code in scope.co_departments
    return True


def sees_personal_data(actor: Actor, scope: OrderScope) -> bool:
    if actor.role in SEES_PERSONAL_DATA:
        return True
    return actor.role is Role.RESIDENT and can_view(actor, scope)


def may_reveal(actor: Actor, scope: OrderScope) -> bool:
    return actor.role in MAY_REVEAL and can_view(actor, scope)
