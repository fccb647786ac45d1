"""Community database use cases (全业务数据库): import, find people by house and houses by
person (以人找房、以房找人), care tags, versioned updates, masked views with audited full views,
queries for grid work, counts and export.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound, audit, require
from cityloop.community.config import load as load_config
from cityloop.community.crypto import FieldCipher, cipher_for
from cityloop.community.registry.identity import (
    birth_date_of,
    born_on_or_before,
    gender_of,
    id_problem,
    phone_problem,
)
from cityloop.community.store import (
    BuildingRow,
    CareTagRow,
    ChangeRow,
    EstateRow,
    HouseholdRow,
    HouseRow,
    ResidentRow,
    ShopRow,
    UnitRow,
)
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_id_number, mask_name, mask_phone
from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.importers import check_cells, csv_records
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow, UserRow, utcnow
from cityloop.store.prefix import starts_with

Row = tuple[int, dict[str, str]]
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
RESIDENCE = {"registered": "户籍", "resident": "常住", "floating": "流动"}
USAGE = {"owner_occupied": "自住", "rented": "出租", "vacant": "空置", "business": "经营"}
_TRUE = {"1", "true", "yes", "y", "是", "党员"}


# -- reading -------------------------------------------------------------------------------
def read_table(name: str, data: bytes) -> list[Row]:
    """Rows of a CSV (UTF-8 or GB18030) or Excel (.xlsx, first sheet) file; line numbers as the
    person importing sees them (the header is line 1)."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            problem = ImportProblem.of(0, "file", "file_excel", detail=str(exc)[:200])
            raise ImportRejected([problem], "row") from exc
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        out: list[Row] = []
        for i, values in enumerate(rows[1:], start=2):
            cells = {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
            if any(cells.values()):
                out.append((i, cells))
        check_cells(out)
        return out
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([ImportProblem.of(0, "file", "file_encoding")], "line")
    return csv_records(text)[1]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()


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
        why = id_problem(idn)
        if why:
            problems.append(ImportProblem.of(line, "id_number", "resident_id", detail=why))
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


# -- views ---------------------------------------------------------------------------------
@dataclass
class _Viewer:
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
        idn = self.cipher.decrypt(r.id_number_enc)
        phone = self.cipher.decrypt(r.phone_enc)
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


def _place(s: Session, house_id: int) -> dict[str, Any]:
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


def _read_guard(actor: Actor) -> None:
    if not access.may_read_registry(actor):
        raise PermissionDenied("无权查看社区数据库 community database is for staff")


def _load_resident(s: Session, actor: Actor, resident_id: int) -> ResidentRow:
    row = s.get(ResidentRow, resident_id)
    if row is None or not access.in_region(actor, row.grid_code):
        raise NotFound(f"resident {resident_id}")
    return row


def _tags(s: Session, ids: Sequence[int]) -> dict[int, list[CareTagRow]]:
    out: dict[int, list[CareTagRow]] = defaultdict(list)
    if ids:
        for t in s.execute(
            select(CareTagRow).where(CareTagRow.resident_id.in_(ids)).order_by(CareTagRow.id)
        ).scalars():
            out[t.resident_id].append(t)
    return out


def get_resident(
    ctx: CityLoop, actor: Actor, resident_id: int, full: bool = False, reason: str = ""
) -> dict[str, Any]:
    """A resident with their house (以人找房). `full` shows ID number and phone in clear, only to
    roles that need it inside their jurisdiction, with a reason; every such view is audited."""
    _read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        r = _load_resident(s, actor, resident_id)
        if full:
            _may_reveal(actor, r.grid_code, reason)
            audit(s, actor, "community.reveal", f"resident:{r.id}", {"reason": reason.strip()})
        place = None
        household = s.get(HouseholdRow, r.household_id) if r.household_id else None
        if household is not None:
            place = {**_place(s, household.house_id), "household_code": household.code}
        view = _Viewer(actor, cipher_for(ctx.settings), full).resident(
            r, _tags(s, [r.id])[r.id], place, ctx.now_local().date()
        )
        if full:
            uow.commit()
        return view


def _may_reveal(actor: Actor, grid: str, reason: str) -> None:
    if not access.may_see_full(actor, grid):
        raise PermissionDenied("无权查看完整个人信息 full personal data is not for this role")
    if len(reason.strip()) < 2:
        raise InvalidCommand("reason", "say why the full record is needed")


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


def _scoped(stmt: Any, column: Any, actor: Actor, region: str | None) -> Any:
    prefix = access.region_prefix(actor)
    if prefix is not None:
        stmt = stmt.where(starts_with(column, prefix))
    if region:
        stmt = stmt.where(starts_with(column, region))
    return stmt


def _member_count() -> Any:
    return (
        select(func.count(ResidentRow.id))
        .where(ResidentRow.household_id == HouseholdRow.id, ResidentRow.active.is_(True))
        .correlate(HouseholdRow)
        .scalar_subquery()
    )


def list_residents(ctx: CityLoop, actor: Actor, f: ResidentFilters) -> dict[str, Any]:
    _read_guard(actor)
    today = ctx.now_local().date()
    stmt = select(ResidentRow).where(ResidentRow.active.is_(True))
    stmt = _scoped(stmt, ResidentRow.grid_code, actor, f.region)
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
        tags = _tags(s, [r.id for r in rows])
        viewer = _Viewer(actor, cipher_for(ctx.settings))
        items = [viewer.resident(r, tags[r.id], None, today) for r in rows]
    return {"total": total, "page": f.page, "size": f.size, "items": items}


def elderly_alone(ctx: CityLoop, actor: Actor, region: str | None, age: int = 80) -> dict[str, Any]:
    """Residents aged ≥ `age` who live alone (their household has no other active member)."""
    return list_residents(
        ctx, actor, ResidentFilters(region=region, min_age=age, living_alone=True, size=500)
    )


def get_house(ctx: CityLoop, actor: Actor, house_id: int) -> dict[str, Any]:
    """A house with its households and the people in them (以房找人)."""
    _read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        house = s.get(HouseRow, house_id)
        if house is None or not access.in_region(actor, house.grid_code):
            raise NotFound(f"house {house_id}")
        viewer = _Viewer(actor, cipher_for(ctx.settings))
        today = ctx.now_local().date()
        households = []
        for h in s.execute(
            select(HouseholdRow).where(HouseholdRow.house_id == house.id).order_by(HouseholdRow.id)
        ).scalars():
            members = list(
                s.execute(
                    select(ResidentRow)
                    .where(ResidentRow.household_id == h.id, ResidentRow.active.is_(True))
                    .order_by(ResidentRow.id)
                ).scalars()
            )
            tags = _tags(s, [m.id for m in members])
            households.append(
                {
                    "id": h.id,
                    "code": h.code,
                    "members": [viewer.resident(m, tags[m.id], None, today) for m in members],
                }
            )
        return {
            **_place(s, house.id),
            "area": house.area,
            "version": house.version,
            "households": households,
        }


def list_houses(
    ctx: CityLoop, actor: Actor, region: str | None, vacant: bool | None, page: int, size: int
) -> dict[str, Any]:
    """Houses; `vacant=True`: houses without a registered (active) resident."""
    _read_guard(actor)
    stmt = select(HouseRow)
    stmt = _scoped(stmt, HouseRow.grid_code, actor, region)
    occupied = exists().where(
        HouseholdRow.house_id == HouseRow.id,
        ResidentRow.household_id == HouseholdRow.id,
        ResidentRow.active.is_(True),
    )
    if vacant is True:
        stmt = stmt.where(~occupied)
    elif vacant is False:
        stmt = stmt.where(occupied)
    with ctx.uow() as uow:
        s = uow.session
        total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = s.execute(stmt.order_by(HouseRow.id).offset((page - 1) * size).limit(size)).scalars()
        items = [_place(s, h.id) for h in rows]
    return {"total": total, "page": page, "size": size, "items": items}


def households_with_tag(ctx: CityLoop, actor: Actor, tag: str, region: str | None) -> list[Any]:
    """Households in the actor's jurisdiction where someone carries care tag `tag`."""
    _read_guard(actor)
    stmt = (
        select(HouseholdRow)
        .where(
            exists().where(
                ResidentRow.household_id == HouseholdRow.id,
                ResidentRow.active.is_(True),
                CareTagRow.resident_id == ResidentRow.id,
                CareTagRow.tag == tag,
            )
        )
        .order_by(HouseholdRow.id)
    )
    stmt = _scoped(stmt, HouseholdRow.grid_code, actor, region)
    with ctx.uow() as uow:
        s = uow.session
        viewer = _Viewer(actor, cipher_for(ctx.settings))
        today = ctx.now_local().date()
        out = []
        for h in s.execute(stmt.limit(1000)).scalars():
            members = list(
                s.execute(
                    select(ResidentRow).where(
                        ResidentRow.household_id == h.id, ResidentRow.active.is_(True)
                    )
                ).scalars()
            )
            tags = _tags(s, [m.id for m in members])
            out.append(
                {
                    "household_id": h.id,
                    "code": h.code,
                    "house": _place(s, h.house_id),
                    "members": [viewer.resident(m, tags[m.id], None, today) for m in members],
                    "tagged": [m.id for m in members if any(t.tag == tag for t in tags[m.id])],
                }
            )
        return out


def counts(ctx: CityLoop, actor: Actor, region: str | None) -> list[dict[str, Any]]:
    """Per community (社区): estates, buildings, houses, households, residents, shops, vacant
    houses and care tags by kind."""
    _read_guard(actor)
    per: dict[str, Counter[str]] = defaultdict(Counter)

    def fold(name: str, column: Any, stmt: Any) -> None:
        stmt = _scoped(stmt.add_columns(column, func.count()), column, actor, region)
        for grid, n in s.execute(stmt.group_by(column)).all():
            per[access.community_of(grid) or grid][name] += n

    with ctx.uow() as uow:
        s = uow.session
        fold("estates", EstateRow.grid_code, select().select_from(EstateRow))
        fold("buildings", BuildingRow.grid_code, select().select_from(BuildingRow))
        fold("houses", HouseRow.grid_code, select().select_from(HouseRow))
        fold("households", HouseholdRow.grid_code, select().select_from(HouseholdRow))
        fold(
            "residents",
            ResidentRow.grid_code,
            select().select_from(ResidentRow).where(ResidentRow.active.is_(True)),
        )
        fold("shops", ShopRow.grid_code, select().select_from(ShopRow))
        tagged = _scoped(
            select(ResidentRow.grid_code, CareTagRow.tag, func.count())
            .join(ResidentRow, ResidentRow.id == CareTagRow.resident_id)
            .where(ResidentRow.active.is_(True)),
            ResidentRow.grid_code,
            actor,
            region,
        ).group_by(ResidentRow.grid_code, CareTagRow.tag)
        tag_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for grid, tag, n in s.execute(tagged).all():
            tag_counts[access.community_of(grid) or grid][tag] += n
        names = dict(
            s.execute(
                select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(list(per)))
            ).all()
        )
    keys = ["estates", "buildings", "houses", "households", "residents", "shops"]
    return [
        {
            "community_code": code,
            "community_name": names.get(code, code),
            **{k: per[code][k] for k in keys},
            "care_tags": dict(tag_counts[code]),
        }
        for code in sorted(per)
    ]


