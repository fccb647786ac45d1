"""GeoReport v2 conformance as third-party clients see it: the `georeport` Python client against a
real server, empty and filtered results, points outside the city, discovery's addresses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import httpx
import pytest
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport
from sqlalchemy import func, select

from cityloop.api.app import create_app
from cityloop.services.context import CityLoop
from cityloop.store.models import AppealRow
from tests.live import serve
from tests.open311.conftest import check_errors, lamp_form, xml_root

WINDOW = {"start_date": "2026-09-30T00:00:00+08:00", "end_date": "2026-10-01T00:00:00+08:00"}


def _file(o311: TestClient, key: str, lamp: str) -> str:
    r = o311.post("/open311/v2/requests.json", data=lamp_form(key, lamp))
    assert r.status_code == 201, r.text
    return str(r.json()[0]["service_request_id"])


@pytest.fixture
def live(ctx: CityLoop):
    with serve(create_app(ctx, web=False)) as port:
        yield f"http://127.0.0.1:{port}/open311/v2"


def test_georeport_client_filters_in_json(o311: TestClient, live: str, api_key, lamp):
    tickets = [_file(o311, api_key, lamp) for _ in range(2)]
    client = GeoReport(live, output_format="json")
    got = client.get_service_requests(status="open", **WINDOW)
    assert sorted(r["service_request_id"] for r in got) == sorted(tickets)
    # Filtered down to one, and to nothing: still the list the spec shows.
    one = client.get_service_requests(service_request_id=tickets[0])
    assert [r["service_request_id"] for r in one] == [tickets[0]]
    assert client.get_service_requests(status="closed", **WINDOW) == []
    before = {"start_date": "2026-08-01T00:00:00Z", "end_date": "2026-09-01T00:00:00Z"}
    assert client.get_service_requests(**before) == []
    assert client.get_service_request(tickets[1])["service_request_id"] == tickets[1]
    # The client's W3C dates with Z, and a status in capitals, are understood.
    utc = client.get_service_requests(
        start_date="2026-09-29T16:00:00Z", end_date="2026-09-30T16:00:00Z", status="Open"
    )
    assert len(utc) == 2


def test_georeport_client_reads_xml_lists(o311: TestClient, live: str, api_key, lamp):
    tickets = [_file(o311, api_key, lamp) for _ in range(2)]
    client = GeoReport(live, output_format="xml")
    got = client.get_service_requests(status="open", **WINDOW)
    assert sorted(r["service_request_id"] for r in got) == sorted(tickets)
    services = client.get_service_list()
    assert lamp in {s["service_code"] for s in services}


def test_empty_xml_result_is_the_spec_element(o311: TestClient, api_key):
    r = o311.get("/open311/v2/requests.xml", params={"status": "closed", **WINDOW})
    assert r.status_code == 200
    root = xml_root(r.content, "service_requests")
    assert list(root) == []
    assert r.content.endswith(b"<service_requests></service_requests>")
    # An element with no children: xmltodict (the georeport client's XML parser) reads it as
    # None, so that client cannot tell an empty list in XML; its JSON mode answers [].
    assert xmltodict.parse(r.content) == {"service_requests": None}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_point_outside_every_grid_is_refused(o311: TestClient, ctx: CityLoop, api_key, lamp, fmt):
    with ctx.uow() as uow:
        before = uow.session.execute(select(func.count()).select_from(AppealRow)).scalar_one()
    # East of the fixture city (104.0–104.4), and lat/long swapped onto valid numbers.
    for lat, lon in (("30.1", "104.9"), ("30.1", "30.1")):
        form = lamp_form(api_key, lamp, lat=lat, long=lon)
        r = o311.post(f"/open311/v2/requests.{fmt}", data=form)
        assert "outside every grid" in check_errors(r, 400, fmt)
    with ctx.uow() as uow:
        after = uow.session.execute(select(func.count()).select_from(AppealRow)).scalar_one()
    assert after == before
    # An address without coordinates is still taken: it is located from the text later.
    r = o311.post(
        "/open311/v2/requests.json",
        data=lamp_form(api_key, lamp, lat=None, long=None, address_string="幸福路12号"),
    )
    assert r.status_code == 201, r.text


def test_discovery_names_only_addresses_that_answer(live: str):
    for fmt in ("json", "xml"):
        r = httpx.get(f"{live}/discovery.{fmt}")
        assert r.status_code == 200
        if fmt == "json":
            doc = r.json()
            urls = [e["url"] for e in doc["endpoints"]]
            text = " ".join(str(v) for v in (doc["contact"], doc["key_service"]))
        else:
            root = ET.fromstring(r.content)
            urls = [el.text or "" for el in root.iter("url")]
            text = " ".join(el.text or "" for el in root if el.tag in ("contact", "key_service"))
        assert urls
        for url in urls:
            assert urlsplit(url).path.endswith("/open311/v2/")
            page = httpx.get(url)
            assert page.status_code == 200, url
            assert ET.fromstring(page.content).tag == "discovery"
            assert httpx.get(url + f"services.{fmt}").status_code == 200
        # Pages that the text points a client to exist: the admin API answers (401 without a
        # token, not 404); no console page is named, as the console has none for keys.
        assert "/api/v1/open311/clients" in text and "控制台" not in text
        base = live.rsplit("/open311/v2", 1)[0]
        assert httpx.post(f"{base}/api/v1/open311/clients", json={}).status_code == 401
