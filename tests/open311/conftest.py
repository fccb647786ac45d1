"""Open311 fixtures: an app with the Open311 router mounted, a client key, helpers that check
bodies against the GeoReport v2 rules."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.open311 import keys
from cityloop.open311.router import router
from cityloop.services.context import CityLoop
from tests.conftest import WEST, category

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def o311(ctx: CityLoop) -> TestClient:
    app = create_app(ctx)
    app.include_router(router)
    return TestClient(app)


@pytest.fixture
def api_key(ctx: CityLoop) -> str:
    _, key = keys.create_key(ctx, "civic-app")
    return key


@pytest.fixture
def lamp(ctx: CityLoop) -> str:
    return category(ctx, "城乡建设/市政设施/路灯损坏")


def lamp_form(api_key: str, code: str, **over: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": api_key,
        "service_code": code,
        "lat": str(WEST[1]),
        "long": str(WEST[0]),
        "address_string": "幸福路与和平街交叉口",
        "description": "幸福路与和平街交叉口的路灯已经坏了一周，晚上很黑。",
        "attribute[lamp_state]": "off",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812341234",
        "email": "zhang@example.com",
        "media_url": "https://img.example.com/lamp.jpg",
    }
    form.update(over)
    return {k: v for k, v in form.items() if v is not None}


def xml_root(body: bytes, root: str) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    el = ET.fromstring(body)
    assert el.tag == root, el.tag
    return el


def check_json_request(item: dict[str, Any]) -> None:
    """GeoReport v2 rules for one request in JSON."""
    assert list(item) == REQUEST_FIELDS
    assert isinstance(item["service_request_id"], str)
    assert item["status"] in ("open", "closed")
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert item[key] is None or ISO.match(item[key]), (key, item[key])
    assert item["requested_datetime"] is not None
    for key in ("lat", "long"):
        assert item[key] is None or isinstance(item[key], float)
    assert item["service_code"] is None or isinstance(item["service_code"], str)


def check_xml_request(el: ET.Element) -> dict[str, str | None]:
    assert el.tag == "request"
    assert [c.tag for c in el] == REQUEST_FIELDS
    values = {c.tag: c.text for c in el}
    assert values["status"] in ("open", "closed")
    assert values["requested_datetime"] and ISO.match(values["requested_datetime"])
    return values


def check_errors(r: Any, status: int, fmt: str) -> str:
    """An error in the spec's errors/error/{code,description} shape; returns the description."""
    assert r.status_code == status, r.text
    if fmt == "json":
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert isinstance(body, list) and len(body) == 1
        assert list(body[0]) == ["code", "description"]
        assert body[0]["code"] == status
        return str(body[0]["description"])
    assert r.headers["content-type"].startswith("text/xml")
    root = xml_root(r.content, "errors")
    (error,) = list(root)
    assert error.tag == "error"
    assert [c.tag for c in error] == ["code", "description"]
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""
