"""Intake over HTTP: routing, idempotency, validation, location."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.conftest import EAST, WEST, Users, category


def _appeal(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "市民来电反映：幸福路与和平街交叉口的路灯已经坏了一周，晚上很黑，希望尽快修复。",
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    body.update(over)
    return body


def test_operator_category_auto_dispatches_by_linkage_list(client: TestClient, users: Users, ctx):
    code = category(ctx, "城乡建设/市政设施/路灯损坏")
    r = client.post(
        "/api/v1/appeals", json=_appeal(category_code=code), headers=users.headers("operator")
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ticket_no"].startswith("20260930-")
    assert body["status"] == "dispatched"
    assert body["lead_department"] == "D-CG"
    assert body["co_departments"] == ["D-HX"]
    assert body["grid_code"] == "990102001001001"
    assert body["location_status"] == "located"
    # 5 working days from Wed 30 Sep: Oct 8, 9, 10 (make-up Saturday), 12, 13 → 13 Oct 18:00.
    assert datetime.fromisoformat(body["due_at"]).astimezone(ctx.settings.tz).isoformat() == (
        "2026-10-13T18:00:00+08:00"
    )
    assert body["routing"]["category_source"] == "operator"
    assert "市城市管理局" in body["next_step"]


def test_region_specific_rule_wins_in_its_street(client: TestClient, users: Users, ctx):
    code = category(ctx, "城乡建设/市政设施/道路破损")
    r = client.post(
        "/api/v1/appeals",
        json=_appeal(category_code=code, lon=EAST[0], lat=EAST[1]),
        headers=users.headers("operator"),
    )
    assert r.status_code == 201
    assert r.json()["lead_department"] == "D-HD"


def test_without_category_waits_in_dispatch_queue(client: TestClient, users: Users):
    r = client.post("/api/v1/appeals", json=_appeal(), headers=users.headers("operator"))
    assert r.status_code == 201
    assert r.json()["status"] == "pending_dispatch"
    assert r.json()["lead_department"] is None
    assert r.json()["due_at"] is None


def test_urgent_text_uses_urgent_limit(client: TestClient, users: Users, ctx):
    code = category(ctx, "公共安全/燃气安全/燃气泄漏")
    r = client.post(
        "/api/v1/appeals",
        json=_appeal(
            content="楼道里闻到很浓的燃气味，怀疑燃气泄漏，请马上派人来！", category_code=code
        ),
        headers=users.headers("operator"),
    )
    body = r.json()
    assert body["urgency"] == "urgent"
    # 2 working hours from Wed 10:00 → 12:00 the same day.
    assert datetime.fromisoformat(body["due_at"]).astimezone(ctx.settings.tz).hour == 12
    assert body["routing"]["urgent_phrase"]


def test_same_channel_id_is_idempotent(client: TestClient, users: Users):
    h = users.headers("operator")
    first = client.post("/api/v1/appeals", json=_appeal(external_id="CALL-1"), headers=h)
    again = client.post("/api/v1/appeals", json=_appeal(external_id="CALL-1"), headers=h)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["ticket_no"] == first.json()["ticket_no"]
    listed = client.get("/api/v1/work-orders", headers=users.headers("dispatcher")).json()
    assert listed["total"] == 1
    other_channel = client.post(
        "/api/v1/appeals", json=_appeal(external_id="CALL-1", channel="sms"), headers=h
    )
    assert other_channel.status_code == 201


def test_no_coordinates_marks_location_for_review(client: TestClient, users: Users):
    body = _appeal()
    del body["lon"], body["lat"]
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201
    assert r.json()["location_status"] == "needs_review"
    assert r.json()["grid_code"] is None


def test_point_outside_every_grid_is_reported(client: TestClient, users: Users):
    r = client.post(
        "/api/v1/appeals", json=_appeal(lon=110.0, lat=35.0), headers=users.headers("operator")
    )
    assert r.status_code == 201
    assert r.json()["location_status"] == "outside"
    assert r.json()["grid_code"] is None


def _problem_fields(r) -> set[str]:
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json()["errors"]}


def test_validation_errors_name_the_field_and_change_nothing(client: TestClient, users: Users):
    h = users.headers("operator")
    cases = [
        (_appeal(content="短"), "content"),
        (_appeal(reporter_phone="12345"), "reporter_phone"),
        (_appeal(lat=95.0), "lat"),
        (_appeal(channel="telegram"), "channel"),
        (_appeal(lon=None), "body"),
        (_appeal(category_code="9999"), "category_code"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/appeals", json=body, headers=h)
        assert r.status_code == 422, (field, r.text)
        assert field in _problem_fields(r), (field, r.json())
    assert client.get("/api/v1/work-orders", headers=h).json()["total"] == 0


def test_channel_needs_the_right_role(client: TestClient, users: Users):
    assert client.post("/api/v1/appeals", json=_appeal()).status_code == 403
    r = client.post("/api/v1/appeals", json=_appeal(), headers=users.headers("resident"))
    assert r.status_code == 403
    web = client.post("/api/v1/appeals", json=_appeal(channel="web"))
    assert web.status_code == 201
    anonymous_no_phone = client.post(
        "/api/v1/appeals", json=_appeal(channel="web", reporter_phone=None)
    )
    assert anonymous_no_phone.status_code == 422
