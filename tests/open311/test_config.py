"""open311.yaml: parsing, and checking attribute values against a definition."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from cityloop.open311.config import (
    ConfigError,
    InvalidAttribute,
    check_attributes,
    load_config,
    parse_config,
    parse_datetime,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_shipped_config_loads_once():
    config = load_config()
    assert config is load_config()
    assert config.public_channels == frozenset({"open311"})
    rule = config.rule_for("999999", "城市管理/市政设施/路灯不亮")  # the demo city's name
    assert rule is not None and rule.attributes[0].code == "lamp_state"
    assert config.rule_for("999999", "城市管理/市政设施/井盖缺失破损") is None


def test_match_by_code_or_path():
    config = parse_config(
        {"services": [{"match": "0101", "attributes": []}, {"match": "甲/乙", "keywords": "k"}]}
    )
    assert config.rule_for("0101", "x/y") is config.rules[0]
    assert config.rule_for("0202", "甲/乙") is config.rules[1]
    assert config.rule_for("0202", "甲/乙/丙") is None


@pytest.mark.parametrize(
    "attr, words",
    [
        ({"datatype": "string"}, "code"),
        ({"code": "a", "datatype": "colour"}, "datatype"),
        ({"code": "a", "datatype": "singlevaluelist"}, "values"),
        ({"code": "a", "datatype": "string", "variable": False, "required": True}, "informational"),
        (
            {"code": "a", "datatype": "multivaluelist", "values": [{"key": "x"}, {"key": "x"}]},
            "twice",
        ),
    ],
)
def test_malformed_definitions_are_refused(attr, words):
    with pytest.raises(ConfigError, match=words):
        parse_config({"services": [{"match": "*", "attributes": [attr]}]})


def test_check_attributes():
    config = parse_config(
        {
            "services": [
                {
                    "match": "*",
                    "attributes": [
                        {"code": "n", "datatype": "number", "required": True},
                        {"code": "t", "datatype": "text"},
                        {
                            "code": "m",
                            "datatype": "multivaluelist",
                            "values": [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}],
                        },
                    ],
                }
            ]
        }
    )
    attrs = config.rules[0].attributes
    assert check_attributes(attrs, {"n": ["2.5"], "m": ["b", "a"], "t": ["  "]}, TZ) == {
        "n": 2.5,
        "m": ["b", "a"],
    }
    for given, words in [
        ({}, "required"),
        ({"n": ["nan"]}, "not a number"),
        ({"n": ["1", "2"]}, "one value"),
        ({"n": ["1"], "t": ["x" * 4001]}, "longer"),
        ({"n": ["1"], "m": ["c"]}, "not among"),
        ({"n": ["1"], "z": ["1"]}, "not defined"),
    ]:
        with pytest.raises(InvalidAttribute, match=words):
            check_attributes(attrs, given, TZ)


def test_parse_datetime():
    assert parse_datetime("2026-09-30", TZ).isoformat() == "2026-09-30T00:00:00+08:00"
    assert parse_datetime("2026-09-30T10:00:00Z", TZ).isoformat() == "2026-09-30T10:00:00+00:00"
    assert parse_datetime("2026-09-30T10:00:00 05:30", TZ).utcoffset().total_seconds() == 19800
    with pytest.raises(ValueError):
        parse_datetime("soon", TZ)
