"""Who may do what with a compound's trust books and votes.

* Community staff inside their region (admin, supervisors, grid workers; the leader reads)
  set a compound up and read everything but the ballots.
* The property company's accountant (member `property`) posts entries; a member of the owners'
  committee (member `committee`) reviews them, opens and closes votes.
* Owners and residents of the compound read the published books and results; owners vote.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound
from cityloop.community.store import ResidentRow
from cityloop.community.trust.store import TrustCompoundRow, TrustMemberRow, TrustOwnerRow
from cityloop.domain.errors import PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role

STAFF_SETUP = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER})
STAFF_READ = STAFF_SETUP | {Role.LEADER}
PROPERTY = "property"
COMMITTEE = "committee"
CAPACITY_LABELS = {PROPERTY: "物业服务企业记账员", COMMITTEE: "业主委员会成员"}


def capacity_of(s: Session, actor: Actor, compound_id: int) -> str | None:
    if actor.user_id is None:
        return None
    return s.execute(
        select(TrustMemberRow.capacity).where(
            TrustMemberRow.compound_id == compound_id, TrustMemberRow.user_id == actor.user_id
        )
    ).scalar()


def resident_id_of(s: Session, actor: Actor) -> int | None:
    if actor.role is not Role.RESIDENT or actor.user_id is None:
        return None
    return s.execute(
        select(ResidentRow.id).where(
            ResidentRow.user_id == actor.user_id, ResidentRow.active.is_(True)
        )
    ).scalar()


def lives_or_owns_in(s: Session, actor: Actor, compound: TrustCompoundRow) -> bool:
    resident_id = resident_id_of(s, actor)
    if resident_id is None:
        return False
    owns = s.execute(
        select(TrustOwnerRow.id).where(
            TrustOwnerRow.compound_id == compound.id, TrustOwnerRow.resident_id == resident_id
        )
    ).first()
    if owns:
        return True
    grid = s.execute(select(ResidentRow.grid_code).where(ResidentRow.id == resident_id)).scalar()
    return bool(grid and grid.startswith(compound.grid_code))


def may_read(s: Session, actor: Actor, compound: TrustCompoundRow) -> bool:
    if actor.role in STAFF_READ and access.in_region(actor, compound.grid_code):
        return True
    if capacity_of(s, actor, compound.id):
        return True
    return lives_or_owns_in(s, actor, compound)


def load_compound(
    s: Session, actor: Actor, compound_id: int, *, lock: bool = False
) -> TrustCompoundRow:
    """The compound, or NotFound when it does not exist or lies outside what the actor sees
    (out of scope looks the same as missing). `lock` holds its row for the transaction, which
    serialises entry numbering on PostgreSQL (SQLite serialises writers anyway)."""
    compound = s.get(TrustCompoundRow, compound_id, with_for_update=lock)
    if compound is None or not may_read(s, actor, compound):
        raise NotFound(f"trust compound {compound_id}")
    return compound


def require_setup(actor: Actor, compound_grid: str) -> None:
    if actor.role not in STAFF_SETUP or not access.in_region(actor, compound_grid):
        raise PermissionDenied("只有辖区内的社区工作人员可以设置信托物业 only community staff")


def require_capacity(s: Session, actor: Actor, compound_id: int, capacity: str) -> None:
    if capacity_of(s, actor, compound_id) != capacity:
        raise PermissionDenied(f"需要{CAPACITY_LABELS[capacity]}身份 needs the {capacity} member")
