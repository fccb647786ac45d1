"""以房找人: a house with its households and the people in them, lists of houses (vacant or
occupied), households where someone carries a care tag, a building with its houses and
shops, and the street shops.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select

from cityloop.community import access
from cityloop.community.common import NotFound
from cityloop.community.crypto import cipher_for
from cityloop.community.registry.records import Viewer, care_tags_of, place_of, read_guard, scoped
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
from cityloop.domain.privacy import mask_name, mask_phone
from cityloop.services.context import CityLoop


def get_house(ctx: CityLoop, actor: Actor, house_id: int) -> dict[str, Any]:
    """A house with its households and the people in them (以房找人)."""
    read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        house = s.get(HouseRow, house_id)
        if house is None or not access.in_region(actor, house.grid_code):
            raise NotFound(f"house {house_id}")
        viewer = Viewer(actor, cipher_for(ctx.settings))
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
            tags = care_tags_of(s, [m.id for m in members])
            households.append(
                {
                    "id": h.id,
                    "code": h.code,
                    "members": [viewer.resident(m, tags[m.id], None, today) for m in members],
                }
            )
        return {
            **place_of(s, house.id),
            "area": house.area,
            "version": house.version,
            "households": households,
        }


def list_houses(
    ctx: CityLoop, actor: Actor, region: str | None, vacant: bool | None, page: int, size: int
) -> dict[str, Any]:
    """Houses; `vacant=True`: houses without a registered (active) resident."""
    read_guard(actor)
    stmt = select(HouseRow)
    stmt = scoped(stmt, HouseRow.grid_code, actor, region)
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
        items = [place_of(s, h.id) for h in rows]
    return {"total": total, "page": page, "size": size, "items": items}


def households_with_tag(ctx: CityLoop, actor: Actor, tag: str, region: str | None) -> list[Any]:
    """Households in the actor's jurisdiction where someone carries care tag `tag`."""
    read_guard(actor)
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
    stmt = scoped(stmt, HouseholdRow.grid_code, actor, region)
    with ctx.uow() as uow:
        s = uow.session
        viewer = Viewer(actor, cipher_for(ctx.settings))
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
            tags = care_tags_of(s, [m.id for m in members])
            out.append(
                {
                    "household_id": h.id,
                    "code": h.code,
                    "house": place_of(s, h.house_id),
                    "members": [viewer.resident(m, tags[m.id], None, today) for m in members],
                    "tagged": [m.id for m in members if any(t.tag == tag for t in tags[m.id])],
                }
            )
        return out


# -- buildings and shops -----------------------------------------------------------------
def list_shops(
    ctx: CityLoop, actor: Actor, region: str | None, building_id: int | None
) -> list[dict[str, Any]]:
    read_guard(actor)
    stmt = (
        select(ShopRow, BuildingRow, EstateRow)
        .join(BuildingRow, BuildingRow.id == ShopRow.building_id)
        .join(EstateRow, EstateRow.id == BuildingRow.estate_id)
    )
    stmt = scoped(stmt, ShopRow.grid_code, actor, region)
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
                    "contact_phone": mask_phone(
                        cipher.decrypt(shop.contact_phone_enc, "contact_phone")
                    ),
                    "building_id": building.id,
                    "building": f"{estate.name}{building.name}",
                    "grid_code": shop.grid_code,
                }
            )
        return out


def building_detail(ctx: CityLoop, actor: Actor, building_id: int) -> dict[str, Any]:
    """A building with its units, houses (occupied or not) and the shops in it."""
    read_guard(actor)
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