# -- changes -------------------------------------------------------------------------------
_SECRET = {"id_number": mask_id_number, "phone": mask_phone, "contact_phone": mask_phone}
RESIDENT_FIELDS = {
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "relation",
    "residence",
    "party_member",
    "active",
    "household_code",
}


def _record(
    s: Session,
    actor: Actor,
    entity: str,
    entity_id: int,
    version: int,
    field: str,
    old: Any,
    new: Any,
) -> None:
    mask = _SECRET.get(field)
    old_s = None if old is None else str(old)
    new_s = None if new is None else str(new)
    if mask:
        old_s, new_s = mask(old_s), mask(new_s)
    s.add(
        ChangeRow(
            entity=entity,
            entity_id=entity_id,
            version=version,
            field=field,
            old=old_s,
            new=new_s,
            actor_id=actor.user_id,
            actor_name=actor.name,
            at=utcnow(),
        )
    )


_FLAGS = frozenset({"party_member", "active"})


def update_resident(
    ctx: CityLoop, actor: Actor, resident_id: int, changes: dict[str, Any], version: int | None
) -> dict[str, Any]:
    """Change a resident's record; each changed field is versioned (who, when, old → new)."""
    unknown = set(changes) - RESIDENT_FIELDS
    if unknown:
        raise InvalidCommand(sorted(unknown)[0], "this field cannot be changed here")
    cipher = cipher_for(ctx.settings)
    with ctx.uow() as uow:
        s = uow.session
        r = _load_resident(s, actor, resident_id)
        if not access.may_edit(actor, r.grid_code):
            raise PermissionDenied("只有本网格网格员、督办人员可修改 not yours to change")
        if version is not None and version != r.version:
            raise InvalidCommand("version", f"the record changed meanwhile (now v{r.version})")
        new_version = r.version + 1
        changed = 0
        old: Any
        for field, value in changes.items():
            if field == "id_number":
                value = (value or "").strip().upper() or None
                if value and (why := id_problem(value)):
                    raise InvalidCommand("id_number", why)
                old = cipher.decrypt(r.id_number_enc)
                if old == value:
                    continue
                digest = cipher.digest(value)
                if (
                    digest
                    and s.execute(
                        select(ResidentRow.id).where(
                            ResidentRow.id_number_hash == digest, ResidentRow.id != r.id
                        )
                    ).first()
                ):
                    raise InvalidCommand("id_number", "already registered for someone else")
                r.id_number_enc, r.id_number_hash = cipher.encrypt(value), digest
                if value:
                    r.birth_date = birth_date_of(value)
            elif field == "phone":
                value = (value or "").strip() or None
                if value and (why := phone_problem(value)):
                    raise InvalidCommand("phone", why)
                old = cipher.decrypt(r.phone_enc)
                if old == value:
                    continue
                r.phone_enc = cipher.encrypt(value)
            elif field == "household_code":
                target = s.execute(
                    select(HouseholdRow).where(HouseholdRow.code == value)
                ).scalar_one_or_none()
                if target is None or not access.may_edit(actor, target.grid_code):
                    raise InvalidCommand("household_code", f"no household {value} in your area")
                current = s.get(HouseholdRow, r.household_id) if r.household_id else None
                old = current.code if current else None
                if old == value:
                    continue
                r.household_id, r.grid_code = target.id, target.grid_code
            elif field == "birth_date":
                born = date.fromisoformat(str(value)) if value else None
                old = r.birth_date
                if old == born:
                    continue
                r.birth_date = born
            else:
                if field == "residence" and value not in RESIDENCE:
                    raise InvalidCommand("residence", f"one of {', '.join(RESIDENCE)}")
                if field == "name" and not str(value or "").strip():
                    raise InvalidCommand("name", "required")
                if value is None:  # null clears a text field; a yes/no needs an answer
                    if field in _FLAGS:
                        raise InvalidCommand(field, "true or false, not null")
                    value = ""
                old = getattr(r, field)
                if old == value:
                    continue
                setattr(r, field, value)
            _record(s, actor, "resident", r.id, new_version, field, old, value)
            changed += 1
        if changed:
            r.version, r.updated_at = new_version, utcnow()
            uow.commit()
    return get_resident(ctx, actor, resident_id)


