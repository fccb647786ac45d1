"""Urgency at intake: the domain's three-source judgement with the city's taxonomy defaults,
and the record of it that the dispatcher reads in the routing explanation."""

from __future__ import annotations

from typing import Any

from cityloop.domain.statuses import Urgency
from cityloop.domain.urgency import UrgencyAssessment, assess_urgency, raise_by_category
from cityloop.services.reference import Reference


def judge_urgency(
    ref: Reference,
    text: str,
    operator_choice: Urgency | None,
    category_code: str | None,
    *,
    replay: bool = False,
) -> UrgencyAssessment:
    """Highest of the operator's choice, the category's default and the text.

    A history replay (`replay`) that already records the urgency keeps it as it was: the
    past is not re-judged by today's taxonomy or rules."""
    if replay and operator_choice is not None:
        return UrgencyAssessment(operator_choice, False, "operator")
    return assess_urgency(
        text, operator_choice=operator_choice, category_default=ref.default_urgency(category_code)
    )


def with_category(
    ref: Reference, judged: UrgencyAssessment, category_code: str | None, *, replay: bool = False
) -> UrgencyAssessment:
    """Raise the judgement to a category chosen after it (the model's), when that category
    is urgent by itself."""
    if replay and judged.source == "operator":
        return judged
    return raise_by_category(judged, ref.default_urgency(category_code))


def urgency_record(judged: UrgencyAssessment) -> dict[str, Any]:
    """What the routing explanation says about urgency: the phrase that made it urgent
    (`urgent_phrase`, as before) and, under `urgency`, who decided and why — also for a
    near-miss set aside (a past gas leak), so a dispatcher can overrule with the facts."""
    out: dict[str, Any] = {}
    if judged.urgent and judged.evidence:
        out["urgent_phrase"] = judged.evidence
    if judged.source is not None or judged.reason is not None:
        out["urgency"] = {
            "level": judged.level.value,
            "life_safety": judged.life_safety,
            "source": judged.source,
            "reason": judged.reason,
            "evidence": judged.evidence,
        }
    return out
