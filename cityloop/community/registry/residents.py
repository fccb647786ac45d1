"""以人找房: a resident with their house (masked, or in full with a reason, audited), and
the lists of residents grid work asks for (by care tag, name, age, household, the elderly
living alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select

from cityloop.community import access
from cityloop.community.common import audit
from cityloop.community.crypto import cipher_for
from cityloop.community.registry.identity import born_on_or_before
from cityloop.community.registry.records import (
    Viewer,
    care_tags_of,
    load_resident,
    place_of,
    read_guard,
    scoped,
)
from cityloop.community.store import CareTagRow, HouseholdRow, ResidentRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop


def get_resident(
    ctx: CityLoop, actor: Actor, resident_id: int, full: bool = False, reason: str = ""
) -> dict[str, Any]:
    """A resident with their house (以人找房). `full` shows ID number and phone in clear, only to
    roles that need it inside their jurisdiction, with a reason; every such view is audited."""
    read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        r = load_resident(s, actor, resident_id)
        if full:
            _may_reveal(actor, r.grid_code, reason)
            audit(s, actor, "community.reveal", f"resident:{r.id}", {"reason": reason.strip()})
        place = None
        household = s.get(HouseholdRow, r.household_id) if r.household_id else None
        if household is not None:
            place = {**place_of(s, household.house_id), "household_code": household.code}
        view = Viewer(actor, cipher_for(ctx.settings), full).resident(
            r, care_tags_of(s, [r.id])[r.id], place, ctx.now_local().date()
        )
        if full:
            uow.commit()
        return view


def _may_reveal(actor: Actor, grid: str, reason: str) -> None:
    if not access.may_see_full(actor, grid):
        raise PermissionDenied("无权查看完整个人信息 full personal data is not for this role")
    if len(reason.strip()) < 2:
        raise InvalidCommand("reason", "reason_full_data")


@dataclass
class ResidentFilters:
    region: str | None = None
    tag: str | None = None
    name: str | None = None
    min_age: int | None = None
    living_alone: bool | None = None
    household_id: int | None = None
    page: int = 1
    size: int = 50


def _member_count() -> Any:
    return (
        select(func.count(ResidentRow.id))
        .where(ResidentRow.household_id == HouseholdRow.id, ResidentRow.active.is_(True))
        .correlate(HouseholdRow)
        .scalar_subquery()
    )


def list_residents(ctx: CityLoop, actor: Actor, f: ResidentFilters) -> dict[str, Any]:
    read_guard(actor)
    today = ctx.now_local().date()
    stmt = select(ResidentRow).where(ResidentRow.active.is_(True))
    stmt = scoped(stmt, ResidentRow.grid_code, actor, f.region)
    if f.tag:
        stmt = stmt.where(
            exists().where(CareTagRow.resident_id == ResidentRow.id, CareTagRow.tag == f.tag)
        )
    if f.name:
        stmt = stmt.where(ResidentRow.name.contains(f.name, autoescape=True))
    if f.household_id:
        stmt = stmt.where(ResidentRow.household_id == f.household_id)
    if f.min_age is not None:
        stmt = stmt.where(ResidentRow.birth_date <= born_on_or_before(today, f.min_age))
    if f.living_alone:
        alone = select(HouseholdRow.id).where(_member_count() == 1).scalar_subquery()
        stmt = stmt.where(ResidentRow.household_id.in_(alone))
    with ctx.uow() as uow:
        s = uow.session
        total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = list(
            s.execute(
                stmt.order_by(ResidentRow.id).offset((f.page - 1) * f.size).limit(f.size)
            ).scalars()
        )
        tags = care_tags_of(s, [r.id for r in rows])
        viewer = Viewer(actor, cipher_for(ctx.settings))
        items = [viewer.resident(r, tags[r.id], None, today) for r in rows]
    return {"total": total, "page": f.page, "size": f.size, "items": items}


def elderly_alone(ctx: CityLoop, actor: Actor, region: str | None, age: int = 80) -> dict[str, Any]:
    """Residents aged ≥ `age` who live alone (their household has no other active member)."""
    return list_residents(
        ctx, actor, ResidentFilters(region=region, min_age=age, living_alone=True, size=500)
    )
