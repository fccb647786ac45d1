"""The linkage list (联动清单): category (and region) → lead, co-departments, time limits.

The most specific category match wins; among rules for the same category, one for the
appeal's own region (the deepest) beats a city-wide one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cityloop.domain.sla import LimitClock, TimeLimit
from cityloop.domain.statuses import Urgency


@dataclass(frozen=True)
class LinkageRule:
    category_code: str
    lead_department: str
    co_departments: tuple[str, ...] = ()
    limits: Mapping[Urgency, TimeLimit] = field(default_factory=dict)
    region_code: str | None = None
    id: int | None = None

    def limit_for(self, urgency: Urgency) -> TimeLimit:
        if urgency in self.limits:
            return self.limits[urgency]
        return self.limits[Urgency.NORMAL]


def default_clock_for(urgency: Urgency) -> LimitClock:
    """The clock a limit without one runs on: natural for urgent matters, working else."""
    return LimitClock.NATURAL if urgency is Urgency.URGENT else LimitClock.WORKING


def match_rule(
    rules: Iterable[LinkageRule],
    category_ancestry: Sequence[str],
    region_ancestry: Sequence[str] = (),
) -> LinkageRule | None:
    """Pick the rule for a category and place.

    `category_ancestry` lists codes from level 1 down to the appeal's category;
    `region_ancestry` lists region codes from the city down to the unit grid (may be empty
    when the place is unknown, and then only city-wide rules apply).
    """
    cat_depth = {code: i for i, code in enumerate(category_ancestry)}
    reg_depth = {code: i for i, code in enumerate(region_ancestry)}
    best: LinkageRule | None = None
    best_rank = (-1, -1)
    for rule in rules:
        if rule.category_code not in cat_depth:
            continue
        if rule.region_code is None:
            region_rank = 0
        elif rule.region_code in reg_depth:
            region_rank = reg_depth[rule.region_code] + 1
        else:
            continue
        rank = (cat_depth[rule.category_code], region_rank)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best


def validate_rule(rule: LinkageRule) -> list[tuple[str, str]]:
    """Field-level problems with a rule, as (field, message)."""
    problems: list[tuple[str, str]] = []
    if rule.lead_department in rule.co_departments:
        problems.append(("co", "the lead department cannot also co-handle"))
    if len(set(rule.co_departments)) != len(rule.co_departments):
        problems.append(("co", "a department is listed twice"))
    if Urgency.NORMAL not in rule.limits:
        problems.append(("normal", "a time limit for normal urgency is required"))
    return problems
