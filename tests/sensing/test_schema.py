from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityloop.sensing.schema import InvalidMessage, parse_message, parse_topic

NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def parse(payload: bytes, kind: str = "event"):  # type: ignore[no-untyped-def]
    return parse_message(f"cityloop/t1/devices/cam-1/{kind}", payload, "cityloop", NOW)


def test_a_full_event_is_parsed() -> None:
    m = parse(
        b'{"message_id": "a-1", "type": "fall_detected", "time": "2026-09-30T09:59:00+08:00",'
        b' "values": {"dwell_s": 12, "ok": true, "zone": "B"}, "image": {"url": "https://x/1.jpg"},'
        b' "confidence": 0.9, "model": "m1"}'
    )
    assert (m.tenant, m.device_id, m.kind, m.type) == ("t1", "cam-1", "event", "fall_detected")
    assert m.time == datetime(2026, 9, 30, 1, 59, tzinfo=UTC)
    assert m.values == {"dwell_s": 12.0, "ok": True, "zone": "B"}
    assert (m.image, m.confidence, m.model) == ("https://x/1.jpg", 0.9, "m1")
    assert m.number("dwell_s") == 12.0 and m.number("ok") is None


def test_defaults_by_kind_and_epoch_time() -> None:
    assert parse(b'{"message_id": "1", "time": 1790000000}', "telemetry").type == "reading"
    assert parse(b'{"message_id": "1", "time": 1790000000}', "status").type == "heartbeat"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[1]", "payload"),
        (b"{", "json"),
        (b'{"type": "x", "time": 1}', "message_id"),
        (b'{"message_id": "a b", "type": "x", "time": 1}', "message_id"),
        (b'{"message_id": "1", "time": 1}', "type"),
        (b'{"message_id": "1", "type": "x"}', "time"),
        (b'{"message_id": "1", "type": "x", "time": "2026-09-30T10:00:00"}', "time"),
        (b'{"message_id": "1", "type": "x", "time": "2027-01-01T00:00:00Z"}', "time"),
        (b'{"message_id": "1", "type": "x", "time": 1, "values": [1]}', "values"),
        (b'{"message_id": "1", "type": "x", "time": 1, "values": {"a": null}}', "values"),
        (b'{"message_id": "1", "type": "x", "time": 1, "confidence": 1.5}', "confidence"),
        (b'{"message_id": "1", "type": "x", "time": 1, "image": 5}', "image"),
    ],
)
def test_invalid_payloads_name_the_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage) as err:
        parse(payload)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    "topic",
    [
        "cityloop/t1/devices/cam-1",
        "other/t1/devices/cam-1/event",
        "cityloop/t1/things/cam-1/event",
        "cityloop/t1/devices/cam-1/command",
        "cityloop/t 1/devices/cam-1/event",
    ],
)
def test_bad_topics(topic: str) -> None:
    with pytest.raises(InvalidMessage) as err:
        parse_topic(topic, "cityloop")
    assert err.value.reason == "topic"
