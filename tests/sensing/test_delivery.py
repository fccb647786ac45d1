"""Delivery guarantees on the real broker: a persistent session keeps what was published while
CityLoop was down; reprocessing a message id does nothing twice; bad messages are counted with
their reason and never stop the consumer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from cityloop.sensing.pipeline import Inbound
from cityloop.sensing.schema import topic_for
from cityloop.sensing.store import ProcessedMessageRow
from tests.conftest import START
from tests.sensing.conftest import Rig

T0 = START - timedelta(minutes=5)


def test_messages_published_while_down_are_processed_after_restart(rig: Rig) -> None:
    rig.register("fall-1", "fall_camera")
    rig.start()
    rig.stop()  # CityLoop goes down; the broker keeps the session (fixed client id)
    rig.send("fall-1", "event", at=T0, type="fall_detected", confidence=0.95)
    rig.sent = 0
    consumer = rig.start()
    assert consumer.session_present is True
    rig.wait(1)
    assert [o["urgency"] for o in rig.orders()] == ["urgent"]


def test_reprocessing_a_committed_message_does_nothing_twice(started: Rig) -> None:
    started.register("smoke-1", "smoke_detector")
    topic = topic_for("cityloop", started.cfg.mqtt_tenant, "smoke-1", "event")
    body = b'{"message_id": "m-1", "type": "smoke_alarm", "time": "%s"}' % T0.isoformat().encode()
    assert started.consumer is not None
    pipeline = started.consumer.pipeline
    first = pipeline.process([Inbound(topic, body)])
    again = pipeline.process([Inbound(topic, body)])  # a redelivery after a crash before PUBACK
    assert (len(first.orders), first.accepted) == (1, 1)
    assert (again.orders, again.accepted, again.duplicates) == ([], 0, 1)
    # Even with its processed key pruned, the intake's (sensor, external_id) key holds.
    with started.ctx.uow() as uow:
        uow.session.execute(delete(ProcessedMessageRow))
        uow.commit()
    pipeline.engine.forget({d.pk for d in pipeline.devices.all()})
    third = pipeline.process([Inbound(topic, body)])
    assert third.orders == [] and len(started.orders()) == 1


def test_invalid_messages_are_counted_by_reason_and_the_consumer_goes_on(started: Rig) -> None:
    started.register("gas-1", "gas_detector")
    started.send("gas-1", raw=b"{not json")
    started.send("gas-1", raw=b'{"time": "2026-09-30T09:00:00+08:00"}')
    started.send("ghost", values={"gas_ppm": 1.0})
    started.send("gas-1", at=START + timedelta(hours=2), values={"gas_ppm": 1.0})
    started.send("gas-1", values={"Gas ppm": 1.0})
    started.send("gas-1", "status", type="rebooting")
    started.send("gas-1", at=T0, values={"gas_ppm": 80.0})
    started.send("gas-1", at=T0 + timedelta(seconds=40), values={"gas_ppm": 80.0})
    started.wait()
    assert started.consumer is not None
    assert dict(started.consumer.stats.invalid) == {
        "json": 1,
        "message_id": 1,
        "unknown_device": 1,
        "time": 1,
        "values": 1,
        "type": 1,
    }
    assert len(started.orders()) == 1
    with started.ctx.uow() as uow:
        n = uow.session.execute(select(func.count()).select_from(ProcessedMessageRow))
        assert n.scalar_one() == 2


def test_a_threshold_excursion_survives_a_restart(rig: Rig) -> None:
    rig.register("gas-1", "gas_detector")
    rig.start()
    for s in (0, 10):
        rig.send("gas-1", at=T0 + timedelta(seconds=s), values={"gas_ppm": 90.0})
    rig.wait()
    rig.stop()
    rig.sent = 0
    rig.start()  # a new process: the excursion's start comes back from the device's marks
    rig.send("gas-1", at=T0 + timedelta(seconds=31), values={"gas_ppm": 90.0})
    rig.wait()
    [order] = rig.orders()
    assert "31秒" in order["content"]


def test_a_new_alarm_reaches_the_screens_when_its_batch_commits_and_not_before(
    started: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    started.register("smoke-9", "smoke_detector", address="幸福小区3栋")
    topic = topic_for("cityloop", started.cfg.mqtt_tenant, "smoke-9", "event")
    assert started.consumer is not None
    pipeline = started.consumer.pipeline

    def body(mid: str) -> bytes:
        return b'{"message_id": "%s", "type": "smoke_alarm", "time": "%s"}' % (
            mid.encode(),
            T0.isoformat().encode(),
        )

    # A batch that fails before its commit announces nothing (its incident is rolled back).
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline, "_flush_devices", broken)
    with pytest.raises(RuntimeError):
        pipeline.process([Inbound(topic, body("a-1"))])
    pipeline.recover_from_failure([Inbound(topic, body("a-1"))])
    assert started.alarms.sent == []
    monkeypatch.undo()

    first = pipeline.process([Inbound(topic, body("a-1"))])
    assert len(first.orders) == 1
    [alarm] = started.alarms.sent
    assert alarm["ticket_no"] == first.orders[0] and alarm["incident_id"] > 0
    assert alarm["place"] == "幸福小区3栋" and alarm["device_id"] == "smoke-9"
    assert alarm["grid_code"]  # a supervisor's stream filters by it
    # The same device alarming again joins the open incident: no second pop-up.
    pipeline.process([Inbound(topic, body("a-2"))])
    assert len(started.alarms.sent) == 1
