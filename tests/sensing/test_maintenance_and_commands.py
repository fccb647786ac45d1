"""Issue 12's sensing cases: device-health events never merge into an alarm order, and an
actuator command goes out for every qualifying event, whatever the order's cooldown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cityloop.sensing.engine import COMMAND, FIRE, RECOVER, DeviceView, RuleEngine
from cityloop.sensing.rules import RulesInvalid, parse_rules
from cityloop.sensing.schema import Message
from cityloop.store.models import AppealRow
from tests.conftest import START
from tests.sensing.conftest import Rig

T0 = START - timedelta(minutes=30)
E0 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
TYPES = {"gas_detector": "燃气", "cam": "摄像头", "smoke": "烟感"}


def _engine(*rules: dict) -> RuleEngine:  # type: ignore[type-arg]
    rs = parse_rules({"device_types": TYPES, "rules": list(rules)})
    return RuleEngine(rs, ZoneInfo("Asia/Shanghai"), timedelta(minutes=15))


def _msg(s: float, mtype: str = "reading", **values: float) -> Message:
    return Message("t", "d", "telemetry", f"m{s}", mtype, E0 + timedelta(seconds=s), dict(values))


VALVE = {
    "id": "gas",
    "kind": "threshold",
    "device_types": ["gas_detector"],
    "when": "ppm > 50",
    "for": "30s",
    "cooldown": "10m",
    "order": {},
    "command": [{"target": "{device_id}-valve", "command": "close_valve"}],
    "recovery": {"when": "ppm < 20"},
}


def test_a_second_gas_excursion_in_the_cooldown_closes_the_valve_again() -> None:
    e = _engine(VALVE)
    d = DeviceView(1, "t", "g", "gas_detector")
    kinds = []
    for s, ppm in [(0, 80), (31, 80), (40, 80), (60, 5), (120, 80), (151, 80), (160, 90)]:
        kinds += [(s, t.kind) for t in e.observe(d, _msg(s, ppm=ppm))]
    # The first excursion opens the order; the second (inside the 10-minute cooldown) opens
    # none but closes the valve once, not on every reading of the excursion.
    assert kinds == [(31, FIRE), (60, RECOVER), (151, COMMAND)]


def test_events_in_the_cooldown_still_command_rules_without_commands_stay_silent() -> None:
    hold = {
        "id": "ebike",
        "kind": "event",
        "device_types": "cam",
        "event": "ebike",
        "cooldown": "30m",
        "order": {},
        "command": [{"target": "{device_id}-lift", "command": "hold_doors"}],
    }
    quiet = {**hold, "id": "quiet", "event": "other"}
    del quiet["command"]
    e = _engine(hold, quiet)
    d = DeviceView(1, "t", "c", "cam")
    got = [t.kind for s in (0, 60, 120) for t in e.observe(d, _msg(s, "ebike"))]
    assert got == [FIRE, COMMAND, COMMAND]
    got = [t.kind for s in (0, 60) for t in e.observe(d, _msg(s, "other"))]
    assert got == [FIRE]


def test_rate_rules_command_each_time_the_count_is_reached() -> None:
    rate = {
        "id": "r",
        "kind": "rate",
        "device_types": "cam",
        "event": "drop",
        "count": 2,
        "within": "1h",
        "cooldown": "2h",
        "order": {},
        "command": [{"target": "{device_id}-speaker", "command": "warn"}],
    }
    e = _engine(rate)
    d = DeviceView(1, "t", "c", "cam")
    got = [t.kind for s in (0, 10, 20, 30, 40) for t in e.observe(d, _msg(s, "drop"))]
    assert got == [FIRE, COMMAND]


def test_maintenance_rules_are_known_and_kept_apart_from_alarms() -> None:
    base = {"device_types": "smoke", "order": {}, "kind": "event"}
    rs = parse_rules(
        {
            "device_types": TYPES,
            "rules": [
                {**base, "id": "battery", "event": "battery_low"},
                {**base, "id": "alarm", "event": "smoke_alarm", "recovery": {"event": "clear"}},
                {"id": "off", "kind": "offline", "device_types": "*", "order": {}},
                {**base, "id": "dirty", "event": "chamber_dirty", "maintenance": True},
            ],
        }
    )
    assert {r.id: r.maintenance for r in rs.rules} == {
        "battery": True,
        "alarm": False,
        "off": True,
        "dirty": True,
    }
    with pytest.raises(RulesInvalid) as err:
        parse_rules(
            {
                "device_types": TYPES,
                "rules": [
                    {**base, "id": "mixed", "event": ["smoke_alarm", "battery_low"]},
                    {**base, "id": "denied", "event": "tamper", "maintenance": False},
                    {**base, "id": "odd", "event": "x", "maintenance": "yes"},
                ],
            }
        )
    fields = {(p.rule, p.field) for p in err.value.problems}
    assert fields == {("mixed", "event"), ("denied", "maintenance"), ("odd", "maintenance")}


def _at(s: float) -> timedelta:
    return timedelta(seconds=s)


def test_battery_low_gets_its_own_order_beside_the_open_alarm(
    started: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Switched on for this test only: the settings outlive it.
    monkeypatch.setattr(started.ctx.settings, "incident_linking", True)
    smoke = started.register("smoke-9", "smoke_detector")
    started.send(smoke, "event", at=T0, type="smoke_alarm", values={"smoke_db_m": 0.3})
    started.wait()
    started.send(smoke, "event", at=T0 + _at(60), type="battery_low", values={"battery": 8})
    started.wait()
    alarm, battery = started.orders()
    assert alarm["category"] == "公共安全/消防安全/火灾隐患" and alarm["urgency"] == "urgent"
    assert battery["category"] == "公共安全/消防安全/消防设施损坏"
    assert battery["urgency"] == "normal" and battery["id"] != alarm["id"]
    assert battery["routing"]["sensing"]["maintenance"] is True
    assert "linked_to" not in battery["routing"]
    assert [a for a, _ in alarm["events"]].count("link") == 0


def test_an_alarm_never_joins_an_open_maintenance_order(
    started: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Switched on for this test only: the settings outlive it.
    monkeypatch.setattr(started.ctx.settings, "incident_linking", True)
    smoke = started.register("smoke-8", "smoke_detector")
    started.send(smoke, "event", at=T0, type="battery_low", values={"battery": 8})
    started.wait()
    started.send(smoke, "event", at=T0 + _at(60), type="smoke_alarm", values={"smoke_db_m": 0.4})
    started.wait()
    battery, alarm = started.orders()
    assert battery["routing"]["sensing"]["maintenance"] is True
    assert alarm["urgency"] == "urgent" and alarm["routing"]["sensing"]["maintenance"] is False
    assert "linked_to" not in alarm["routing"]
    assert [a for a, _ in battery["events"]].count("link") == 0


def test_alarms_of_two_rules_on_one_device_stay_apart(
    started: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: a sensor event links only within its own rule, whatever the text says."""
    monkeypatch.setattr(started.ctx.settings, "incident_linking", True)
    band = started.register("band-7", "wearable", name="李奶奶手环")
    for s in (0, 30, 61):
        started.send(band, at=T0 + _at(s), values={"heart_rate": 141.0, "spo2": 97.0})
    started.send(band, "event", at=T0 + _at(90), type="sos")
    started.wait()
    heart, sos = started.orders()
    assert heart["category"] == sos["category"] and heart["id"] != sos["id"]
    assert "linked_to" not in sos["routing"]
    assert [a for a, _ in heart["events"]].count("link") == 0


def test_two_detectors_of_one_rule_in_one_stairwell_share_an_order(
    started: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(started.ctx.settings, "incident_linking", True)
    where = {"address": "东湖名都3栋2单元楼道"}
    first = started.register("smoke-15f", "smoke_detector", **where)
    second = started.register("smoke-16f", "smoke_detector", **where)
    started.send(first, "event", at=T0, type="smoke_alarm", values={"smoke_db_m": 0.3})
    started.wait()
    started.send(second, "event", at=T0 + _at(30), type="smoke_alarm", values={"smoke_db_m": 0.2})
    started.wait()
    rows = started.orders()
    assert len(rows) == 2 and len({r["id"] for r in rows}) == 1  # two callers, one order
    assert [a for a, _ in rows[0]["events"]].count("link") == 1
    with started.ctx.uow() as uow:
        linked = uow.session.execute(
            select(AppealRow.understanding).where(AppealRow.external_id.contains("smoke-16f"))
        ).scalar_one()
    evidence = linked["duplicate"]["evidence"]
    assert evidence["sensing_rule"] == "smoke_alarm" and evidence["distance_m"] == 0.0
