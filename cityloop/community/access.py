"""Who may see and change what on the community side — pure rules, no I/O.

Region codes nest by prefix (GB/T 30428.1: 6-digit county, +3 street, +3 community, +3 grid), so
"inside my jurisdiction" is a prefix test on the record's grid code.
"""

from __future__ import annotations

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role

CITY_WIDE = frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR, Role.LEADER})
SCOPED = frozenset({Role.SUPERVISOR, Role.GRID_WORKER})
# Who reads the community database (masked by default).
REGISTRY_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER}) | SCOPED
# Who keeps it current (grid workers in their grid, supervisors in their region, admin).
REGISTRY_EDITORS = frozenset({Role.ADMIN}) | SCOPED
# Who may see ID numbers and phones in full (each time audited), inside their region.
FULL_VIEW = frozenset({Role.ADMIN}) | SCOPED
# Staff who run mediation and confirm community tasks.
COMMUNITY_STAFF = frozenset({Role.ADMIN}) | SCOPED


def in_region(actor: Actor, code: str | None) -> bool:
    """True when a record at region/grid `code` lies inside the actor's jurisdiction."""
    if actor.role in CITY_WIDE:
        return True
    if actor.role in SCOPED:
        return bool(actor.region_code and code and code.startswith(actor.region_code))
    return False


# A prefix no region code has (codes are digits) and that any database takes as text (a NUL
# sentinel is refused by PostgreSQL): a role without a jurisdiction sees nothing.
NO_REGION = "-"


def region_prefix(actor: Actor) -> str | None:
    """The prefix lists filter by; None means the whole city."""
    if actor.role in CITY_WIDE:
        return None
    if actor.role in SCOPED and actor.region_code:
        return actor.region_code
    return NO_REGION


def may_read_registry(actor: Actor) -> bool:
    return actor.role in REGISTRY_READERS


def may_edit(actor: Actor, code: str | None) -> bool:
    return actor.role in REGISTRY_EDITORS and in_region(actor, code)


def may_see_full(actor: Actor, code: str | None) -> bool:
    return actor.role in FULL_VIEW and in_region(actor, code)


def community_of(code: str | None) -> str | None:
    """The 社区 (12-digit) code of a grid or community code."""
    if not code or len(code) < 12:
        return None
    return code[:12]


def street_of(code: str | None) -> str | None:
    if not code or len(code) < 9:
        return None
    return code[:9]