def set_care_tag(
    ctx: CityLoop, actor: Actor, resident_id: int, tag: str, present: bool, note: str = ""
) -> dict[str, Any]:
    tags = load_config(ctx.settings).care_tags
    if tag not in tags:
        raise InvalidCommand("tag", f"unknown care tag (known: {', '.join(tags)})")
    with ctx.uow() as uow:
        s = uow.session
        r = _load_resident(s, actor, resident_id)
        if not access.may_edit(actor, r.grid_code):
            raise PermissionDenied("只有本网格网格员、督办人员可修改 not yours to change")
        row = s.execute(
            select(CareTagRow).where(CareTagRow.resident_id == r.id, CareTagRow.tag == tag)
        ).scalar_one_or_none()
        if present and row is None:
            s.add(
                CareTagRow(
                    resident_id=r.id,
                    tag=tag,
                    set_by_id=actor.user_id,
                    set_by_name=actor.name,
                    set_at=utcnow(),
                    note=note,
                )
            )
            r.version += 1
            _record(s, actor, "resident", r.id, r.version, "care_tag", None, tag)
        elif not present and row is not None:
            s.delete(row)
            r.version += 1
            _record(s, actor, "resident", r.id, r.version, "care_tag", tag, None)
        uow.commit()
    return get_resident(ctx, actor, resident_id)


