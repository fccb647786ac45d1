"""Every shipped device type, end to end: real MQTT messages to the broker → the consumer →
rules → orders in the database (a unique tenant per test)."""

from __future__ import annotations

from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from cityloop.domain.statuses import Action
from cityloop.sensing.registry import list_devices
from cityloop.sensing.store import DeviceRow, IncidentRow
from cityloop.services.orders import ActionInput, perform
from tests.conftest import START
from tests.sensing.conftest import Rig

T0 = START - timedelta(minutes=30)
GRID = "990102001001001"  # WEST is in 幸福1网格 (河西街道)


def at(s: float) -> timedelta:
    return timedelta(seconds=s)


def test_fall_camera_urgent_order_to_the_grid_and_recovery_only_comments(started: Rig) -> None:
    cam = started.register("fall-1", "fall_camera", name="幸福小区3栋大厅")
    started.register("fall-2", "fall_camera")
    started.send("fall-2", "event", at=T0, type="fall_detected", confidence=0.5)
    started.send(
        cam,
        "event",
        at=T0,
        type="fall_detected",
        confidence=0.93,
        model="yolo-fall-v3",
        image="https://cam.example/fall-1/1.jpg",
    )
    started.wait()
    [order] = started.orders()
    assert order["category"] == "民政与社区/养老服务/居家养老"
    assert order["urgency"] == "urgent"
    assert order["grid_code"] == GRID
    assert (order["status"], order["lead"]) == ("dispatched", "D-HX")
    assert "人员跌倒" in order["title"] and "0.93" in order["content"]
    assert order["attachments"][0]["url"] == "https://cam.example/fall-1/1.jpg"
    assert order["routing"]["sensing"]["confidence"] == 0.93
    assert [n.to for n in started.notifier.sent] == [f"grid:{GRID}"]
    # The person got up: a life-safety order is never cancelled by the camera, only noted.
    started.send(cam, "event", at=T0 + at(30), type="person_up")
    started.wait()
    [order] = started.orders()
    assert order["status"] == "dispatched"
    assert order["events"][-1][0] == "comment" and "恢复正常" in order["events"][-1][1]


def test_fire_lane_camera_ignores_short_stops_and_cancels_when_clear(started: Rig) -> None:
    cam = started.register("lane-1", "fire_lane_camera")
    started.send(
        cam, "event", at=T0, type="fire_lane_blocked", confidence=0.9, values={"dwell_s": 120}
    )
    started.wait()
    assert started.orders() == []
    started.send(
        cam,
        "event",
        at=T0 + at(400),
        type="fire_lane_blocked",
        confidence=0.9,
        values={"dwell_s": 600},
    )
    started.wait()
    [order] = started.orders()
    assert order["category"] == "交通出行/停车管理/占用消防通道"
    assert order["urgency"] == "normal" and order["status"] == "dispatched"
    started.send(cam, "event", at=T0 + at(900), type="fire_lane_clear")
    started.wait()
    [order] = started.orders()
    assert order["status"] == "cancelled"
    assert order["events"][-1] == (
        "cancel",
        "设备已恢复正常（消防通道已畅通），自动关闭（无读数，"
        + order["events"][-1][1].split("无读数，")[1],
    )


def test_lift_camera_holds_the_doors_for_every_ebike_while_the_order_cools_down(
    started: Rig,
) -> None:
    cam = started.register("lift-7", "lift_camera")
    started.send(cam, "event", at=T0, type="ebike_detected", confidence=0.97)
    started.send(cam, "event", at=T0 + at(60), type="ebike_detected", confidence=0.97)
    started.send(cam, "event", at=T0 + at(120), type="ebike_detected", confidence=0.5)
    started.wait()
    [order] = started.orders()  # one order: the second e-bike falls in its 30-minute cooldown
    assert order["category"] == "公共安全/消防安全/电动车违规充电"
    lift = f"cityloop/{started.cfg.mqtt_tenant}/devices/lift-7-lift/command"
    # …but the doors are held for each e-bike seen; not for a sighting below the confidence.
    assert [(t, p["command"]) for t, p in started.commands] == [
        (lift, "hold_doors_and_warn"),
        (lift, "hold_doors_and_warn"),
    ]
    assert len({p["command_id"] for _, p in started.commands}) == 2


def test_smoke_detector_alarm_notifies_fire_brigade_and_a_redelivery_does_nothing(
    started: Rig,
) -> None:
    smoke = started.register("smoke-1", "smoke_detector")
    mid = started.send(smoke, "event", at=T0, type="smoke_alarm", values={"smoke_db_m": 0.3})
    started.send(
        smoke, "event", at=T0, type="smoke_alarm", message_id=mid, values={"smoke_db_m": 0.3}
    )
    started.wait()
    [order] = started.orders()
    assert order["category"] == "公共安全/消防安全/火灾隐患" and order["urgency"] == "urgent"
    assert order["external_id"] == f"{started.cfg.mqtt_tenant}/smoke-1/smoke_alarm/{mid}"
    assert sorted(n.to for n in started.notifier.sent) == ["department:D-XF", f"grid:{GRID}"]
    assert started.consumer is not None and started.consumer.stats.duplicates == 1
    started.send(smoke, "event", at=T0 + at(120), type="smoke_clear")
    started.wait()
    [order] = started.orders()
    assert order["status"] == "dispatched" and order["events"][-1][0] == "comment"


