"""Importing the registry (导入): residents with their houses, and street shops (沿街商铺)
with their buildings, from rows read by `sheets`. All or nothing: every problem names the
line and the field, and nothing is written unless there is none. Estates, buildings, units,
houses and households are found or made on the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import audit, require
from cityloop.community.config import load as load_config
from cityloop.community.crypto import FieldCipher, cipher_for
from cityloop.community.registry.identity import birth_date_of, gender_of, id_problem, phone_problem
from cityloop.community.registry.records import RESIDENCE
from cityloop.community.registry.sheets import Row
from cityloop.community.store import (
    BuildingRow,
    CareTagRow,
    EstateRow,
    HouseholdRow,
    HouseRow,
    ResidentRow,
    ShopRow,
    UnitRow,
)
from cityloop.domain.orders import Actor
from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow, UserRow, utcnow

PEOPLE_COLUMNS = ["grid_code", "estate", "building", "unit", "room", "name"]
OPTIONAL_PEOPLE = [
    "household_code",
    "id_number",
    "phone",
    "birth_date",
    "gender",
    "relation",
    "residence",
    "party_member",
    "care_tags",
    "username",
]
SHOP_COLUMNS = ["grid_code", "estate", "building", "name"]


_TRUE = {"1", "true", "yes", "y", "是", "党员"}


# -- hierarchy -----------------------------------------------------------------------------
@dataclass
class _Places:
    session: Session

    def estate(self, grid: str, name: str) -> EstateRow:
        row = self.session.execute(
            select(EstateRow).where(EstateRow.grid_code == grid, EstateRow.name == name)
        ).scalar_one_or_none()
        if row is None:
            row = EstateRow(name=name, grid_code=grid, address="")
            self.session.add(row)
            self.session.flush()
        return row

    def building(self, estate: EstateRow, name: str) -> BuildingRow:
        row = self.session.execute(
            select(BuildingRow).where(BuildingRow.estate_id == estate.id, BuildingRow.name == name)
        ).scalar_one_or_none()
        if row is None:
            row = BuildingRow(estate_id=estate.id, name=name, grid_code=estate.grid_code)
            self.session.add(row)
            self.session.flush()
        return row

    def unit(self, building: BuildingRow, name: str) -> UnitRow:
        row = self.session.execute(
            select(UnitRow).where(UnitRow.building_id == building.id, UnitRow.name == name)
        ).scalar_one_or_none()
        if row is None:
            row = UnitRow(building_id=building.id, name=name)
            self.session.add(row)
            self.session.flush()
        return row

    def house(self, building: BuildingRow, unit: UnitRow, room: str) -> HouseRow:
        row = self.session.execute(
            select(HouseRow).where(HouseRow.unit_id == unit.id, HouseRow.room == room)
        ).scalar_one_or_none()
        if row is None:
            row = HouseRow(
                unit_id=unit.id,
                building_id=building.id,
                estate_id=building.estate_id,
                grid_code=building.grid_code,
                room=room,
                usage="owner_occupied",
                version=1,
            )
            self.session.add(row)
            self.session.flush()
        return row

    def household(self, house: HouseRow, code: str) -> HouseholdRow:
        if code:
            row = self.session.execute(
                select(HouseholdRow).where(HouseholdRow.code == code)
            ).scalar_one_or_none()
        else:
            row = self.session.execute(
                select(HouseholdRow)
                .where(HouseholdRow.house_id == house.id)
                .order_by(HouseholdRow.id)
            ).scalar()
        if row is None:
            row = HouseholdRow(
                code=code or f"H{house.grid_code}-{house.id}",
                house_id=house.id,
                grid_code=house.grid_code,
                created_at=utcnow(),
            )
            self.session.add(row)
            self.session.flush()
        return row


def _grids(session: Session) -> set[str]:
    return set(session.execute(select(RegionRow.code).where(RegionRow.level == "grid")).scalars())


# -- import --------------------------------------------------------------------------------
def import_people(ctx: CityLoop, actor: Actor, rows: Sequence[Row]) -> dict[str, int]:
    """Residents with their houses (CSV/Excel rows). All or nothing: every problem names the
    line and the field, and nothing is written unless there is none."""
    require(actor, access.REGISTRY_EDITORS, "import residents")
    cfg = load_config(ctx.settings)
    cipher = cipher_for(ctx.settings)
    problems: list[ImportProblem] = []
    if rows:
        missing = [c for c in PEOPLE_COLUMNS if c not in rows[0][1]]
        for c in missing:
            problems.append(
                ImportProblem.of(1, c, "column_missing", column=c, found=list(rows[0][1]))
            )
        if problems:
            raise ImportRejected(problems, "line")
    with ctx.uow() as uow:
        s = uow.session
        grids = _grids(s)
        users = {u.username: u.id for u in s.execute(select(UserRow)).scalars()}
        seen_ids: dict[str, int] = {}
        seen_users: dict[str, int] = {}
        parsed: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        for line, v in rows:
            p = _check_person(line, v, grids, cfg.care_tags, users, problems, cipher)
            for f in PEOPLE_COLUMNS:
                if not v.get(f, "").strip() and f != "unit":
                    problems.append(ImportProblem.of(line, f, "required"))
            grid = v.get("grid_code", "")
            if grid and grid in grids and not access.may_edit(actor, grid):
                problems.append(ImportProblem.of(line, "grid_code", "outside_jurisdiction"))
            digest = p.get("id_hash")
            if digest:
                if digest in seen_ids:
                    problems.append(
                        ImportProblem.of(line, "id_number", "id_repeats", first=seen_ids[digest])
                    )
                seen_ids[digest] = line
            if p.get("user_id"):
                if p["user_id"] in seen_users:
                    problems.append(ImportProblem.of(line, "username", "account_twice"))
                seen_users[p["user_id"]] = line
            parsed.append((line, v, p))
        known = set(
            s.execute(
                select(ResidentRow.id_number_hash).where(
                    ResidentRow.id_number_hash.in_(list(seen_ids) or [""])
                )
            ).scalars()
        )
        linked = set(
            s.execute(
                select(ResidentRow.user_id).where(ResidentRow.user_id.in_(list(seen_users) or [0]))
            ).scalars()
        )
        for line, _v, p in parsed:
            if p.get("id_hash") in known:
                problems.append(ImportProblem.of(line, "id_number", "id_registered"))
            if p.get("user_id") in linked:
                problems.append(ImportProblem.of(line, "username", "account_linked"))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda x: (x.row, x.field)), "line")

        places = _Places(s)
        now = utcnow()
        counts: Counter[str] = Counter()
        for _line, v, p in parsed:
            estate = places.estate(v["grid_code"], v["estate"])
            building = places.building(estate, v["building"])
            unit = places.unit(building, v.get("unit", "") or "1单元")
            house = places.house(building, unit, v["room"])
            household = places.household(house, v.get("household_code", ""))
            resident = ResidentRow(
                name=v["name"],
                gender=p["gender"],
                birth_date=p["birth_date"],
                id_number_enc=cipher.encrypt(p.get("id_number")),
                id_number_hash=p.get("id_hash"),
                phone_enc=cipher.encrypt(p.get("phone")),
                household_id=household.id,
                relation=v.get("relation", ""),
                residence=p["residence"],
                party_member=p["party_member"],
                grid_code=house.grid_code,
                user_id=p.get("user_id"),
                active=True,
                version=1,
                updated_at=now,
            )
            s.add(resident)
            s.flush()
            for tag in p["tags"]:
                s.add(
                    CareTagRow(
                        resident_id=resident.id,
                        tag=tag,
                        set_by_id=actor.user_id,
                        set_by_name=actor.name,
                        set_at=now,
                        note="导入 import",
                    )
                )
                counts["care_tags"] += 1
            counts["residents"] += 1
        counts["houses"] = s.execute(select(func.count()).select_from(HouseRow)).scalar_one()
        audit(s, actor, "community.import", "residents", {"rows": len(parsed)})
        uow.commit()
    return dict(counts)


def _check_person(
    line: int,
    v: dict[str, str],
    grids: set[str],
    tags: dict[str, str],
    users: dict[str, int],
    problems: list[ImportProblem],
    cipher: FieldCipher,
) -> dict[str, Any]:
    out: dict[str, Any] = {"gender": v.get("gender", ""), "birth_date": None}
    grid = v.get("grid_code", "")
    if grid and grid not in grids:
        problems.append(ImportProblem.of(line, "grid_code", "unknown_grid", value=grid))
    idn = v.get("id_number", "").upper()
    if idn:
        bad_id = id_problem(idn)
        if bad_id:
            problems.append(
                ImportProblem.of(line, "id_number", "resident_id", detail=bad_id.message)
            )
        else:
            out["id_number"] = idn
            out["birth_date"] = birth_date_of(idn)
            out["gender"] = out["gender"] or gender_of(idn)
    if v.get("birth_date") and out["birth_date"] is None:
        try:
            out["birth_date"] = date.fromisoformat(v["birth_date"])
        except ValueError:
            problems.append(ImportProblem.of(line, "birth_date", "not_date", value=v["birth_date"]))
    phone = v.get("phone", "")
    if phone:
        why = phone_problem(phone)
        if why:
            problems.append(ImportProblem.of(line, "phone", "mobile_or_landline", value=phone))
        else:
            out["phone"] = phone
    residence = v.get("residence", "") or "registered"
    by_label = {label: key for key, label in RESIDENCE.items()}
    residence = by_label.get(residence, residence)
    if residence not in RESIDENCE:
        problems.append(
            ImportProblem.of(
                line,
                "residence",
                "not_one_of",
                value=residence,
                what="residence",
                choices=[f"{k}/{label}" for k, label in RESIDENCE.items()],
            )
        )
    out["residence"] = residence
    out["party_member"] = v.get("party_member", "").strip().lower() in _TRUE
    by_tag_label = {label: key for key, label in tags.items()}
    out["tags"] = []
    raw_tags = v.get("care_tags", "").replace("、", "|").split("|")
    for raw in filter(None, (t.strip() for t in raw_tags)):
        tag = by_tag_label.get(raw, raw)
        if tag not in tags:
            problems.append(
                ImportProblem.of(
                    line, "care_tags", "unknown_care_tag", value=raw, choices=list(tags.values())
                )
            )
        else:
            out["tags"].append(tag)
    username = v.get("username", "")
    if username:
        if username not in users:
            problems.append(ImportProblem.of(line, "username", "unknown_user", value=username))
        else:
            out["user_id"] = users[username]
    if out.get("id_number"):
        out["id_hash"] = cipher.digest(out["id_number"])
    return out


def import_shops(ctx: CityLoop, actor: Actor, rows: Sequence[Row]) -> dict[str, int]:
    """沿街商铺 with the building they are in. All or nothing."""
    require(actor, access.REGISTRY_EDITORS, "import shops")
    cipher = cipher_for(ctx.settings)
    problems: list[ImportProblem] = []
    with ctx.uow() as uow:
        s = uow.session
        grids = _grids(s)
        for line, v in rows:
            for f in SHOP_COLUMNS:
                if not v.get(f, "").strip():
                    problems.append(ImportProblem.of(line, f, "required"))
            grid = v.get("grid_code", "")
            if grid and grid not in grids:
                problems.append(ImportProblem.of(line, "grid_code", "unknown_grid", value=grid))
            elif grid and not access.may_edit(actor, grid):
                problems.append(ImportProblem.of(line, "grid_code", "outside_jurisdiction"))
            phone = v.get("contact_phone", "")
            if phone and phone_problem(phone):
                problems.append(
                    ImportProblem.of(line, "contact_phone", "mobile_or_landline", value=phone)
                )
        if problems:
            raise ImportRejected(problems, "line")
        places = _Places(s)
        for _line, v in rows:
            building = places.building(places.estate(v["grid_code"], v["estate"]), v["building"])
            s.add(
                ShopRow(
                    name=v["name"],
                    building_id=building.id,
                    grid_code=building.grid_code,
                    business=v.get("business", ""),
                    licence_no=v.get("licence_no", ""),
                    contact_name=v.get("contact_name", ""),
                    contact_phone_enc=cipher.encrypt(phone or None)
                    if (phone := v.get("contact_phone", ""))
                    else None,
                    version=1,
                )
            )
        audit(s, actor, "community.import", "shops", {"rows": len(rows)})
        uow.commit()
    return {"shops": len(rows)}