def update_house(
    ctx: CityLoop, actor: Actor, house_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        h = s.get(HouseRow, house_id)
        if h is None or not access.in_region(actor, h.grid_code):
            raise NotFound(f"house {house_id}")
        if not access.may_edit(actor, h.grid_code):
            raise PermissionDenied("只有本网格网格员、督办人员可修改 not yours to change")
        new_version = h.version + 1
        for field, value in changes.items():
            if field == "usage" and value not in USAGE:
                raise InvalidCommand("usage", f"one of {', '.join(USAGE)}")
            if field not in ("usage", "area"):
                raise InvalidCommand(field, "this field cannot be changed here")
            old = getattr(h, field)
            if old != value:
                setattr(h, field, value)
                _record(s, actor, "house", h.id, new_version, field, old, value)
                h.version = new_version
        uow.commit()
    return get_house(ctx, actor, house_id)


def history(ctx: CityLoop, actor: Actor, entity: str, entity_id: int) -> list[dict[str, Any]]:
    _read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        model: Any = {"resident": ResidentRow, "house": HouseRow, "shop": ShopRow}.get(entity)
        if model is None:
            raise InvalidCommand("entity", "resident, house or shop")
        row = s.get(model, entity_id)
        if row is None or not access.in_region(actor, row.grid_code):
            raise NotFound(f"{entity} {entity_id}")
        rows = s.execute(
            select(ChangeRow)
            .where(ChangeRow.entity == entity, ChangeRow.entity_id == entity_id)
            .order_by(ChangeRow.id)
        ).scalars()
        return [
            {
                "version": c.version,
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "by": c.actor_name,
                "at": c.at,
            }
            for c in rows
        ]


# -- shops ---------------------------------------------------------------------------------
def list_shops(
    ctx: CityLoop, actor: Actor, region: str | None, building_id: int | None
) -> list[dict[str, Any]]:
    _read_guard(actor)
    stmt = (
        select(ShopRow, BuildingRow, EstateRow)
        .join(BuildingRow, BuildingRow.id == ShopRow.building_id)
        .join(EstateRow, EstateRow.id == BuildingRow.estate_id)
    )
    stmt = _scoped(stmt, ShopRow.grid_code, actor, region)
    if building_id:
        stmt = stmt.where(ShopRow.building_id == building_id)
    cipher = cipher_for(ctx.settings)
    with ctx.uow() as uow:
        out = []
        for shop, building, estate in uow.session.execute(stmt.order_by(ShopRow.id).limit(1000)):
            full = access.may_see_full(actor, shop.grid_code)
            out.append(
                {
                    "id": shop.id,
                    "name": shop.name,
                    "business": shop.business,
                    "licence_no": shop.licence_no,
                    "contact_name": shop.contact_name if full else mask_name(shop.contact_name),
                    "contact_phone": mask_phone(cipher.decrypt(shop.contact_phone_enc)),
                    "building_id": building.id,
                    "building": f"{estate.name}{building.name}",
                    "grid_code": shop.grid_code,
                }
            )
        return out


def building_detail(ctx: CityLoop, actor: Actor, building_id: int) -> dict[str, Any]:
    """A building with its units, houses (occupied or not) and the shops in it."""
    _read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        b = s.get(BuildingRow, building_id)
        if b is None or not access.in_region(actor, b.grid_code):
            raise NotFound(f"building {building_id}")
        estate = s.get(EstateRow, b.estate_id)
        assert estate is not None
        residents = dict(
            s.execute(
                select(HouseholdRow.house_id, func.count(ResidentRow.id))
                .join(ResidentRow, ResidentRow.household_id == HouseholdRow.id)
                .join(HouseRow, HouseRow.id == HouseholdRow.house_id)
                .where(HouseRow.building_id == b.id, ResidentRow.active.is_(True))
                .group_by(HouseholdRow.house_id)
            ).all()
        )
        houses: list[dict[str, Any]] = [
            {
                "id": h.id,
                "room": h.room,
                "unit_id": h.unit_id,
                "usage": h.usage,
                "residents": residents.get(h.id, 0),
            }
            for h in s.execute(
                select(HouseRow).where(HouseRow.building_id == b.id).order_by(HouseRow.id)
            ).scalars()
        ]
        units = {
            u.id: u.name
            for u in s.execute(select(UnitRow).where(UnitRow.building_id == b.id)).scalars()
        }
        shops = [
            {"id": sh.id, "name": sh.name, "business": sh.business}
            for sh in s.execute(select(ShopRow).where(ShopRow.building_id == b.id)).scalars()
        ]
    for house in houses:
        house["unit"] = units.get(house["unit_id"], "")
    return {
        "id": b.id,
        "name": b.name,
        "estate": estate.name,
        "estate_id": estate.id,
        "grid_code": b.grid_code,
        "houses": houses,
        "shops": shops,
    }


def estates(ctx: CityLoop, actor: Actor, region: str | None) -> list[dict[str, Any]]:
    _read_guard(actor)
    stmt = _scoped(select(EstateRow), EstateRow.grid_code, actor, region).order_by(EstateRow.id)
    with ctx.uow() as uow:
        s = uow.session
        rows = list(s.execute(stmt).scalars())
        buildings: dict[int, list[dict[str, Any]]] = defaultdict(list)
        ids = [e.id for e in rows] or [0]
        for b in s.execute(
            select(BuildingRow).where(BuildingRow.estate_id.in_(ids)).order_by(BuildingRow.id)
        ).scalars():
            buildings[b.estate_id].append({"id": b.id, "name": b.name})
        return [
            {
                "id": e.id,
                "name": e.name,
                "grid_code": e.grid_code,
                "community_code": access.community_of(e.grid_code),
                "lon": e.lon,
                "lat": e.lat,
                "buildings": buildings[e.id],
            }
            for e in rows
        ]


def link_user(
    ctx: CityLoop, actor: Actor, resident_id: int, username: str | None
) -> dict[str, Any]:
    """Link (or unlink) a resident's login account, so they can vote, snap and earn points."""
    with ctx.uow() as uow:
        s = uow.session
        r = _load_resident(s, actor, resident_id)
        if not access.may_edit(actor, r.grid_code):
            raise PermissionDenied("not yours to change")
        user_id = None
        if username:
            user = s.execute(select(UserRow).where(UserRow.username == username)).scalar()
            if user is None or user.role != "resident":
                raise InvalidCommand("username", "no resident account with this name")
            if s.execute(
                select(ResidentRow.id).where(ResidentRow.user_id == user.id, ResidentRow.id != r.id)
            ).first():
                raise InvalidCommand("username", "account already linked to another resident")
            user_id = user.id
        if r.user_id != user_id:
            r.version += 1
            _record(s, actor, "resident", r.id, r.version, "user", r.user_id, user_id)
            r.user_id = user_id
            uow.commit()
    return get_resident(ctx, actor, resident_id)


# -- export --------------------------------------------------------------------------------
EXPORT_COLUMNS = [
    ("id", "编号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_year", "出生年份"),
    ("id_number", "身份证号"),
    ("phone", "电话"),
    ("address", "住址"),
    ("household_code", "户码"),
    ("relation", "与户主关系"),
    ("residence", "户籍类型"),
    ("care_tags", "关爱标签"),
    ("grid_code", "网格"),
]


def export_residents(
    ctx: CityLoop, actor: Actor, fmt: str, region: str | None, full: bool, reason: str
) -> tuple[bytes, str]:
    """Residents in the actor's jurisdiction as CSV or Excel: masked, or — for the roles that
    may see full records — in full with a reason, audited with the row count."""
    _read_guard(actor)
    if fmt not in ("csv", "xlsx"):
        raise InvalidCommand("format", "csv or xlsx")
    if full:
        target = region or actor.region_code or ""
        if actor.role.value != "admin" and not access.may_see_full(actor, target):
            raise PermissionDenied("无权导出完整个人信息 full export is not for this role")
        if region and not access.may_see_full(actor, region):
            raise PermissionDenied("outside your jurisdiction")
        if len(reason.strip()) < 2:
            raise InvalidCommand("reason", "say why the full export is needed")
    cipher = cipher_for(ctx.settings)
    stmt = _scoped(
        select(ResidentRow, HouseholdRow)
        .outerjoin(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
        .where(ResidentRow.active.is_(True)),
        ResidentRow.grid_code,
        actor,
        region,
    ).order_by(ResidentRow.id)
    with ctx.uow() as uow:
        s = uow.session
        pairs = list(s.execute(stmt).all())
        tags = _tags(s, [r.id for r, _h in pairs])
        addresses: dict[int, str] = {}
        viewer = _Viewer(actor, cipher, full)
        records = []
        for r, h in pairs:
            if h is not None and h.house_id not in addresses:
                addresses[h.house_id] = _place(s, h.house_id)["address"]
            v = viewer.resident(r, tags[r.id])
            v["address"] = addresses.get(h.house_id, "") if h is not None else ""
            v["household_code"] = h.code if h is not None else ""
            v["care_tags"] = "|".join(t["tag"] for t in v["care_tags"])
            records.append(v)
        audit(
            s,
            actor,
            "community.export",
            "residents",
            {"rows": len(records), "full": full, "reason": reason.strip(), "region": region},
        )
        uow.commit()
    header = [label for _k, label in EXPORT_COLUMNS]
    table = [[_text(rec.get(k)) for k, _l in EXPORT_COLUMNS] for rec in records]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(table)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "residents"
    ws.append(header)
    for row in table:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(v: Any) -> Any:
    return "" if v is None else v