def test_gas_detector_threshold_must_hold_30_seconds_with_hysteresis(started: Rig) -> None:
    gas = started.register("gas-1", "gas_detector")
    for s in (0, 10, 20):
        started.send(gas, at=T0 + at(s), values={"gas_ppm": 60.0})
    started.wait()
    assert started.orders() == []
    for s in (31, 40):
        started.send(gas, at=T0 + at(s), values={"gas_ppm": 75.0})
    started.wait()
    [order] = started.orders()
    assert order["category"] == "水电气/燃气/燃气泄漏"
    assert (order["urgency"], order["lead"]) == ("urgent", "D-RQ")
    assert "75 ppm" in order["content"] and "31秒" in order["content"]
    assert [p["command"] for _, p in started.commands] == ["close_valve"]
    started.send(gas, at=T0 + at(50), values={"gas_ppm": 30.0})  # between the limits
    started.wait()
    assert started.orders()[0]["events"][-1][0] == "dispatch"
    started.send(gas, at=T0 + at(60), values={"gas_ppm": 5.0})
    started.wait()
    [order] = started.orders()
    assert order["status"] == "dispatched" and order["events"][-1][0] == "comment"


def test_manhole_cover_cancelled_before_acceptance_commented_after(started: Rig, users) -> None:
    a = started.register("mh-1", "manhole_sensor")
    b = started.register("mh-2", "manhole_sensor")
    for dev in (a, b):
        started.send(dev, at=T0, values={"tilt_deg": 30.0})
        started.send(dev, at=T0 + at(11), values={"tilt_deg": 31.0})
    started.wait()
    first, second = started.orders()
    assert first["category"] == "城市管理/市政设施/井盖缺失破损" and first["urgency"] == "urgent"
    perform(started.ctx, second["id"], Action.ACCEPT, ActionInput(), users.actor("cg"))
    for dev in (a, b):
        started.send(dev, at=T0 + at(60), values={"tilt_deg": 1.0})
    started.wait()
    first, second = started.orders()
    assert first["status"] == "cancelled"
    assert second["status"] == "accepted" and second["events"][-1][0] == "comment"


def test_garbage_camera_counts_per_point_and_outside_hours(started: Rig) -> None:
    cam = started.register("gb-1", "garbage_camera")
    for s in (0, 600, 1200):
        started.send(
            cam,
            "event",
            at=T0 + at(s),
            type="garbage_unsorted",
            confidence=0.8,
            values={"point": "A"},
        )
    for s in (0, 900):
        started.send(
            cam,
            "event",
            at=T0 + at(s),
            type="garbage_unsorted",
            confidence=0.8,
            values={"point": "B"},
        )
    # 10:00 is outside the drop-off hours (07-09, 18-21): three drops within the hour.
    for s in (0, 60, 120):
        started.send(cam, "event", at=T0 + at(s), type="garbage_dropped", values={"point": "A"})
    started.wait()
    orders = started.orders()
    assert [o["category"] for o in orders] == ["城市管理/市容环境/乱堆乱放"] * 2
    assert "投放点 A" in orders[0]["content"] and "3 次" in orders[0]["content"]
    assert "非投放时段" in orders[1]["title"]


def test_wearable_vitals_and_sos(started: Rig) -> None:
    band = started.register("band-1", "wearable", name="张大爷手环")
    for s in (0, 30, 61):
        started.send(band, at=T0 + at(s), values={"heart_rate": 142.0, "spo2": 96.0})
    started.send(band, "event", at=T0 + at(90), type="sos")
    started.wait()
    orders = started.orders()
    assert [o["title"] for o in orders] == ["张大爷手环心率异常", "张大爷手环一键呼救"]
    assert {o["urgency"] for o in orders} == {"urgent"}


