"""Micro-grids (微网格) and their groups: create, import from CSV, list — and who may see them.

Community staff inside their region (admin, supervisors, grid workers) keep the registry; the
leader reads it too. A micro-grid leader with an account (`leader_user_id`) works on their own
micro-grid's groups and topics.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import audit
from cityloop.community.groups.store import ChatGroupRow, MicroGridRow
from cityloop.community.store import EstateRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.store.models import RegionRow
from cityloop.store.prefix import starts_with

STAFF = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER})
READERS = STAFF | {Role.LEADER}
LEADER_KINDS = {"resident": "居民", "worker": "社区工作者"}
CSV_COLUMNS = ("编码", "名称", "网格编码", "小区", "楼栋", "微网格长", "身份")


def is_leader(actor: Actor, mg: MicroGridRow) -> bool:
    return actor.user_id is not None and mg.leader_user_id == actor.user_id


def may_see(actor: Actor, mg: MicroGridRow) -> bool:
    return (actor.role in READERS and access.in_region(actor, mg.grid_code)) or is_leader(actor, mg)


def may_see_full(actor: Actor, mg: MicroGridRow) -> bool:
    """Nicknames and numbers in full: the leader (a member of the group anyway) and the
    staff allowed full personal data in their region."""
    return is_leader(actor, mg) or access.may_see_full(actor, mg.grid_code)


def require_staff(actor: Actor, grid_code: str) -> None:
    if actor.role not in STAFF or not access.in_region(actor, grid_code):
        raise PermissionDenied("只有辖区内的社区工作人员可以维护微网格 only community staff")


def load(s: Session, actor: Actor, micro_grid_id: int) -> MicroGridRow:
    mg = s.get(MicroGridRow, micro_grid_id)
    if mg is None or not may_see(actor, mg):
        raise NotFound(f"micro-grid {micro_grid_id}")
    return mg


# The fields a micro-grid's checks name: the API's, or the import file's columns.
_API_FIELDS = {"编码": "code", "网格编码": "grid_code", "身份": "leader_kind", "小区": "estate"}


def _check(s: Session, where: str, code: str, grid_code: str, estate: str, kind: str) -> int | None:
    """`where` is the import's '第 N 行“' (its fields are the file's columns), or '' for the
    API (its fields are the body's)."""

    def named(column: str) -> str:
        return f"{where}{column}”" if where else _API_FIELDS[column]

    if not code.strip():
        raise InvalidCommand(named("编码"), "missing")
    level = s.execute(select(RegionRow.level).where(RegionRow.code == grid_code)).scalar()
    if level != "grid":
        raise InvalidCommand(named("网格编码"), "unknown_grid", {"code": grid_code})
    if kind not in LEADER_KINDS:
        raise InvalidCommand(named("身份"), "leader_kind")
    if not estate:
        return None
    found = s.execute(
        select(EstateRow.id).where(EstateRow.grid_code == grid_code, EstateRow.name == estate)
    ).scalar()
    if found is None:
        raise InvalidCommand(
            named("小区"), "unknown_estate_in_grid", {"grid": grid_code, "estate": estate}
        )
    return int(found)


def create(
    ctx: CityLoop,
    actor: Actor,
    *,
    code: str,
    name: str,
    grid_code: str,
    estate: str = "",
    buildings: list[str] | None = None,
    leader_name: str,
    leader_kind: str = "resident",
    leader_user_id: int | None = None,
) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        require_staff(actor, grid_code)
        estate_id = _check(s, "", code, grid_code, estate, leader_kind)
        row = MicroGridRow(
            code=code.strip(),
            name=name.strip(),
            grid_code=grid_code,
            estate_id=estate_id,
            buildings=[b.strip() for b in buildings or [] if b.strip()],
            leader_name=leader_name.strip(),
            leader_kind=leader_kind,
            leader_user_id=leader_user_id,
            created_at=ctx.clock.now(),
        )
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            raise InvalidCommand("code", "micro_grid_exists", {"code": code}) from None
        audit(s, actor, "micro_grid_create", f"micro_grid:{row.code}", {"grid": grid_code})
        uow.commit()
        return view(s, actor, row)


def import_csv(ctx: CityLoop, actor: Actor, raw: bytes) -> dict[str, Any]:
    """All or nothing; a bad row is named by its line (the head is line 1) and column."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidCommand("file", "file_encoding")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidCommand("file", "columns_missing", {"columns": missing})
    kinds = {v: k for k, v in LEADER_KINDS.items()}
    with ctx.uow() as uow:
        s = uow.session
        seen: set[str] = set()
        for line, rec in enumerate(reader, start=2):
            where = f"第 {line} 行“"
            code = (rec["编码"] or "").strip()
            grid = (rec["网格编码"] or "").strip()
            kind = kinds.get((rec["身份"] or "").strip(), "?")
            if code in seen:
                raise InvalidCommand(f"{where}编码”", "duplicate_in_file", {"value": code})
            seen.add(code)
            estate_id = _check(s, where, code, grid, (rec["小区"] or "").strip(), kind)
            try:
                require_staff(actor, grid)
            except PermissionDenied:
                raise InvalidCommand(
                    f"{where}网格编码”", "grid_outside_area", {"code": grid}
                ) from None
            s.add(
                MicroGridRow(
                    code=code,
                    name=(rec["名称"] or code).strip(),
                    grid_code=grid,
                    estate_id=estate_id,
                    buildings=[b for b in (rec["楼栋"] or "").replace("，", ",").split(",") if b],
                    leader_name=(rec["微网格长"] or "").strip(),
                    leader_kind=kind,
                    leader_user_id=None,
                    created_at=ctx.clock.now(),
                )
            )
            try:
                s.flush()
            except IntegrityError:
                raise InvalidCommand(f"{where}编码”", "micro_grid_exists", {"code": code}) from None
        audit(s, actor, "micro_grid_import", "micro_grids", {"rows": len(seen)})
        uow.commit()
    return {"imported": len(seen)}


def add_group(
    ctx: CityLoop,
    actor: Actor,
    micro_grid_id: int,
    *,
    platform: str,
    external_id: str,
    name: str,
    member_count: int = 0,
) -> dict[str, Any]:
    if platform not in ("wecom", "export"):
        raise InvalidCommand("platform", "chat_platform")
    with ctx.uow() as uow:
        s = uow.session
        mg = load(s, actor, micro_grid_id)
        require_staff(actor, mg.grid_code)
        row = ChatGroupRow(
            micro_grid_id=mg.id,
            platform=platform,
            external_id=external_id.strip(),
            name=name.strip(),
            member_count=member_count,
            last_message_at=None,
        )
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            raise InvalidCommand("external_id", "chat_group_exists") from None
        audit(s, actor, "chat_group_add", f"chat_group:{row.id}", {"micro_grid": mg.code})
        uow.commit()
        return {"id": row.id, "micro_grid_id": mg.id, "name": row.name, "platform": platform}


def view(s: Session, actor: Actor, mg: MicroGridRow) -> dict[str, Any]:
    groups = s.execute(
        select(func.count(), func.coalesce(func.sum(ChatGroupRow.member_count), 0)).where(
            ChatGroupRow.micro_grid_id == mg.id
        )
    ).one()
    full = may_see_full(actor, mg)
    return {
        "id": mg.id,
        "code": mg.code,
        "name": mg.name,
        "grid_code": mg.grid_code,
        "buildings": mg.buildings,
        "leader_name": mg.leader_name if full else mask_name(mg.leader_name),
        "leader_kind": mg.leader_kind,
        "leader_kind_label": LEADER_KINDS.get(mg.leader_kind, mg.leader_kind),
        "groups": int(groups[0]),
        "members": int(groups[1]),
    }


def visible(s: Session, actor: Actor) -> dict[int, MicroGridRow]:
    """The micro-grids the actor sees, by id: their region's in SQL, then `may_see`."""
    stmt = select(MicroGridRow).order_by(MicroGridRow.code)
    if actor.role in READERS:
        if actor.role in access.SCOPED:
            stmt = stmt.where(starts_with(MicroGridRow.grid_code, actor.region_code or "-"))
    else:  # a resident leading a micro-grid sees their own
        stmt = stmt.where(MicroGridRow.leader_user_id == (actor.user_id or -1))
    return {m.id: m for m in s.execute(stmt).scalars() if may_see(actor, m)}


def list_micro_grids(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        s = uow.session
        return [view(s, actor, m) for m in visible(s, actor).values()]
