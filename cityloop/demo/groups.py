"""The demo estate's building groups (微网格): a micro-grid per building with its leader and
group, and a week of the project's hand-written group messages replayed into them (the
tuning part of the labelled set, moved to this week), so the theme database has topics,
escalations and open questions to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cityloop.community.groups import chats, registry
from cityloop.community.groups.adapters import Incoming
from cityloop.community.groups.labelled import load
from cityloop.community.store import BuildingRow, EstateRow, ResidentRow
from cityloop.demo.trust import demo_estate
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop

# The labelled set's two 幸福里 building groups (1栋, 3栋) become the demo estate's first two
# buildings; an estate with one building gets its second group as the estate-wide group.
_GROUPS = (("G1", "1栋"), ("G2", "3栋"))


def load_groups(ctx: CityLoop) -> str:
    staff = Actor.system()
    with ctx.uow() as uow:
        s = uow.session
        estate_id = demo_estate(s)
        if estate_id is None:
            return "group chats: no demo estate"
        estate = s.get(EstateRow, estate_id)
        assert estate is not None
        buildings = set(
            s.execute(select(BuildingRow.name).where(BuildingRow.estate_id == estate_id)).scalars()
        )
        leaders = list(
            s.execute(
                select(ResidentRow.name)
                .where(ResidentRow.grid_code == estate.grid_code, ResidentRow.relation == "户主")
                .order_by(ResidentRow.id)
                .limit(2)
            ).scalars()
        )
    rows = load("tuning")
    first_day = min(r.at for r in rows)
    shift = (ctx.clock.now() - timedelta(days=8)) - first_day
    groups = 0
    ordered = sorted(buildings, key=lambda b: (len(b), b))
    if not ordered:
        return "group chats: the demo estate has no buildings"
    for n, (label, named) in enumerate(_GROUPS):
        own = ordered[n] if n < len(ordered) else None
        building = own or ordered[0]
        mg = registry.create(
            ctx,
            staff,
            code=f"MG-{estate_id}-{n + 1}",
            name=f"{estate.name}{own or '业主'}",
            grid_code=estate.grid_code,
            estate=estate.name,
            buildings=[own] if own else [],
            leader_name=leaders[n] if n < len(leaders) else "微网格长",
        )
        group = registry.add_group(
            ctx,
            staff,
            mg["id"],
            platform="export",
            external_id=f"{estate.name}{own or '业主'}群",
            name=f"{estate.name}{own or '业主'}群",
            member_count=60 + 13 * n,
        )
        groups += 1
        msgs = [
            Incoming(
                r.key,
                None,
                r.sender,
                r.at + shift,
                r.text.replace(named, building).replace("幸福里", estate.name),
            )
            for r in rows
            if r.group == label
        ]
        chats.ingest(ctx, staff, group["id"], msgs)
    return f"group chats: {groups} micro-grids and groups"
