"""Validation at the edge: control characters, out-of-range numbers and dates without an offset
are answered 422 naming the field (or read in the city's time), never reach the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from cityloop.api.edge import CityDateTime, text_problem
from cityloop.services.context import CityLoop
from tests.conftest import TZ, Users

ORDERS = "/api/v1/work-orders"


def _appeal(**over: object) -> dict[str, object]:
    return {"channel": "hotline", "content": "小区门口路灯坏了好几天，晚上很黑", **over}


def _fields(r) -> set[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\n", "abc\x1b[31m", "\x7f", "\x85"])
def test_control_characters_in_a_query_are_refused_naming_it(
    client: TestClient, users: Users, value: str
) -> None:
    r = client.get(ORDERS, params={"q": value}, headers=users.headers("operator"))
    assert _fields(r) == {"q"}
    assert r.json()["errors"][0]["code"] == "control_character"


def test_anonymous_tracking_refuses_a_nul(client: TestClient) -> None:
    r = client.get(
        "/api/v1/appeals/track", params={"ticket_no": "20260930\x000001", "phone": "13800000000"}
    )
    assert _fields(r) == {"ticket_no"}


def test_a_nul_in_a_path_is_refused(client: TestClient) -> None:
    assert _fields(client.get("/api/v1/attachments/abc%00def")) == {"ident"}


def test_body_text_keeps_line_breaks_but_not_other_controls(
    client: TestClient, users: Users
) -> None:
    h = users.headers("operator")
    bad = client.post("/api/v1/appeals", json=_appeal(content="路灯坏了\x00很久了很黑"), headers=h)
    assert _fields(bad) == {"content"}
    key = client.post("/api/v1/appeals", json={**_appeal(), "x\x00": 1}, headers=h)
    assert _fields(key) == {"x\x00"}
    good = client.post(
        "/api/v1/appeals", json=_appeal(content="路灯坏了\n\t很久了\r\n很黑"), headers=h
    )
    assert good.status_code == 201, good.text


def test_lone_surrogates_are_refused(client: TestClient, users: Users) -> None:
    raw = b'{"channel": "hotline", "content": "\\ud800 lamp broken for days"}'
    r = client.post(
        "/api/v1/appeals",
        content=raw,
        headers={**users.headers("operator"), "content-type": "application/json"},
    )
    assert _fields(r) == {"content"}


def test_integers_beyond_64_bits_are_refused(client: TestClient, users: Users) -> None:
    h = users.headers("operator")
    assert _fields(client.get(f"{ORDERS}/99999999999999999999", headers=h)) == {"order_id"}
    assert _fields(client.get(f"{ORDERS}/{'9' * 5000}", headers=h)) == {"order_id"}
    assert _fields(client.get(ORDERS, params={"page": 2**63}, headers=h)) == {"page"}
    # In range for 64 bits but past the last page anyone reads: no offset overflow.
    assert _fields(client.get(ORDERS, params={"page": 2**62}, headers=h)) == {"page"}
    assert client.get(ORDERS, params={"page": 100_000}, headers=h).json()["items"] == []
    assert client.get(f"{ORDERS}/{2**63 - 1}", headers=h).status_code == 404


def test_a_huge_attachment_size_is_refused(client: TestClient, users: Users) -> None:
    attachment = {"name": "a.jpg", "url": "/api/v1/attachments/x", "size": 10**30}
    r = client.post(
        "/api/v1/appeals", json=_appeal(attachments=[attachment]), headers=users.headers("operator")
    )
    assert _fields(r) == {"attachments.0.size"}


def test_non_finite_numbers_are_refused(client: TestClient, users: Users) -> None:
    raw = b'{"channel": "hotline", "content": "lamp broken for days", "lat": NaN, "lon": 1}'
    r = client.post(
        "/api/v1/appeals",
        content=raw,
        headers={**users.headers("operator"), "content-type": "application/json"},
    )
    assert r.status_code == 422


def test_a_date_without_offset_is_city_time(ctx: CityLoop, client: TestClient, users: Users):
    h = users.headers("operator")
    made = client.post("/api/v1/appeals", json=_appeal(), headers=h)
    assert made.status_code == 201
    received = datetime.fromisoformat(
        client.get(ORDERS, headers=h).json()["items"][0]["received_at"]
    ).astimezone(TZ)
    local = received.replace(tzinfo=None)
    # The same wall-clock time read in Asia/Shanghai: the order lies exactly on the boundary.
    just_after = (local + timedelta(seconds=1)).isoformat()
    at = local.isoformat()
    r = client.get(ORDERS, params={"received_from": just_after}, headers=h)
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.get(ORDERS, params={"received_from": at}, headers=h)
    assert r.status_code == 200 and r.json()["total"] == 1
    day = client.get(ORDERS, params={"received_from": local.date().isoformat()}, headers=h)
    assert day.status_code == 200 and day.json()["total"] == 1
    far = client.get(ORDERS, params={"received_from": "0001-01-01T00:00:00"}, headers=h)
    assert _fields(far) == {"received_from"}


def test_city_datetime_reads_naive_as_the_city_timezone() -> None:
    adapter = TypeAdapter(CityDateTime)
    assert adapter.validate_python("2026-11-01T08:00:00") == datetime(2026, 11, 1, 8, tzinfo=TZ)
    assert adapter.validate_python("2026-11-01T00:00:00Z").utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        adapter.validate_python("9999-12-31T23:59:59")


def test_text_problem_names_the_character() -> None:
    assert text_problem("路灯\n坏了", free_text=True) is None
    assert text_problem("a\nb", free_text=False) == "control character U+000A at position 1"
    assert text_problem("\ud800", free_text=True) == "control character U+D800 at position 0"


def test_region_layers_never_echo_the_parameter_in_a_header(client: TestClient) -> None:
    r = client.get("/api/v1/regions", params={"parent": "\nabc"})
    assert _fields(r) == {"parent"}
    ok = client.get("/api/v1/regions", params={"parent": "abc\u00e9\u4e2d"})
    assert ok.status_code == 200
    assert ok.headers["etag"].isascii() and "abc" not in ok.headers["etag"]


def test_like_wildcards_match_themselves(client: TestClient, users: Users) -> None:
    h = users.headers("operator")
    assert client.post("/api/v1/appeals", json=_appeal(), headers=h).status_code == 201
    assert client.get(ORDERS, params={"q": "路灯"}, headers=h).json()["total"] == 1
    for wildcard in ("%", "_", "路_", "%灯"):
        assert client.get(ORDERS, params={"q": wildcard}, headers=h).json()["total"] == 0
