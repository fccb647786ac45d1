from __future__ import annotations

from datetime import timedelta

import pytest

from cityloop.sensing.config import DEFAULT_RULES
from cityloop.sensing.rules import RulesInvalid, load_rules, parse_duration, parse_rules

TYPES = {"gas_detector": "燃气报警器", "fall_camera": "跌倒摄像头"}


def test_the_shipped_rules_cover_every_device_type() -> None:
    rules = load_rules(DEFAULT_RULES)
    covered = {t for r in rules.rules for t in r.device_types if r.kind != "offline"}
    assert covered == set(rules.device_types)
    kinds = {r.kind for r in rules.rules}
    assert kinds == {"event", "threshold", "rate", "absence", "offline"}


def problems(rule: dict) -> list[str]:  # type: ignore[type-arg]
    with pytest.raises(RulesInvalid) as err:
        parse_rules({"device_types": TYPES, "rules": [rule]})
    return [str(p) for p in err.value.problems]


GOOD = {
    "id": "gas",
    "kind": "threshold",
    "device_types": ["gas_detector"],
    "when": "gas_ppm > 50",
    "for": "30s",
    "order": {"category": "水电气/燃气/燃气泄漏", "urgency": "urgent"},
}


def test_a_good_rule() -> None:
    rule = parse_rules({"device_types": TYPES, "rules": [GOOD]}).rules[0]
    assert rule.duration == timedelta(seconds=30) and str(rule.when[0]) == "gas_ppm > 50"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"for": "30 parsecs"}, "rule gas, field 'for': '30 parsecs' is not a duration"),
        ({"when": "gas_ppm >> 5"}, "rule gas, field 'when': 'gas_ppm >> 5' is not a condition"),
        ({"kind": "sometimes"}, "rule gas, field 'kind': 'sometimes' is not one of"),
        ({"device_types": ["toaster"]}, "rule gas, field 'device_types': unknown device type"),
        ({"order": {"urgency": "soon"}}, "rule gas, field 'order.urgency'"),
        ({"order": {"title": "{nope}"}}, "rule gas, field 'order.title': unknown placeholder"),
        ({"colour": "red"}, "rule gas, field 'colour': unknown field"),
        ({"id": "Gas Leak"}, "rule #1, field 'id'"),
        ({"recovery": {"event": "x"}}, "rule gas, field 'recovery.event'"),
        ({"within": "1h"}, "rule gas, field 'within'"),
        ({"notify": {"to": "everyone", "message": "x"}}, "rule gas, field 'notify.to'"),
    ],
)
def test_errors_name_the_rule_and_the_field(change: dict, expected: str) -> None:  # type: ignore[type-arg]
    found = problems({**GOOD, **change})
    assert any(p.startswith(expected) for p in found), found


def test_rule_kinds_check_their_own_fields() -> None:
    assert any(
        "count" in p
        for p in problems(
            {
                "id": "r",
                "kind": "rate",
                "device_types": "fall_camera",
                "event": "x",
                "within": "1h",
                "order": {},
            }
        )
    )
    assert any(
        "'recovery.event'" in p
        for p in problems(
            {
                "id": "e",
                "kind": "event",
                "device_types": "fall_camera",
                "event": "x",
                "order": {},
                "recovery": {"note": "ok"},
            }
        )
    )
    assert any(
        "at least one action" in p
        for p in problems({"id": "n", "kind": "event", "device_types": "fall_camera", "event": "x"})
    )


def test_duplicate_ids_and_yaml_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesInvalid, match="duplicate rule id"):
        parse_rules({"device_types": TYPES, "rules": [GOOD, GOOD]})
    bad = tmp_path / "r.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(RulesInvalid, match="yaml"):
        load_rules(bad)


def test_durations() -> None:
    assert parse_duration("48h") == timedelta(hours=48)
    assert parse_duration("1.5m") == timedelta(seconds=90)
    assert parse_duration(5) == timedelta(seconds=5)