def test_smart_meter_absence_only_for_elderly_living_alone(started: Rig) -> None:
    alone = started.register("meter-1", "smart_meter", care_tags=("独居老人",))
    family = started.register("meter-2", "smart_meter")
    clock = started.ctx.clock
    for dev in (alone, family):
        started.send(dev, at=START, values={"kwh": 0.6})
    started.wait()
    started.tick()
    clock.set(START + timedelta(hours=47))  # type: ignore[attr-defined]
    for dev in (alone, family):  # tiny standby use does not count as living use
        started.send(dev, at=START + timedelta(hours=47), values={"kwh": 0.05})
    started.wait()
    started.tick()
    assert started.orders() == []
    clock.set(START + timedelta(hours=48, minutes=1))  # type: ignore[attr-defined]
    for dev in (alone, family):  # still online (heartbeats), still no real use
        started.send(dev, "status", at=clock.now(), type="heartbeat")
    started.wait()
    started.tick()
    [order] = started.orders()
    assert order["category"] == "民政与社区/养老服务/居家养老" and order["urgency"] == "urgent"
    assert "48" in order["title"]
    with started.ctx.uow() as uow:
        marks = uow.session.execute(
            select(DeviceRow.marks).where(DeviceRow.device_id == alone)
        ).scalar_one()
    assert "elderly_no_power" in marks
    started.send(alone, at=START + timedelta(hours=48, minutes=2), values={"kwh": 0.4})
    started.wait()
    [order] = started.orders()
    assert order["status"] == "cancelled" and "恢复用电" in order["events"][-1][1]


def test_weather_station_brightens_and_restores_street_lights(started: Rig) -> None:
    seen: list[tuple[str, bytes]] = []
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = lambda c, u, m: seen.append((m.topic, m.payload))
    sub.connect("127.0.0.1", 1883)
    sub.subscribe(f"cityloop/{started.cfg.mqtt_tenant}/devices/+/command", qos=1)
    sub.loop_start()
    try:
        ws = started.register("ws-1", "weather_station")
        for s, vis in ((0, 200.0), (61, 180.0), (120, 400.0), (180, 800.0)):
            started.send(ws, at=T0 + at(s), values={"visibility_m": vis, "lux": 3000.0})
        started.wait()
        import time

        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert started.orders() == []
    topic = f"cityloop/{started.cfg.mqtt_tenant}/devices/streetlights-{GRID}/command"
    assert [(t, p["command"], p["args"]) for t, p in started.commands] == [
        (topic, "brighten", {"level": 100}),
        (topic, "restore_schedule", {}),
    ]
    assert [t for t, _ in seen] == [topic, topic]


def test_soil_station_irrigates_and_orders_after_six_dry_hours(started: Rig) -> None:
    soil = started.register("soil-1", "soil_station")
    base = START - timedelta(hours=7)
    for h in (0, 3, 6.01):
        started.send(soil, at=base + timedelta(hours=h), values={"moisture_pct": 11.0})
    started.wait()
    [order] = started.orders()
    assert order["category"] == "园林绿化/绿地管理" and order["urgency"] == "normal", order
    assert [p["command"] for _, p in started.commands] == ["irrigate"]
    started.send(soil, at=base + timedelta(hours=6.5), values={"moisture_pct": 24.0})
    started.wait()
    [order] = started.orders()
    assert order["status"] == "cancelled"


def test_silent_device_goes_offline_with_a_maintenance_order(started: Rig) -> None:
    smoke = started.register("smoke-9", "smoke_detector", model="JTY-GD-H386")
    started.register("smoke-never", "smoke_detector")
    started.send(smoke, "status", at=START, type="heartbeat")
    started.wait()
    started.tick()
    clock = started.ctx.clock
    clock.set(START + timedelta(minutes=16))  # type: ignore[attr-defined]
    started.tick()
    [order] = started.orders()
    assert order["status"] == "pending_dispatch" and order["category"] is None
    assert "离线" in order["title"] and "JTY-GD-H386" in order["content"]
    page = list_devices(started.ctx, timedelta(minutes=15), tenant=started.cfg.mqtt_tenant)
    assert {d["device_id"]: d["status"] for d in page["items"]} == {
        "smoke-9": "offline",
        "smoke-never": "unknown",
    }
    started.send(smoke, "status", at=clock.now(), type="heartbeat")
    started.wait()
    [order] = started.orders()
    assert order["status"] == "cancelled" and "恢复在线" in order["events"][-1][1]
    started.tick()
    page = list_devices(started.ctx, timedelta(minutes=15), tenant=started.cfg.mqtt_tenant)
    assert {d["device_id"]: d["status"] for d in page["items"]}["smoke-9"] == "online"


def test_one_open_order_per_device_and_rule_until_it_is_closed(started: Rig, users) -> None:
    cam = started.register("fall-3", "fall_camera")
    started.send(cam, "event", at=T0, type="fall_detected", confidence=0.9)
    started.send(cam, "event", at=T0 + at(300), type="fall_detected", confidence=0.9)
    started.wait()
    [order] = started.orders()
    with started.ctx.uow() as uow:
        inc = uow.session.execute(select(IncidentRow)).scalar_one()
        assert (inc.status, inc.repeats) == ("open", 1)
    perform(
        started.ctx, order["id"], Action.CANCEL, ActionInput(note="误报"), users.actor("dispatcher")
    )
    started.send(cam, "event", at=T0 + at(600), type="fall_detected", confidence=0.9)
    started.wait()
    assert [o["status"] for o in started.orders()] == ["cancelled", "dispatched"]
