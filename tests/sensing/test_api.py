"""The registry over HTTP (list with status, CSV import) and the vendors' webhook, which
publishes onto the device's topic so the one consumer takes it like any MQTT message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.sensing.router import router
from cityloop.sensing.service import create_vendor, revoke_vendor
from tests.conftest import START
from tests.sensing.conftest import Rig


@pytest.fixture
def api(rig: Rig) -> TestClient:
    app = create_app(rig.ctx, web=False)
    app.include_router(router)
    app.state.sensing_config = rig.cfg
    return TestClient(app)


CSV = (
    "device_id,type,lon,lat,model,name,address,owner,care_tags\n"
    "meter-1,smart_meter,104.05,30.1,DDZY,1栋101电表,幸福小区1栋101,,独居老人\n"
    "cam-1,fall_camera,104.3,30.1,AIC,大厅摄像头,和平小区大厅,D-CG,\n"
)


def test_import_and_list_devices(api: TestClient, rig: Rig, users) -> None:
    admin = users.headers("admin")
    r = api.post(
        "/api/v1/sensing/devices/import",
        headers=admin,
        files={"file": ("d.csv", CSV.encode(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2}
    r = api.get(
        "/api/v1/sensing/devices",
        headers=users.headers("dispatcher"),
        params={"tenant": rig.cfg.mqtt_tenant},
    )
    items = {d["device_id"]: d for d in r.json()["items"]}
    assert items["meter-1"]["grid_code"] == "990102001001001"
    assert items["meter-1"]["owner"] == "990102001001" and items["meter-1"]["care_tags"] == [
        "独居老人"
    ]
    assert items["cam-1"]["owner_name"] == "市城市管理局"
    assert {d["status"] for d in items.values()} == {"unknown"}
    assert api.get("/api/v1/sensing/devices", headers=users.headers("resident")).status_code == 403


def test_device_list_is_scoped_to_the_viewers_jurisdiction(api: TestClient, rig: Rig, users):
    """meter-1 stands in 河西 (west), cam-1 in 河东 (east): each street's supervisor and the
    west grid worker see their own side only; the dispatcher sees both."""
    r = api.post(
        "/api/v1/sensing/devices/import",
        headers=users.headers("admin"),
        files={"file": ("d.csv", CSV.encode(), "text/csv")},
    )
    assert r.status_code == 200, r.text

    def seen(who: str, **params: str) -> tuple[set[str], int]:
        r = api.get("/api/v1/sensing/devices", headers=users.headers(who), params=params)
        assert r.status_code == 200, r.text
        return {d["device_id"] for d in r.json()["items"]}, r.json()["total"]

    assert seen("dispatcher") == ({"meter-1", "cam-1"}, 2)
    assert seen("sup_west") == ({"meter-1"}, 1)
    assert seen("sup_east") == ({"cam-1"}, 1)
    assert seen("grid_west") == ({"meter-1"}, 1)
    # A filter cannot widen the scope: the west supervisor asking for the east grid gets nothing.
    assert seen("sup_west", grid="990102002001001") == (set(), 0)


def test_import_errors_name_line_and_field_and_import_nothing(api: TestClient, users) -> None:
    bad = (
        "device_id,type,lon,lat,owner\n"
        "ok-1,gas_detector,104.05,30.1,\n"
        "bad id,toaster,104.05,30.1,\n"
        "far-1,gas_detector,120.0,30.1,D-NOPE\n"
        "ok-1,gas_detector,abc,30.1,\n"
    )
    r = api.post(
        "/api/v1/sensing/devices/import",
        headers=users.headers("admin"),
        files={"file": ("d.csv", bad.encode(), "text/csv")},
    )
    assert r.status_code == 422
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert errors == {
        (3, "device_id"),
        (3, "type"),
        (4, "lon"),
        (4, "owner"),
        (5, "device_id"),
        (5, "lon"),
    }
    r = api.get("/api/v1/sensing/devices", headers=users.headers("admin"))
    assert r.json()["total"] == 0


def test_webhook_takes_vendor_events_through_the_broker(api: TestClient, rig: Rig) -> None:
    rig.register("smoke-1", "smoke_detector")
    rig.start()
    _, token = create_vendor(rig.ctx, "海康", rig.cfg.mqtt_tenant)
    t = (START - timedelta(minutes=1)).isoformat()
    r = api.post(
        "/api/v1/sensing/events",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "events": [
                {"device_id": "smoke-1", "message_id": "v-1", "type": "smoke_alarm", "time": t},
                {"device_id": "smoke-1", "message_id": "v-2", "time": t},
                {"device_id": "ghost", "message_id": "v-3", "type": "smoke_alarm", "time": t},
            ]
        },
    )
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == [{"device_id": "smoke-1", "message_id": "v-1"}]
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [
        (1, "type"),
        (2, "unknown_device"),
    ]
    rig.wait(1)
    [order] = rig.orders()
    assert order["category"] == "公共安全/消防安全/火灾隐患"
    revoke_vendor(rig.ctx, "海康")
    r = api.post(
        "/api/v1/sensing/events",
        headers={"Authorization": f"Bearer {token}"},
        json={"device_id": "smoke-1", "message_id": "v-9", "type": "x", "time": t},
    )
    assert r.status_code == 401


def test_webhook_accepts_admins_and_refuses_others(api: TestClient, rig: Rig, users) -> None:
    rig.register("gas-1", "gas_detector")
    t = (START - timedelta(minutes=1)).isoformat()
    one = {
        "device_id": "gas-1",
        "kind": "telemetry",
        "message_id": "a-1",
        "time": t,
        "values": {"gas_ppm": 3},
    }
    assert api.post("/api/v1/sensing/events", json=one).status_code == 401
    r = api.post("/api/v1/sensing/events", json=one, headers=users.headers("dispatcher"))
    assert r.status_code == 403
    r = api.post("/api/v1/sensing/events", json=one, headers=users.headers("admin"))
    assert r.status_code == 202 and r.json()["accepted"][0]["message_id"] == "a-1"
    bad = {**one, "time": "yesterday"}
    r = api.post("/api/v1/sensing/events", json=bad, headers=users.headers("admin"))
    assert r.status_code == 422 and r.json()["rejected"][0]["reason"] == "time"


def test_rules_are_listed(api: TestClient, users) -> None:
    r = api.get("/api/v1/sensing/rules", headers=users.headers("leader"))
    ids = {x["id"] for x in r.json()["rules"]}
    assert {"gas_leak", "elderly_no_power", "weather_low_visibility"} <= ids
