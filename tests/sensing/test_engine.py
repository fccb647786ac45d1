"""The rule engine on its own (no broker, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from cityloop.sensing.engine import FIRE, RECOVER, DeviceView, RuleEngine
from cityloop.sensing.rules import parse_rules
from cityloop.sensing.schema import Message

T0 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
TYPES = {"gas_detector": "燃气", "meter": "电表", "cam": "摄像头"}


def engine(*rules: dict) -> RuleEngine:  # type: ignore[type-arg]
    rs = parse_rules({"device_types": TYPES, "rules": list(rules)})
    return RuleEngine(rs, ZoneInfo("Asia/Shanghai"), timedelta(minutes=15))


def msg(s: float, mtype: str = "reading", **values: float) -> Message:
    return Message("t", "d", "telemetry", f"m{s}", mtype, T0 + timedelta(seconds=s), dict(values))


GAS = {
    "id": "gas",
    "kind": "threshold",
    "device_types": ["gas_detector"],
    "when": "ppm > 50",
    "for": "30s",
    "order": {},
    "recovery": {"when": "ppm < 20"},
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20), st.floats(0, 100)), min_size=1, max_size=40))
def test_threshold_fires_once_per_excursion_and_only_after_the_duration(steps) -> None:  # type: ignore[no-untyped-def]
    e = engine(GAS)
    d = DeviceView(1, "t", "d", "gas_detector")
    t, since, active = 0.0, None, False
    for dt, ppm in steps:
        t += dt
        out = e.observe(d, msg(t, ppm=ppm))
        fired = [x for x in out if x.kind == FIRE]
        if ppm > 50:
            since = t if since is None else since
            should = not active and t - since >= 30
            assert bool(fired) == should
            active = active or should
        else:
            since = None
            assert not fired
            if active and ppm < 20:
                assert [x.kind for x in out] == [RECOVER]
                active = False
            elif not active:
                assert out == []


def test_rate_counts_per_point_within_the_window() -> None:
    e = engine(
        {
            "id": "r",
            "kind": "rate",
            "device_types": "cam",
            "event": "drop",
            "count": 3,
            "within": "1h",
            "per": "point",
            "order": {},
        }
    )
    d = DeviceView(1, "t", "d", "cam")
    fired = []
    for s, point in [(0, "A"), (10, "B"), (1800, "A"), (3700, "A"), (3800, "B"), (3900, "A")]:
        m = msg(s, "drop")
        m.values = {"point": point}
        fired += e.observe(d, m)
    # A at 0 fell out of the hour by 3700; A at 1800, 3700, 3900 are three within it.
    assert [(f.value, f.count) for f in fired] == [("A", 3)]


def test_absence_needs_the_tag_and_persists_its_mark() -> None:
    e = engine(
        {
            "id": "a",
            "kind": "absence",
            "device_types": "meter",
            "when": "kwh > 0.1",
            "within": "48h",
            "require_tags": ["独居老人"],
            "order": {},
        }
    )
    alone = DeviceView(1, "t", "m1", "meter", tags=frozenset({"独居老人"}))
    other = DeviceView(2, "t", "m2", "meter")
    for d in (alone, other):
        e.observe(d, msg(0, kwh=0.5))
    assert e.dirty_marks == {1: {"a": T0}, 2: {"a": T0}}
    assert e.tick(alone, T0 + timedelta(hours=47)) == []
    [fire] = e.tick(alone, T0 + timedelta(hours=48))
    assert fire.duration == timedelta(hours=48)
    assert e.tick(other, T0 + timedelta(hours=100)) == []
    assert e.tick(alone, T0 + timedelta(hours=49)) == []  # already standing
    [rec] = e.observe(alone, msg(49 * 3600, kwh=0.2))
    assert rec.kind == RECOVER


def test_cooldown_and_outside_hours() -> None:
    e = engine(
        {
            "id": "e",
            "kind": "event",
            "device_types": "cam",
            "event": "x",
            "cooldown": "10m",
            "outside_hours": "07:00-09:00",
            "order": {},
        }
    )
    d = DeviceView(1, "t", "d", "cam")
    # T0 is 10:00 in Shanghai: outside 07-09, so it counts.
    assert len(e.observe(d, msg(0, "x"))) == 1
    assert e.observe(d, msg(300, "x")) == []  # cooling down
    assert len(e.observe(d, msg(601, "x"))) == 1
    inside = msg(-3 * 3600 + 60, "x")  # 07:01 local
    assert e.observe(DeviceView(2, "t", "d2", "cam"), inside) == []


def test_offline_after_silence_then_back() -> None:
    e = engine({"id": "off", "kind": "offline", "device_types": "*", "after": "5m", "order": {}})
    d = DeviceView(1, "t", "d", "cam")
    assert e.tick(d, T0) == []  # never seen: nothing to miss
    d.last_seen = T0
    assert e.tick(d, T0 + timedelta(minutes=4)) == []
    [fire] = e.tick(d, T0 + timedelta(minutes=5))
    assert fire.kind == FIRE and e.tick(d, T0 + timedelta(minutes=9)) == []
    [back] = e.observe(d, msg(600, "heartbeat"))
    assert back.kind == RECOVER
