"""Bulk account import from CSV or Excel (批量导入账号): the whole file is checked first and one
problem imports nothing; every problem is named by line and column, in Chinese and English.

Columns: username, display_name, role, region_code, department_code, phone, password. Only the
first three are required; a row without a password gets a temporary one (answered once), and
every imported account changes its password at the first login.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from cityloop.domain.duties import REFUSAL_MESSAGES, AccountOp, refusal
from cityloop.domain.import_problems import ImportProblem, ImportRejected, split_bilingual
from cityloop.domain.orders import Actor
from cityloop.domain.passwords import violations
from cityloop.domain.statuses import ROLE_LABELS, Role
from cityloop.importers import Row
from cityloop.services.context import CityLoop
from cityloop.services.passwords import common_passwords, policy_of
from cityloop.services.users import UserInput, create_user, temporary_password
from cityloop.store.models import UserRow

COLUMNS = ["username", "display_name", "role"]
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MAX_ROWS = 5000


def _row_problems(
    ctx: CityLoop, line: int, row: dict[str, str], actor: Actor | None, seen: dict[str, int]
) -> list[ImportProblem]:
    out: list[ImportProblem] = []
    username = row.get("username", "").strip()
    if not _USERNAME.match(username):
        out.append(ImportProblem.of(line, "username", "username_format", value=username))
    elif username in seen:
        out.append(
            ImportProblem.of(
                line, "username", "duplicate_line", value=username, first=seen[username]
            )
        )
    else:
        seen[username] = line
    if not row.get("display_name", "").strip():
        out.append(ImportProblem.of(line, "display_name", "required"))
    elif len(row["display_name"].strip()) > 80:
        out.append(ImportProblem.of(line, "display_name", "too_long", max=80))
    try:
        role: Role | None = Role(row.get("role", "").strip())
    except ValueError:
        role = None
        out.append(
            ImportProblem.of(
                line,
                "role",
                "not_one_of",
                value=row.get("role", ""),
                what="role",
                choices=[r.value for r in ROLE_LABELS],
            )
        )
    ref = ctx.reference.get()
    region = row.get("region_code", "").strip() or None
    dept = row.get("department_code", "").strip() or None
    if role is not None:
        if actor is not None:
            code = refusal(actor.role, AccountOp.CREATE, new_role=role)
            if code is not None:
                zh, en = split_bilingual(REFUSAL_MESSAGES[code])
                out.append(ImportProblem.of(line, "role", "role_refused", detail=zh, detail_en=en))
        if role in (Role.SUPERVISOR, Role.GRID_WORKER) and region not in ref.regions:
            out.append(ImportProblem.of(line, "region_code", "region_needed", value=region or ""))
        if role is Role.DEPARTMENT_HANDLER and dept not in ref.departments:
            out.append(ImportProblem.of(line, "department_code", "department_needed"))
    phone = row.get("phone", "").strip()
    if phone and not re.fullmatch(r"[0-9+\- ]{5,20}", phone):
        out.append(ImportProblem.of(line, "phone", "phone_format", value=phone))
    password = row.get("password", "")
    if password:
        policy = policy_of(ctx.settings)
        for v in violations(password, username, policy, common_passwords()):
            zh, en = split_bilingual(v.message)
            out.append(
                ImportProblem.of(
                    line, "password", "password_policy", detail=zh, detail_en=en, rule=v.code
                )
            )
    return out


def import_users(
    ctx: CityLoop, rows: list[Row], actor: Actor | None, source: str | None = None
) -> list[dict[str, Any]]:
    """Check every row, then create every account; the answer lists each with its temporary
    password (shown this once)."""
    if len(rows) > MAX_ROWS:
        raise ImportRejected(
            [ImportProblem.of(0, "file", "file_too_many_rows", max=MAX_ROWS, count=len(rows))],
            "line",
        )
    seen: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for line, row in rows:
        problems.extend(_row_problems(ctx, line, row, actor, seen))
    if seen:
        with ctx.uow() as uow:
            taken = set(
                uow.session.execute(
                    select(UserRow.username).where(UserRow.username.in_(list(seen)))
                ).scalars()
            )
        problems.extend(
            ImportProblem.of(seen[name], "username", "username_taken", value=name)
            for name in sorted(taken)
        )
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: (p.row, p.field)), "line")
    created: list[dict[str, Any]] = []
    for _, row in rows:
        password = row.get("password", "") or temporary_password()
        user = create_user(
            ctx,
            UserInput(
                username=row["username"].strip(),
                password=password,
                display_name=row["display_name"].strip(),
                role=Role(row["role"].strip()),
                region_code=row.get("region_code", "").strip() or None,
                department_code=row.get("department_code", "").strip() or None,
                phone=row.get("phone", "").strip() or None,
            ),
            actor,
            source,
        )
        created.append({**user, "temporary_password": None if row.get("password") else password})
    return created
