"""Separation of duties (三权分立) for account administration.

Three roles share what one superuser would otherwise hold:

- the system administrator (admin) creates accounts and runs them day to day — operational
  roles only, never on the privileged accounts and never on itself;
- the security administrator (security_admin) holds permissions and the security policy: it
  grants and withdraws every role (the privileged ones included), unlocks accounts and resets
  second factors, but creates no account and sets no password;
- the auditor reads and exports the audit trail and does nothing else.

So no single role can create an account, give it rights and read or erase the trail. Nobody
acts on their own account here (their own password goes through the change-password form).
The command line (`cityloop user …`) is the host operator's break-glass and is not limited by
these rules; it is audited as such.
"""

from __future__ import annotations

from enum import StrEnum

from cityloop.domain.statuses import Role

PRIVILEGED = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
ACCOUNT_ADMINS = frozenset({Role.ADMIN, Role.SECURITY_ADMIN})


class AccountOp(StrEnum):
    CREATE = "create"
    EDIT = "edit"  # display name, phone, region, department
    CHANGE_ROLE = "change_role"
    DISABLE = "disable"
    ENABLE = "enable"
    RESET_PASSWORD = "reset_password"
    UNLOCK = "unlock"
    RESET_TOTP = "reset_totp"


_ADMIN_OPS = frozenset(
    {
        AccountOp.CREATE,
        AccountOp.EDIT,
        AccountOp.CHANGE_ROLE,
        AccountOp.DISABLE,
        AccountOp.ENABLE,
        AccountOp.RESET_PASSWORD,
    }
)
_SECURITY_OPS = frozenset(
    {
        AccountOp.EDIT,
        AccountOp.CHANGE_ROLE,
        AccountOp.DISABLE,
        AccountOp.ENABLE,
        AccountOp.UNLOCK,
        AccountOp.RESET_TOTP,
    }
)


def refusal(
    actor_role: Role,
    op: AccountOp,
    *,
    self_target: bool = False,
    target_role: Role | None = None,
    new_role: Role | None = None,
) -> str | None:
    """Why the actor may not do `op` to an account (a stable code), or None when allowed.

    `target_role` is the account's role now (None when creating), `new_role` the role it would
    get (create, change_role)."""
    if self_target:
        return "duties_own_account"
    if actor_role is Role.ADMIN:
        if op not in _ADMIN_OPS:
            return "duties_not_admin_task"
        if target_role in PRIVILEGED or new_role in PRIVILEGED:
            return "duties_privileged_account"
        return None
    if actor_role is Role.SECURITY_ADMIN:
        if op not in _SECURITY_OPS:
            return "duties_not_security_task"
        return None
    return "duties_not_account_admin"


REFUSAL_MESSAGES: dict[str, str] = {
    "duties_own_account": "不能对自己的账号执行此操作 Not on your own account",
    "duties_not_admin_task": "此操作属于安全管理员 This is the security administrator's task",
    "duties_privileged_account": (
        "系统管理员不能创建、修改或授予管理员、安全管理员、审计员账号 "
        "An administrator cannot act on or grant privileged roles"
    ),
    "duties_not_security_task": "此操作属于系统管理员 This is the system administrator's task",
    "duties_not_account_admin": "无权管理账号 Not an account administrator",
}
