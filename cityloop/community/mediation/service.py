"""Dispute mediation use cases: cases with parties, type, level and mediator; sessions,
agreement, follow-up; escalation when a level's working-day limit passes; statistics."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound, require
from cityloop.community.config import load as load_config
from cityloop.community.crypto import cipher_for
from cityloop.community.mediation.cases import (
    AFTER,
    LEVEL_LABELS,
    STATUS_LABELS,
    check_step,
    is_overdue,
    level_region,
    next_level,
)
from cityloop.community.store import DisputeEventRow, DisputeRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name, mask_phone
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline
from cityloop.store.models import RegionRow
from cityloop.store.prefix import starts_with


def _limit(ctx: CityLoop, level: str) -> TimeLimit:
    return TimeLimit.parse(load_config(ctx.settings).mediation.limits[level])


def _event(
    s: Session, case: DisputeRow, kind: str, actor: str, note: str, at: Any, **data: Any
) -> None:
    s.add(
        DisputeEventRow(
            dispute_id=case.id, kind=kind, at=at, actor_name=actor, note=note, data=data
        )
    )


def open_case(
    ctx: CityLoop,
    actor: Actor,
    *,
    title: str,
    description: str,
    type: str,
    region_code: str,
    parties: list[dict[str, str]],
    mediator: str,
) -> dict[str, Any]:
    require(actor, access.COMMUNITY_STAFF, "register disputes")
    cfg = load_config(ctx.settings).mediation
    if type not in cfg.types:
        raise InvalidCommand("type", "enum", {"expected": list(cfg.types)})
    if len(parties) < 2:
        raise InvalidCommand("parties", "parties_too_few", {"min": 2})
    cipher = cipher_for(ctx.settings)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        region = s.execute(select(RegionRow).where(RegionRow.code == region_code)).scalar()
        if region is None or region.level not in ("community", "grid"):
            raise InvalidCommand("region_code", "community_or_grid_code")
        if not access.in_region(actor, region_code) and not (
            actor.region_code or "\x00"
        ).startswith(region_code):
            raise InvalidCommand("region_code", "outside_jurisdiction")
        due, _warn = deadline(ctx, now, _limit(ctx, "community"))
        case = DisputeRow(
            case_no=secrets.token_hex(8),
            title=title.strip(),
            description=description.strip(),
            type=type,
            level="community",
            region_code=region_code,
            parties=[
                {
                    "name": p.get("name", "").strip(),
                    "role": p.get("role", ""),
                    "phone_enc": cipher.encrypt(p.get("phone") or None),
                }
                for p in parties
            ],
            mediator=mediator,
            status="open",
            opened_at=now,
            level_since=now,
            due_at=due,
            escalations=0,
        )
        s.add(case)
        s.flush()
        case.case_no = f"TJ{ctx.local(now):%Y%m%d}-{case.id:05d}"
        _event(s, case, "open", actor.name, description.strip()[:200], now, level="community")
        uow.commit()
        case_id = case.id
    return get_case(ctx, actor, case_id)


def _visible(actor: Actor, case: DisputeRow) -> bool:
    """Staff of the case's community see it; at street level the street, at district level the
    district — and a grid worker sees the cases of their own community."""
    handling = level_region(case.level, case.region_code)
    if access.in_region(actor, case.region_code) or access.in_region(actor, handling):
        return True
    own = actor.region_code or "\x00"
    return actor.role in access.SCOPED and own.startswith(handling)


def _load(s: Session, actor: Actor, case_id: int) -> DisputeRow:
    case = s.get(DisputeRow, case_id)
    if case is None or not _visible(actor, case):
        raise NotFound(f"dispute {case_id}")
    return case


def _view(ctx: CityLoop, case: DisputeRow, events: list[DisputeEventRow] | None) -> dict[str, Any]:
    cipher = cipher_for(ctx.settings)
    now = ctx.clock.now()
    types = load_config(ctx.settings).mediation.types
    out = {
        "id": case.id,
        "case_no": case.case_no,
        "title": case.title,
        "description": case.description,
        "type": case.type,
        "type_label": types.get(case.type, case.type),
        "level": case.level,
        "level_label": LEVEL_LABELS[case.level],
        "region_code": case.region_code,
        "parties": [
            {
                "name": mask_name(p.get("name")),
                "role": p.get("role", ""),
                "phone": mask_phone(cipher.decrypt(p.get("phone_enc"), "parties.phone")),
            }
            for p in case.parties
        ],
        "mediator": case.mediator,
        "status": case.status,
        "status_label": STATUS_LABELS[case.status],
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "overdue": is_overdue(case.status, case.due_at, now),
        "settled_at": case.settled_at,
        "agreement": case.agreement,
        "follow_up_due": case.follow_up_due,
        "followed_up_at": case.followed_up_at,
        "follow_up": case.follow_up,
        "escalations": case.escalations,
    }
    if events is not None:
        out["events"] = [
            {"kind": e.kind, "at": e.at, "by": e.actor_name, "note": e.note, "data": e.data}
            for e in events
        ]
    return out


def get_case(ctx: CityLoop, actor: Actor, case_id: int) -> dict[str, Any]:
    require(actor, access.COMMUNITY_STAFF | access.CITY_WIDE, "see disputes")
    with ctx.uow() as uow:
        s = uow.session
        case = _load(s, actor, case_id)
        events = list(
            s.execute(
                select(DisputeEventRow)
                .where(DisputeEventRow.dispute_id == case.id)
                .order_by(DisputeEventRow.id)
            ).scalars()
        )
        return _view(ctx, case, events)


def list_cases(
    ctx: CityLoop, actor: Actor, status: str | None, type: str | None, overdue: bool | None
) -> list[dict[str, Any]]:
    require(actor, access.COMMUNITY_STAFF | access.CITY_WIDE, "see disputes")
    with ctx.uow() as uow:
        stmt = select(DisputeRow).order_by(DisputeRow.id.desc())
        if status:
            stmt = stmt.where(DisputeRow.status == status)
        if type:
            stmt = stmt.where(DisputeRow.type == type)
        prefix = access.region_prefix(actor)
        if prefix is not None:  # coarse filter in SQL; the exact rule below
            stmt = stmt.where(starts_with(DisputeRow.region_code, prefix[:6]))
        now = ctx.clock.now()
        cases = [
            c
            for c in uow.session.execute(stmt.limit(1000)).scalars()
            if _visible(actor, c)
            and (overdue is None or is_overdue(c.status, c.due_at, now) == overdue)
        ]
        return [_view(ctx, c, None) for c in cases[:500]]


def step(
    ctx: CityLoop, actor: Actor, case_id: int, kind: str, note: str, version: int | None = None
) -> dict[str, Any]:
    """session (调解记录) | settle (协议) | fail | escalate | follow_up (回访)."""
    require(actor, access.COMMUNITY_STAFF, "mediate")
    if len(note.strip()) < 2:
        raise InvalidCommand("note", "missing")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        case = _load(s, actor, case_id)
        if version is not None and case.version != version:
            raise InvalidCommand("version", "changed_meanwhile", {"version": case.version})
        if case.level != "community" and actor.role is Role.GRID_WORKER:
            raise PermissionDenied("上移后由街道/区调解 the street or district mediates now")
        check_step(kind, case.status)
        if kind == "escalate":
            _escalate(ctx, s, case, actor.name, note.strip(), now)
        else:
            case.status = AFTER[kind]
            if kind == "settle":
                case.agreement, case.settled_at = note.strip(), now
                follow = TimeLimit.parse(load_config(ctx.settings).mediation.follow_up)
                case.follow_up_due = deadline(ctx, now, follow)[0]
            elif kind == "follow_up":
                case.follow_up, case.followed_up_at = note.strip(), now
            _event(s, case, kind, actor.name, note.strip(), now)
        uow.commit()
    return get_case(ctx, actor, case_id)


def _escalate(ctx: CityLoop, s: Session, case: DisputeRow, by: str, why: str, now: Any) -> None:
    level = next_level(case.level)
    if level is None:
        raise InvalidCommand("level", "mediation_top_level")
    old = case.level
    case.level, case.level_since, case.status = level, now, "open"
    case.due_at = deadline(ctx, now, _limit(ctx, level))[0]
    case.escalations += 1
    _event(s, case, "escalate", by, why, now, **{"from": old, "to": level})


def sweep(ctx: CityLoop, actor: Actor | None = None) -> int:
    """Escalate every active case whose level's time ran out (run by a scheduler or by hand).
    By hand: an administrator sweeps the city, a supervisor only their own area; a grid worker
    mediates cases but does not sweep (403)."""
    now = ctx.clock.now()
    overdue = [
        DisputeRow.status.in_(["open", "mediating"]),
        DisputeRow.due_at < now,
        DisputeRow.level != "district",
    ]
    if actor is not None:
        require(actor, {Role.ADMIN, Role.SUPERVISOR}, "escalate overdue cases")
        if (prefix := access.region_prefix(actor)) is not None:
            overdue.append(starts_with(DisputeRow.region_code, prefix))
    n = 0
    with ctx.uow() as uow:
        s = uow.session
        rows = s.execute(select(DisputeRow).where(*overdue)).scalars()
        for case in rows:
            _escalate(ctx, s, case, "系统", "调解期限届满未化解，自动上移", now)
            n += 1
        uow.commit()
    return n


def statistics(ctx: CityLoop, actor: Actor) -> dict[str, Any]:
    """By type: cases, settled, active, escalated; and how many were settled at each level
    (小事不出社区、大事不出街道)."""
    cases = list_cases(ctx, actor, None, None, None)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    settled_at: Counter[str] = Counter()
    for c in cases:
        t = by_type[c["type"]]
        t["total"] += 1
        t[c["status"]] += 1
        t["escalated"] += c["escalations"] > 0
        if c["status"] in ("settled", "closed"):
            settled_at[c["level"]] += 1
    types = load_config(ctx.settings).mediation.types
    settled = sum(settled_at.values())
    return {
        "total": len(cases),
        "by_type": [
            {
                "type": k,
                "label": types.get(k, k),
                "total": v["total"],
                "settled": v["settled"] + v["closed"],
                "active": v["open"] + v["mediating"],
                "failed": v["failed"],
                "escalated": v["escalated"],
            }
            for k, v in sorted(by_type.items())
        ],
        "settled_by_level": dict(settled_at),
        "settled_in_community_share": round(settled_at["community"] / settled, 4)
        if settled
        else None,
        "overdue": sum(1 for c in cases if c["overdue"]),
    }
