"""The device and alarm page's reads: open alarms, invalid-message counts by device and
reason (kept in the database, so they survive a restart), devices by status; a supervisor
sees only the devices in their region, an operator nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.sensing.pipeline import Inbound
from cityloop.sensing.schema import topic_for
from tests.conftest import EAST, START, WEST
from tests.sensing.conftest import Rig

T0 = START - timedelta(minutes=5)


def test_alarms_invalid_counts_and_status_by_jurisdiction(started: Rig, users) -> None:
    started.register("smoke-w", "smoke_detector", at=WEST, name="幸福里烟感")
    started.register("smoke-e", "smoke_detector", at=EAST)
    started.register("gas-w", "gas_detector", at=WEST)
    prefix, tenant = started.cfg.mqtt_topic_prefix, started.cfg.mqtt_tenant
    assert started.consumer is not None
    pipeline = started.consumer.pipeline

    def msg(device: str, body: bytes, kind: str = "event") -> Inbound:
        return Inbound(topic_for(prefix, tenant, device, kind), body)

    alarm = b'{"message_id": "%s", "type": "smoke_alarm", "time": "%s"}'
    out = pipeline.process(
        [
            msg("smoke-w", alarm % (b"a-1", T0.isoformat().encode())),
            msg("smoke-e", alarm % (b"a-2", T0.isoformat().encode())),
            msg("gas-w", b"{not json", "telemetry"),
            msg("gas-w", b"{still not json", "telemetry"),
            msg("gas-w", b'{"time": "2026-09-30T09:00:00+08:00"}', "telemetry"),
            msg("ghost", alarm % (b"g-1", T0.isoformat().encode())),
            Inbound("elsewhere/entirely", b"{}"),
        ]
    )
    assert len(out.orders) == 2 and len(out.invalid) == 5
    app = create_app(started.ctx, web=False)
    app.state.sensing_config = started.cfg
    api = TestClient(app)

    admin = users.headers("admin")
    alarms = api.get("/api/v1/sensing/alarms", headers=admin).json()
    assert alarms["total"] == 2
    west = next(a for a in alarms["items"] if a["device_id"] == "smoke-w")
    assert west["device_name"] == "幸福里烟感" and west["ticket_no"] and west["rule_name"]
    assert west["grid_code"] == "990102001001001"

    invalid = api.get("/api/v1/sensing/invalid", headers=admin).json()
    counts = {(i["device_id"], i["reason"]): i["count"] for i in invalid["items"]}
    assert counts[("gas-w", "json")] == 2 and counts[("gas-w", "message_id")] == 1
    assert counts[("ghost", "unknown_device")] == 1 and counts[("", "topic")] == 1
    assert invalid["total"] == 5
    assert next(i for i in invalid["items"] if i["device_id"] == "ghost")["registered"] is False

    # A second batch adds to the counts (they are rows, not a process's memory).
    pipeline.process([msg("gas-w", b"[", "telemetry")])
    again = api.get("/api/v1/sensing/invalid", headers=admin).json()
    assert {(i["device_id"], i["reason"]): i["count"] for i in again["items"]}[
        ("gas-w", "json")
    ] == 3

    status = api.get("/api/v1/sensing/summary", headers=admin).json()["status"]
    assert status == {"online": 2, "offline": 0, "unknown": 1}

    # The west supervisor (河西街道) sees the west devices only; an operator sees nothing.
    sup = users.headers("sup_west")
    mine = api.get("/api/v1/sensing/alarms", headers=sup).json()
    assert [a["device_id"] for a in mine["items"]] == ["smoke-w"]
    theirs = api.get("/api/v1/sensing/invalid", headers=sup).json()
    assert {i["device_id"] for i in theirs["items"]} == {"gas-w"}
    assert api.get("/api/v1/sensing/summary", headers=sup).json()["status"]["online"] == 1
    for path in ("alarms", "invalid", "summary"):
        assert (
            api.get(f"/api/v1/sensing/{path}", headers=users.headers("operator")).status_code == 403
        )
