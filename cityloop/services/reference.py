"""Reference data every request reads (regions, grids, categories, departments, linkage list),
cached per process and reloaded after an import or when it is older than a few seconds, so
that several workers agree soon after an administrator changes something."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityloop.domain.linkage import LinkageRule, default_clock_for
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import Urgency
from cityloop.domain.taxonomy import Category
from cityloop.domain.urgency import CategoryUrgency
from cityloop.geo.grid_index import GridIndex
from cityloop.store.models import (
    CategoryRow,
    DepartmentRow,
    RegionRow,
    RuleRow,
    RuleSetRow,
)

STREET_OFFICE = "@street"


@dataclass
class RegionInfo:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass
class Reference:
    regions: dict[str, RegionInfo] = field(default_factory=dict)
    grids: GridIndex = field(default_factory=lambda: GridIndex([], {}))
    categories: dict[str, Category] = field(default_factory=dict)
    category_paths: dict[str, str] = field(default_factory=dict)  # code → "一级/二级/三级"
    # code → its own default urgency (分类默认紧急程度); children inherit through ancestry.
    category_urgency: dict[str, CategoryUrgency] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)  # code → name
    street_offices: dict[str, str] = field(default_factory=dict)  # street code → its office
    rule_version: int | None = None
    rules: list[LinkageRule] = field(default_factory=list)

    def region_ancestry(self, code: str | None) -> tuple[str, ...]:
        if not code:
            return ()
        return self.grids.ancestry(code)

    def category_ancestry(self, code: str | None) -> list[str]:
        cat = self.categories.get(code or "")
        return cat.ancestry if cat else []

    def default_urgency(self, code: str | None) -> CategoryUrgency | None:
        """The category's default urgency, or the nearest ancestor's; None when none is set."""
        for c in reversed(self.category_ancestry(code)):
            found = self.category_urgency.get(c)
            if found is not None:
                return found
        return None

    def co_departments(self, rule: LinkageRule, street_code: str | None) -> tuple[str, ...]:
        """The rule's co-handlers, with the token @street replaced by the office of the street
        where the appeal is (属地街道); dropped when the place is unknown."""
        out: list[str] = []
        for code in rule.co_departments:
            if code == STREET_OFFICE:
                code = self.street_offices.get(street_code or "", "")
            if code and code != rule.lead_department and code not in out:
                out.append(code)
        return tuple(out)

    def region_name(self, code: str | None) -> str | None:
        info = self.regions.get(code or "")
        return info.name if info else None


def rule_from_row(row: RuleRow) -> LinkageRule:
    return LinkageRule(
        category_code=row.category_code,
        lead_department=row.lead_department,
        co_departments=tuple(row.co_departments or ()),
        limits={
            Urgency(k): TimeLimit.parse(v, default_clock_for(Urgency(k)))
            for k, v in (row.limits or {}).items()
        },
        region_code=row.region_code,
        id=row.id,
    )


def load_reference(session: Session) -> Reference:
    ref = Reference()
    parents: dict[str, str] = {}
    grids = []
    for r in session.execute(select(RegionRow)).scalars():
        ref.regions[r.code] = RegionInfo(r.code, r.name, r.level, r.parent_code)
        if r.parent_code:
            parents[r.code] = r.parent_code
        if r.level == "grid":
            grids.append((r.code, r.geometry))
    ref.grids = GridIndex(grids, parents)
    for c in session.execute(select(CategoryRow)).scalars():
        ref.categories[c.code] = Category(c.code, c.name, c.level, c.parent_code)
        ref.category_paths[c.code] = c.path
        if c.default_urgency:
            ref.category_urgency[c.code] = CategoryUrgency(c.default_urgency)
    for d in session.execute(select(DepartmentRow)).scalars():
        ref.departments[d.code] = d.name
        if d.level == "street" and d.region_code:
            ref.street_offices[d.region_code] = d.code
    version = (
        session.execute(
            select(RuleSetRow.version)
            .where(RuleSetRow.active.is_(True))
            .order_by(RuleSetRow.version.desc())
        )
        .scalars()
        .first()
    )
    ref.rule_version = version
    if version is not None:
        rows = session.execute(select(RuleRow).where(RuleRow.version == version)).scalars()
        ref.rules = [rule_from_row(r) for r in rows]
    return ref


class ReferenceCache:
    def __init__(self, session_factory: sessionmaker[Session], ttl_seconds: float = 30.0):
        self._factory = session_factory
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._ref: Reference | None = None
        self._loaded_at = 0.0

    def get(self) -> Reference:
        ref = self._ref
        if ref is not None and time.monotonic() - self._loaded_at < self._ttl:
            return ref
        with self._lock:
            if self._ref is None or time.monotonic() - self._loaded_at >= self._ttl:
                with self._factory() as session:
                    self._ref = load_reference(session)
                self._loaded_at = time.monotonic()
            return self._ref

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = 0.0
