"""Request-validation errors (422 invalid_input): each names its field and carries a stable code
and the parameters the console words it with in Chinese or English (web/src/fieldMessages.ts)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Users

APPEALS = "/api/v1/appeals"


def _appeal(**over: object) -> dict[str, object]:
    return {"channel": "hotline", "content": "小区门口路灯坏了好几天，晚上很黑", **over}


def _errors(r: Any) -> dict[str, dict[str, Any]]:
    """The problem's errors by field, after checking the problem's shape."""
    assert 400 <= r.status_code < 500 and r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "invalid_input"
    for e in body["errors"]:
        assert set(e) == {"field", "code", "params", "message"}, e
        assert isinstance(e["params"], dict) and e["code"] and e["field"]
    return {e["field"]: e for e in body["errors"]}


@pytest.mark.parametrize(
    ("body", "field", "code", "params"),
    [
        # wrong type
        (_appeal(lat="north", lon=120.1), "lat", "float_parsing", {}),
        (_appeal(content=12345), "content", "string_type", {}),
        (_appeal(life_safety="perhaps"), "life_safety", "bool_parsing", {}),
        # too long, too short, out of bounds
        (_appeal(content="长" * 4001), "content", "string_too_long", {"max_length": 4000}),
        (_appeal(content="坏"), "content", "string_too_short", {"min_length": 5}),
        (_appeal(content="   a    "), "content", "content_blank", {"min_length": 5}),
        (_appeal(lat=91, lon=120.1), "lat", "less_than_equal", {"le": 90}),
        (_appeal(merge_into=0), "merge_into", "greater_than_equal", {"ge": 1}),
        # bad choice
        (_appeal(urgency="very"), "urgency", "enum", {"expected": ["normal", "urgent"]}),
        # the platform's own rules
        (_appeal(reporter_phone="12345"), "reporter_phone", "phone_invalid", {}),
        (_appeal(lat=30.1), "body", "coordinates_pair", {}),
        (_appeal(nickname="x"), "nickname", "extra_forbidden", {}),
        (
            _appeal(attachments=[{"name": "a.png", "url": "javascript:alert(1)"}]),
            "attachments.0.url",
            "attachment_url",
            {},
        ),
    ],
)
def test_a_bad_appeal_names_the_field_with_a_code_and_its_params(
    client: TestClient,
    users: Users,
    body: dict[str, object],
    field: str,
    code: str,
    params: dict[str, object],
) -> None:
    r = client.post(APPEALS, json=body, headers=users.headers("operator"))
    errors = _errors(r)
    assert field in errors, errors
    assert errors[field]["code"] == code
    for key, value in params.items():
        assert errors[field]["params"][key] == value, errors[field]


def test_a_missing_field_is_named_with_the_code_missing(client: TestClient, users: Users) -> None:
    errors = _errors(
        client.post(
            APPEALS, json={"content": "路灯坏了好几天了"}, headers=users.headers("operator")
        )
    )
    assert errors["channel"]["code"] == "missing"


def test_an_enum_lists_every_choice(client: TestClient, users: Users) -> None:
    errors = _errors(
        client.post(APPEALS, json=_appeal(channel="fax"), headers=users.headers("operator"))
    )
    expected = errors["channel"]["params"]["expected"]
    assert isinstance(expected, list) and {"hotline", "web", "wechat"} <= set(expected)
    assert "fax" not in expected


def test_every_error_of_a_body_is_listed(client: TestClient, users: Users) -> None:
    body = {"channel": "fax", "content": 7, "lat": "x", "lon": 1.0}
    errors = _errors(client.post(APPEALS, json=body, headers=users.headers("operator")))
    assert {errors[f]["code"] for f in ("channel", "content", "lat")} == {
        "enum",
        "string_type",
        "float_parsing",
    }


def test_query_parameters_carry_codes_too(client: TestClient, users: Users) -> None:
    h = users.headers("operator")
    bad = _errors(client.get("/api/v1/work-orders", params={"page": "abc"}, headers=h))
    assert bad["page"]["code"] == "int_parsing"
    far = _errors(client.get("/api/v1/work-orders", params={"page": 10**6}, headers=h))
    assert far["page"]["code"] == "out_of_range" and far["page"]["params"] == {"le": 100_000}


def test_the_notification_preferences_word_their_own_rules(
    client: TestClient, users: Users
) -> None:
    h = users.headers("operator")
    r = client.put(
        "/api/v1/me/notifications", json={"channels": ["pigeon"], "email": "a"}, headers=h
    )
    errors = _errors(r)
    assert errors["channels"]["code"] == "unknown_choice"
    assert errors["channels"]["params"] == {"values": "pigeon"}
