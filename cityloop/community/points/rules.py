"""Point rules as configuration (积分规则), pure: what an event earns, and the fraud checks.

The rules come from the `points` section of the community YAML (the Gulou garbage-sorting rules
ship with the package): opening an account +100, face verification +300, each correct drop +5,
the monthly household grant +400, a violation seen by the AI camera earns nothing and raises a
work order, recycling weighed by a smart bin earns points per kilogram and material.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cityloop.community.points.ledger import LedgerError


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    account: str = "resident"  # resident | household
    points: int = 0
    once: bool = False
    per_kg: dict[str, float] = field(default_factory=dict)
    work_order: bool = False
    category: str | None = None


@dataclass(frozen=True)
class PointRules:
    rules: dict[str, Rule]
    max_drops_per_day: int = 6
    min_seconds_between_drops: int = 120
    channels: dict[str, str] = field(default_factory=dict)

    def rule(self, name: str) -> Rule:
        found = self.rules.get(name)
        if found is None:
            raise LedgerError("rule", "unknown_point_rule", name=name)
        return found


def parse_rules(section: dict[str, Any]) -> PointRules:
    rules: dict[str, Rule] = {}
    for name, spec in (section.get("rules") or {}).items():
        spec = dict(spec or {})
        account = str(spec.get("account", "resident"))
        if account not in ("resident", "household"):
            raise ValueError(f"point rule {name}: account must be resident or household")
        rules[name] = Rule(
            name=name,
            label=str(spec.get("label", name)),
            account=account,
            points=int(spec.get("points", 0)),
            once=bool(spec.get("once", False)),
            per_kg={str(k): float(v) for k, v in (spec.get("per_kg") or {}).items()},
            work_order=bool(spec.get("work_order", False)),
            category=spec.get("category"),
        )
    fraud = section.get("fraud") or {}
    return PointRules(
        rules=rules,
        max_drops_per_day=int(fraud.get("max_drops_per_day", 6)),
        min_seconds_between_drops=int(fraud.get("min_seconds_between_drops", 120)),
        channels=dict(section.get("redemption_channels") or {}),
    )


def recycling_points(rule: Rule, material: str, kilograms: float) -> int:
    """Points for weighed recyclables: per-kg rate of the material, rounded down."""
    if material not in rule.per_kg:
        raise LedgerError(
            "material", "unknown_material", value=material, expected=sorted(rule.per_kg)
        )
    if not 0 < kilograms <= 500:
        raise LedgerError("kilograms", "weight_range", max=500)
    return int(rule.per_kg[material] * kilograms + 1e-9)


def drop_fraud(rules: PointRules, earlier_today: Sequence[datetime], at: datetime) -> str | None:
    """Why a household's correct drop at `at` earns nothing, or None when it earns.

    `earlier_today` are the household's drops that earned points earlier the same day."""
    if len(earlier_today) >= rules.max_drops_per_day:
        return f"more than {rules.max_drops_per_day} drops in a day"
    gap = timedelta(seconds=rules.min_seconds_between_drops)
    if any(abs(at - t) < gap for t in earlier_today):
        return f"drops less than {rules.min_seconds_between_drops} s apart"
    return None
