"""What every registry use case reads through: the masked view of a resident (full only
when asked for and allowed), a house's place and address, care tags, the read guard and the
jurisdiction scope of a query, and the vocabulary of residence and house usage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound
from cityloop.community.crypto import FieldCipher
from cityloop.community.store import (
    BuildingRow,
    CareTagRow,
    EstateRow,
    HouseRow,
    ResidentRow,
    UnitRow,
)
from cityloop.domain.errors import PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_id_number, mask_name, mask_phone
from cityloop.store.prefix import starts_with

RESIDENCE = {"registered": "户籍", "resident": "常住", "floating": "流动"}
USAGE = {"owner_occupied": "自住", "rented": "出租", "vacant": "空置", "business": "经营"}


@dataclass
class Viewer:
    actor: Actor
    cipher: FieldCipher
    full: bool = False

    def resident(
        self,
        r: ResidentRow,
        tags: list[CareTagRow] | None = None,
        place: dict[str, Any] | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        see_name = access.may_see_full(self.actor, r.grid_code)
        idn = self.cipher.decrypt(r.id_number_enc, "id_number")
        phone = self.cipher.decrypt(r.phone_enc, "phone")
        return {
            "id": r.id,
            "name": r.name if see_name or self.full else mask_name(r.name),
            "gender": r.gender,
            "birth_year": r.birth_date.year if r.birth_date else None,
            "age": _age(r.birth_date, today) if r.birth_date and today else None,
            "id_number": idn if self.full else mask_id_number(idn),
            "phone": phone if self.full else mask_phone(phone),
            "masked": not self.full,
            "household_id": r.household_id,
            "relation": r.relation,
            "residence": r.residence,
            "party_member": r.party_member,
            "grid_code": r.grid_code,
            "active": r.active,
            "version": r.version,
            "linked_user": r.user_id is not None,
            "care_tags": [
                {"tag": t.tag, "set_by": t.set_by_name, "set_at": t.set_at, "note": t.note}
                for t in (tags or [])
            ],
            "house": place,
        }


def _age(birth: date, today: date | None) -> int | None:
    if today is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def place_of(s: Session, house_id: int) -> dict[str, Any]:
    found = s.execute(
        select(HouseRow, UnitRow, BuildingRow, EstateRow)
        .join(UnitRow, UnitRow.id == HouseRow.unit_id)
        .join(BuildingRow, BuildingRow.id == HouseRow.building_id)
        .join(EstateRow, EstateRow.id == HouseRow.estate_id)
        .where(HouseRow.id == house_id)
    ).one()
    house, unit, building, estate = found
    return {
        "house_id": house.id,
        "estate": estate.name,
        "estate_id": estate.id,
        "building": building.name,
        "building_id": building.id,
        "unit": unit.name,
        "room": house.room,
        "usage": house.usage,
        "grid_code": house.grid_code,
        "address": f"{estate.name}{building.name}{unit.name}{house.room}",
    }


def read_guard(actor: Actor) -> None:
    if not access.may_read_registry(actor):
        raise PermissionDenied("无权查看社区数据库 community database is for staff")


def load_resident(s: Session, actor: Actor, resident_id: int) -> ResidentRow:
    row = s.get(ResidentRow, resident_id)
    if row is None or not access.in_region(actor, row.grid_code):
        raise NotFound(f"resident {resident_id}")
    return row


def care_tags_of(s: Session, ids: Sequence[int]) -> dict[int, list[CareTagRow]]:
    out: dict[int, list[CareTagRow]] = defaultdict(list)
    if ids:
        for t in s.execute(
            select(CareTagRow).where(CareTagRow.resident_id.in_(ids)).order_by(CareTagRow.id)
        ).scalars():
            out[t.resident_id].append(t)
    return out


def scoped(stmt: Any, column: Any, actor: Actor, region: str | None) -> Any:
    prefix = access.region_prefix(actor)
    if prefix is not None:
        stmt = stmt.where(starts_with(column, prefix))
    if region:
        stmt = stmt.where(starts_with(column, region))
    return stmt
