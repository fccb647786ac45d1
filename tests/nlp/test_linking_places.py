"""Place evidence between two appeals (cityloop/nlp/linking.py): a named place is shared only
when the other text names that place, not another place that begins with the same words."""

from __future__ import annotations

from cityloop.nlp.linking import LinkRules, compare_places, place_keys


def test_a_school_is_not_the_street_that_shares_its_first_words() -> None:
    school = place_keys("", "在石桥小学对面，一到晚上就有人占道摆夜市。")
    street = place_keys("", "在石桥街29号附近，树枝碰到电线了。")
    verdict = compare_places(school, street, LinkRules(), place_a="石桥小学", place_b="石桥街")
    assert verdict.same_name is None and verdict.conflict


def test_the_same_school_named_again_is_place_evidence() -> None:
    first = place_keys("", "石桥小学门口晚上有人占道摆摊。")
    again = place_keys("", "石桥小学对面夜市垃圾满地。")
    verdict = compare_places(first, again, LinkRules())
    assert verdict.same_name == "石桥小学" and verdict.conflict is None
