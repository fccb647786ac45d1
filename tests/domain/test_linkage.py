from __future__ import annotations

from cityloop.domain.linkage import LinkageRule, match_rule, validate_rule
from cityloop.domain.sla import TimeLimit, TimeUnit
from cityloop.domain.statuses import Urgency

FIVE_DAYS = {
    Urgency.NORMAL: TimeLimit(5, TimeUnit.DAYS),
    Urgency.URGENT: TimeLimit(2, TimeUnit.HOURS),
}
RULES = [
    LinkageRule("01", "D-ZJ", limits=FIVE_DAYS),
    LinkageRule("0103", "D-CG", ("D-HX",), FIVE_DAYS),
    LinkageRule("0103", "D-HD", (), FIVE_DAYS, region_code="990102002"),
    LinkageRule("010305", "D-LD", (), FIVE_DAYS),
]
CITY = ("990100", "990102")


def test_most_specific_category_wins() -> None:
    assert match_rule(RULES, ["01", "0103", "010305"], CITY).lead_department == "D-LD"  # type: ignore[union-attr]
    assert match_rule(RULES, ["01", "0103", "010301"], CITY).lead_department == "D-CG"  # type: ignore[union-attr]
    assert match_rule(RULES, ["01", "0102"], CITY).lead_department == "D-ZJ"  # type: ignore[union-attr]
    assert match_rule(RULES, ["02"], CITY) is None


def test_region_rule_beats_city_wide_for_the_same_category() -> None:
    east = (*CITY, "990102002", "990102002001", "990102002001001")
    west = (*CITY, "990102001", "990102001001", "990102001001001")
    assert match_rule(RULES, ["01", "0103"], east).lead_department == "D-HD"  # type: ignore[union-attr]
    assert match_rule(RULES, ["01", "0103"], west).lead_department == "D-CG"  # type: ignore[union-attr]
    # Unknown place: only city-wide rules apply.
    assert match_rule(RULES, ["01", "0103"], ()).lead_department == "D-CG"  # type: ignore[union-attr]


def test_limits_by_urgency_fall_back_to_normal() -> None:
    rule = LinkageRule("01", "D", limits={Urgency.NORMAL: TimeLimit(3, TimeUnit.DAYS)})
    assert str(rule.limit_for(Urgency.URGENT)) == "3d"
    assert str(RULES[1].limit_for(Urgency.URGENT)) == "2h"


def test_validate_rule() -> None:
    assert validate_rule(RULES[1]) == []
    bad = LinkageRule("01", "D-CG", ("D-CG", "D-X", "D-X"), {})
    fields = {f for f, _ in validate_rule(bad)}
    assert fields == {"co", "normal"}
