"""Helpers the community services share: permission checks, audit, who a user is as a
resident, where a community is."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community.store import HouseholdRow, ResidentRow
from cityloop.domain.errors import PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound
from cityloop.store.models import RegionRow
from cityloop.store.repositories import add_audit as audit

__all__ = ["NotFound", "audit", "require", "resident_of", "region_center", "category_by_path"]


def require(actor: Actor, roles: Iterable[Role], what: str = "this") -> None:
    if actor.role not in set(roles):
        raise PermissionDenied(f"角色 {actor.role.value} 不能 {what}")


def resident_of(session: Session, actor: Actor) -> tuple[ResidentRow, HouseholdRow]:
    """The registered resident behind a resident's account, with their household."""
    if actor.user_id is None:
        raise PermissionDenied("需要登录的居民账号 a resident account is needed")
    found = session.execute(
        select(ResidentRow, HouseholdRow)
        .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
        .where(ResidentRow.user_id == actor.user_id, ResidentRow.active.is_(True))
    ).first()
    if found is None:
        raise PermissionDenied("账号未关联社区居民 this account is not a registered resident")
    return found[0], found[1]


def region_center(session: Session, code: str) -> tuple[float | None, float | None]:
    row = session.execute(
        select(RegionRow.center_lon, RegionRow.center_lat).where(RegionRow.code == code)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def category_by_path(ctx: CityLoop, path: str | None) -> str | None:
    """A category code from its path (城乡建设/市政设施), or the code itself; None if unknown."""
    if not path:
        return None
    ref = ctx.reference.get()
    if path in ref.categories:
        return path
    return next((c for c, p in ref.category_paths.items() if p == path), None)
