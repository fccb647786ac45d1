"""Changing the registry: a resident's fields, care tags, the linked login account and a
house's usage and area. Each changed field is versioned (who, when, old → new, secrets
masked), and the history of a record is read back here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound
from cityloop.community.config import load as load_config
from cityloop.community.crypto import cipher_for
from cityloop.community.registry.houses import get_house
from cityloop.community.registry.identity import birth_date_of, id_problem, phone_problem
from cityloop.community.registry.records import RESIDENCE, USAGE, load_resident, read_guard
from cityloop.community.registry.residents import get_resident
from cityloop.community.store import (
    CareTagRow,
    ChangeRow,
    HouseholdRow,
    HouseRow,
    ResidentRow,
    ShopRow,
)
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_id_number, mask_phone
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow, utcnow

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
        raise InvalidCommand(sorted(unknown)[0], "not_editable")
    cipher = cipher_for(ctx.settings)
    with ctx.uow() as uow:
        s = uow.session
        r = load_resident(s, actor, resident_id)
        if not access.may_edit(actor, r.grid_code):
            raise PermissionDenied("只有本网格网格员、督办人员可修改 not yours to change")
        if version is not None and version != r.version:
            raise InvalidCommand("version", "changed_meanwhile", {"version": r.version})
        new_version = r.version + 1
        changed = 0
        old: Any
        for field, value in changes.items():
            if field == "id_number":
                value = (value or "").strip().upper() or None
                if value and (problem := id_problem(value)):
                    raise problem
                old = cipher.decrypt(r.id_number_enc, "id_number")
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
                    raise InvalidCommand("id_number", "id_number_taken")
                r.id_number_enc, r.id_number_hash = cipher.encrypt(value), digest
                if value:
                    r.birth_date = birth_date_of(value)
            elif field == "phone":
                value = (value or "").strip() or None
                if value and phone_problem(value):
                    raise InvalidCommand("phone", "phone_invalid")
                old = cipher.decrypt(r.phone_enc, "phone")
                if old == value:
                    continue
                r.phone_enc = cipher.encrypt(value)
            elif field == "household_code":
                target = s.execute(
                    select(HouseholdRow).where(HouseholdRow.code == value)
                ).scalar_one_or_none()
                if target is None or not access.may_edit(actor, target.grid_code):
                    raise InvalidCommand("household_code", "unknown_household", {"code": value})
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
                    raise InvalidCommand("residence", "enum", {"expected": list(RESIDENCE)})
                if field == "name" and not str(value or "").strip():
                    raise InvalidCommand("name", "missing")
                if value is None:  # null clears a text field; a yes/no needs an answer
                    if field in _FLAGS:
                        raise InvalidCommand(field, "bool_type")
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
        raise InvalidCommand("tag", "unknown_care_tag", {"value": tag, "expected": list(tags)})
    with ctx.uow() as uow:
        s = uow.session
        r = load_resident(s, actor, resident_id)
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
                raise InvalidCommand("usage", "enum", {"expected": list(USAGE)})
            if field not in ("usage", "area"):
                raise InvalidCommand(field, "not_editable")
            old = getattr(h, field)
            if old != value:
                setattr(h, field, value)
                _record(s, actor, "house", h.id, new_version, field, old, value)
                h.version = new_version
        uow.commit()
    return get_house(ctx, actor, house_id)


def history(ctx: CityLoop, actor: Actor, entity: str, entity_id: int) -> list[dict[str, Any]]:
    read_guard(actor)
    with ctx.uow() as uow:
        s = uow.session
        model: Any = {"resident": ResidentRow, "house": HouseRow, "shop": ShopRow}.get(entity)
        if model is None:
            raise InvalidCommand("entity", "enum", {"expected": ["resident", "house", "shop"]})
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


def link_user(
    ctx: CityLoop, actor: Actor, resident_id: int, username: str | None
) -> dict[str, Any]:
    """Link (or unlink) a resident's login account, so they can vote, snap and earn points."""
    with ctx.uow() as uow:
        s = uow.session
        r = load_resident(s, actor, resident_id)
        if not access.may_edit(actor, r.grid_code):
            raise PermissionDenied("not yours to change")
        user_id = None
        if username:
            user = s.execute(select(UserRow).where(UserRow.username == username)).scalar()
            if user is None or user.role != "resident":
                raise InvalidCommand("username", "unknown_resident_account", {"username": username})
            if s.execute(
                select(ResidentRow.id).where(ResidentRow.user_id == user.id, ResidentRow.id != r.id)
            ).first():
                raise InvalidCommand("username", "account_linked")
            user_id = user.id
        if r.user_id != user_id:
            r.version += 1
            _record(s, actor, "resident", r.id, r.version, "user", r.user_id, user_id)
            r.user_id = user_id
            uow.commit()
    return get_resident(ctx, actor, resident_id)
