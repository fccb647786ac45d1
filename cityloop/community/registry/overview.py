"""The registry at a glance: counts per community (社区) and the estates with their
buildings, for the map and the tree the console browses by.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select

from cityloop.community import access
from cityloop.community.registry.records import read_guard, scoped
from cityloop.community.store import (
    BuildingRow,
    CareTagRow,
    EstateRow,
    HouseholdRow,
    HouseRow,
    ResidentRow,
    ShopRow,
)
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow


def counts(ctx: CityLoop, actor: Actor, region: str | None) -> list[dict[str, Any]]:
    """Per community (社区): estates, buildings, houses, households, residents, shops, vacant
    houses and care tags by kind."""
    read_guard(actor)
    per: dict[str, Counter[str]] = defaultdict(Counter)

    def fold(name: str, column: Any, stmt: Any) -> None:
        stmt = scoped(stmt.add_columns(column, func.count()), column, actor, region)
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
        tagged = scoped(
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


def estates(ctx: CityLoop, actor: Actor, region: str | None) -> list[dict[str, Any]]:
    read_guard(actor)
    stmt = scoped(select(EstateRow), EstateRow.grid_code, actor, region).order_by(EstateRow.id)
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
