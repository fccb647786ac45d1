"""What the device and alarm page reads (设备与告警): open alarms and invalid-message counts,
scoped to the viewer's jurisdiction (a supervisor sees the devices in the grids under their
region; an administrator, dispatcher or leader sees the whole city)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.sensing.store import DeviceRow, IncidentRow, InvalidCountRow
from cityloop.services.context import CityLoop

CITY_WIDE = (Role.ADMIN, Role.DISPATCHER, Role.LEADER)


def device_scope(actor: Actor) -> Any:
    """A clause on DeviceRow for what the actor may see (None: everything)."""
    if actor.role in CITY_WIDE:
        return None
    if not actor.region_code:
        return DeviceRow.id.is_(None)  # nothing
    return DeviceRow.grid_code.startswith(actor.region_code, autoescape=True)


def open_alarms(
    ctx: CityLoop, actor: Actor, rule_names: dict[str, str], limit: int = 200
) -> dict[str, Any]:
    """Incidents not yet recovered or closed, newest first, with their device and order."""
    ref = ctx.reference.get()
    clauses = [IncidentRow.status == "open"]
    scope = device_scope(actor)
    if scope is not None:
        clauses.append(scope)
    with ctx.uow() as uow:
        s = uow.session
        total = s.execute(
            select(func.count())
            .select_from(IncidentRow)
            .join(DeviceRow, DeviceRow.id == IncidentRow.device_pk)
            .where(*clauses)
        ).scalar_one()
        rows = s.execute(
            select(IncidentRow, DeviceRow)
            .join(DeviceRow, DeviceRow.id == IncidentRow.device_pk)
            .where(*clauses)
            .order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc())
            .limit(limit)
        ).all()
        items = [
            {
                "id": i.id,
                "device_id": d.device_id,
                "tenant": d.tenant,
                "device_name": d.name,
                "type": d.type,
                "address": d.address,
                "grid_code": d.grid_code,
                "grid_name": ref.region_name(d.grid_code),
                "rule_id": i.rule_id,
                "rule_name": rule_names.get(i.rule_id, i.rule_id),
                "opened_at": i.opened_at,
                "last_at": i.last_at,
                "repeats": i.repeats,
                "ticket_no": i.ticket_no,
                "work_order_id": i.work_order_id,
                "reading": i.reading,
            }
            for i, d in rows
        ]
    return {"items": items, "total": total}


def invalid_counts(ctx: CityLoop, actor: Actor, limit: int = 200) -> dict[str, Any]:
    """Refused messages by device and reason, the most frequent first. A supervisor sees only
    the counts of registered devices in their region."""
    scope = device_scope(actor)
    with ctx.uow() as uow:
        stmt = select(InvalidCountRow, DeviceRow.name, DeviceRow.grid_code).outerjoin(
            DeviceRow,
            (DeviceRow.tenant == InvalidCountRow.tenant)
            & (DeviceRow.device_id == InvalidCountRow.device_id),
        )
        if scope is not None:
            stmt = stmt.where(scope)
        rows = uow.session.execute(
            stmt.order_by(InvalidCountRow.count.desc(), InvalidCountRow.last_at.desc()).limit(limit)
        ).all()
        items = [
            {
                "tenant": c.tenant,
                "device_id": c.device_id,
                "device_name": name or "",
                "registered": grid is not None or name is not None,
                "reason": c.reason,
                "count": c.count,
                "last_at": c.last_at,
                "last_detail": c.last_detail,
            }
            for c, name, grid in rows
        ]
    return {"items": items, "total": sum(i["count"] for i in items)}


def status_counts(ctx: CityLoop, actor: Actor, offline_after: timedelta) -> dict[str, int]:
    """How many devices are online, offline and never heard from, in the actor's scope."""
    now = ctx.clock.now()
    cutoff = now - offline_after
    scope = device_scope(actor)
    where = [scope] if scope is not None else []
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(DeviceRow.status, DeviceRow.last_seen_at).where(*where)
        ).all()
    out = {"online": 0, "offline": 0, "unknown": 0}
    for status, seen in rows:
        if seen is None:
            out["unknown"] += 1
        elif status == "offline" or seen < cutoff:
            out["offline"] += 1
        else:
            out["online"] += 1
    return out
