"""Routing decision (智能分拨): category + place + urgency → linkage rule → departments.

Suggestions come from the NLP model (services/understanding.py); without a model, only appeals
with an operator-chosen category are dispatched at once and the rest wait in the dispatch queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cityloop.domain.linkage import LinkageRule, match_rule
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import Urgency
from cityloop.services.reference import Reference


@dataclass(frozen=True)
class Suggestion:
    category_code: str
    probability: float


class CategorySuggester(Protocol):
    def suggest(self, text: str, k: int = 3) -> list[Suggestion]: ...


@dataclass
class RoutingDecision:
    auto_dispatch: bool
    category_code: str | None
    category_source: str  # operator | model | none
    rule: LinkageRule | None
    time_limit: TimeLimit | None
    reason: str
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_record(self, rule_version: int | None) -> dict[str, Any]:
        return {
            "auto_dispatch": self.auto_dispatch,
            "category_source": self.category_source,
            "rule_id": self.rule.id if self.rule else None,
            "rule_version": rule_version,
            "reason": self.reason,
            "suggestions": [
                {"category_code": s.category_code, "probability": round(s.probability, 4)}
                for s in self.suggestions
            ],
        }


def decide(
    ref: Reference,
    *,
    text: str,
    operator_category: str | None,
    grid_code: str | None,
    urgency: Urgency,
    suggestions: list[Suggestion],
    threshold_for: Callable[[str], float],
) -> RoutingDecision:
    """Operator's category first; else the model's when it is confident enough for that
    category; else the dispatch queue with the suggestions."""
    best = suggestions[0] if suggestions else None
    if operator_category:
        category, source = operator_category, "operator"
    elif best is not None and best.probability >= threshold_for(best.category_code):
        category, source = best.category_code, "model"
    else:
        reason = (
            f"模型置信度 {best.probability:.2f} 低于阈值 {threshold_for(best.category_code):.2f}"
            if best
            else "未选择分类，待人工派单"
        )
        return RoutingDecision(False, None, "none", None, None, reason, suggestions)

    rule = match_rule(ref.rules, ref.category_ancestry(category), ref.region_ancestry(grid_code))
    if rule is None:
        return RoutingDecision(
            False, category, source, None, None, "联动清单中没有匹配的规则", suggestions
        )
    if rule.region_code is None and grid_code is None and _has_regional_rules(ref, category):
        # Some matters go to the district that owns the place; without a place a human decides.
        return RoutingDecision(
            False, category, source, rule, rule.limit_for(urgency), "位置待核实", suggestions
        )
    return RoutingDecision(
        True, category, source, rule, rule.limit_for(urgency), "按联动清单自动派单", suggestions
    )


def _has_regional_rules(ref: Reference, category: str) -> bool:
    ancestry = set(ref.category_ancestry(category))
    return any(r.region_code is not None and r.category_code in ancestry for r in ref.rules)
