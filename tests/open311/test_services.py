"""Discovery, service list and service definitions, in XML and JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cityloop.services.context import CityLoop
from tests.conftest import category
from tests.open311.conftest import ISO, check_errors, xml_root

FORMATS = ["xml", "json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_points_at_the_v2_endpoint(o311: TestClient, fmt: str):
    r = o311.get(f"/open311/v2/discovery.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        body = r.json()
        assert ISO.match(body["changeset"])
        (endpoint,) = body["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2/"
        assert endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert "12345" in body["contact"]
    else:
        assert r.headers["content-type"] == "text/xml; charset=utf-8"
        root = xml_root(r.content, "discovery")
        assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = root.find("endpoints/endpoint")
        assert endpoint is not None
        assert endpoint.findtext("url") == "http://testserver/open311/v2/"
        assert [f.text for f in endpoint.findall("formats/format")] == [
            "text/xml",
            "application/json",
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_leaf_categories(o311: TestClient, ctx: CityLoop, fmt: str):
    r = o311.get(f"/open311/v2/services.{fmt}")
    assert r.status_code == 200
    fields = [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    if fmt == "json":
        services = r.json()
        assert all(list(s) == fields for s in services)
        assert all(isinstance(s["metadata"], bool) for s in services)
        assert all(isinstance(s["service_code"], str) for s in services)
    else:
        root = xml_root(r.content, "services")
        assert all(s.tag == "service" and [c.tag for c in s] == fields for s in root)
        services = [{c.tag: c.text for c in s} for s in root]
        assert {s["metadata"] for s in services} == {"true", "false"}
    by_name = {s["service_name"]: s for s in services}
    # Five third-level leaves and the first-level 其他, which has no children.
    assert set(by_name) == {"路灯损坏", "道路破损", "停水", "施工噪音", "燃气泄漏", "其他"}
    lamp = by_name["路灯损坏"]
    assert lamp["service_code"] == category(ctx, "城乡建设/市政设施/路灯损坏")
    assert lamp["group"] == "城乡建设"
    assert lamp["type"] == "realtime"
    assert lamp["description"] == "城乡建设 / 市政设施 / 路灯损坏"
    assert "路灯" in lamp["keywords"]
    assert lamp["metadata"] in (True, "true")
    assert by_name["停水"]["metadata"] in (False, "false")
    assert by_name["停水"]["keywords"] == "城乡建设,供水,停水"
    assert by_name["其他"]["group"] == "其他"


def test_service_definition_json(o311: TestClient, ctx: CityLoop):
    code = category(ctx, "城乡建设/市政设施/路灯损坏")
    r = o311.get(f"/open311/v2/services/{code}.json")
    assert r.status_code == 200
    body = r.json()
    assert body["service_code"] == code
    attrs = body["attributes"]
    assert [a["code"] for a in attrs] == ["lamp_state", "lamp_count", "pole_number"]
    state = attrs[0]
    assert list(state) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert state["variable"] is True and state["required"] is True
    assert state["datatype"] == "singlevaluelist"
    assert state["order"] == 1
    assert {"key": "off", "name": "不亮"} in state["values"]
    assert attrs[1]["datatype"] == "number" and attrs[1]["required"] is False
    assert attrs[1]["values"] == []


def test_service_definition_xml_with_every_datatype(o311: TestClient, ctx: CityLoop):
    seen: set[str] = set()
    for path in (
        "城乡建设/市政设施/路灯损坏",
        "城乡建设/市政设施/道路破损",
        "环境保护/噪声污染/施工噪音",
    ):
        r = o311.get(f"/open311/v2/services/{category(ctx, path)}.xml")
        assert r.status_code == 200
        root = xml_root(r.content, "service_definition")
        assert [c.tag for c in root] == ["service_code", "attributes"]
        for attr in root.findall("attributes/attribute"):
            assert [c.tag for c in attr] == [
                "variable",
                "code",
                "datatype",
                "required",
                "datatype_description",
                "order",
                "description",
                "values",
            ]
            assert attr.findtext("variable") in ("true", "false")
            assert attr.findtext("required") in ("true", "false")
            seen.add(attr.findtext("datatype") or "")
            for value in attr.findall("values/value"):
                assert [c.tag for c in value] == ["key", "name"]
    assert seen == {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_without_attributes_has_an_empty_list(o311: TestClient, ctx: CityLoop, fmt):
    code = category(ctx, "城乡建设/供水/停水")
    r = o311.get(f"/open311/v2/services/{code}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        assert r.json() == {"service_code": code, "attributes": []}
    else:
        root = xml_root(r.content, "service_definition")
        assert root.find("attributes") is not None and len(root.find("attributes")) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_or_inner_category_is_not_a_service(o311: TestClient, ctx: CityLoop, fmt):
    assert "9999" in check_errors(o311.get(f"/open311/v2/services/9999.{fmt}"), 404, fmt)
    inner = category(ctx, "城乡建设/市政设施")
    check_errors(o311.get(f"/open311/v2/services/{inner}.{fmt}"), 404, fmt)


def test_unknown_format_answers_an_xml_error(o311: TestClient):
    desc = check_errors(o311.get("/open311/v2/services.csv"), 404, "xml")
    assert "csv" in desc
