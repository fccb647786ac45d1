"""A refused command answers as request validation does: 422 invalid_input, each error with its
field, stable code, params and English message (the console words the code in either language,
web/src/i18n.test.ts)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cityloop.domain.error_words import render
from tests.conftest import START, Users

POINTS = "/api/v1/community/points"
REGISTRY = "/api/v1/community/registry"


def _refused(r: Any, field: str) -> dict[str, Any]:
    """The one error of a 422 invalid_input naming `field`, its English message checked."""
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "invalid_input" and body["title"] == "输入有误 Invalid input"
    [error] = body["errors"]
    assert error["field"] == field and field in body["detail"]
    if error["code"] != "greater_than_equal":  # pydantic's own words
        assert error["message"] == render(error["code"], error["params"], "en")
    return {"code": error["code"], "params": error["params"]}


def test_a_full_export_without_a_reason(capp: TestClient, city: Users) -> None:
    r = capp.get(f"{REGISTRY}/export", params={"full": True}, headers=city.headers("grid_west"))
    assert _refused(r, "reason") == {"code": "reason_full_data", "params": {}}
    assert r.json()["errors"][0]["message"] == "Say why the full personal data is needed"


def test_redemptions_refused_by_validation_and_by_the_service(
    capp: TestClient, city: Users
) -> None:
    me = city.headers("resident2")
    capp.post(f"{POINTS}/accounts/open", json={}, headers=me)
    body = {"account": "household:HH-2", "item_id": 1, "request_id": "req-0009", "quantity": 0}
    # Quantity 0: the schema refuses it (pydantic's code), in the same shape.
    zero = capp.post(f"{POINTS}/redemptions", json=body, headers=me)
    assert _refused(zero, "quantity") == {"code": "greater_than_equal", "params": {"ge": 1}}
    # No such reward: the service refuses it.
    r = capp.post(
        f"{POINTS}/redemptions", json={**body, "quantity": 1, "item_id": 98765}, headers=me
    )
    assert _refused(r, "item_id") == {"code": "unknown_reward", "params": {"id": 98765}}


def test_device_events_name_the_household_and_the_ledger_rule(
    capp: TestClient, city: Users
) -> None:
    event = {"event_id": "e1", "device": "bin-1", "at": START.isoformat(), "kind": "drop"}
    admin = city.headers("admin")
    r = capp.post(
        f"{POINTS}/garbage-events", json={**event, "household_code": "HH-404"}, headers=admin
    )
    assert _refused(r, "household_code") == {
        "code": "unknown_household",
        "params": {"code": "HH-404"},
    }
    assert r.json()["errors"][0]["message"] == "No household HH-404"
    # A rule of the points ledger (its LedgerError) passes its code on.
    recycle = {**event, "household_code": "HH-2", "kind": "recycle", "kilograms": 1}
    r = capp.post(f"{POINTS}/garbage-events", json={**recycle, "material": "gold"}, headers=admin)
    refused = _refused(r, "material")
    assert refused["code"] == "unknown_material" and refused["params"]["value"] == "gold"
    assert "paper" in refused["params"]["expected"]
    r = capp.post(f"{POINTS}/garbage-events", json=recycle, headers=admin)
    assert _refused(r, "material") == {"code": "recycling_weight_required", "params": {}}


def test_a_statement_month_in_the_wrong_form(capp: TestClient, city: Users) -> None:
    r = capp.get(
        f"{POINTS}/accounts/household:HH-2/statement",
        params={"month": "2026/09"},
        headers=city.headers("admin"),
    )
    assert _refused(r, "month") == {"code": "month_format", "params": {}}
