"""servicerequestupdates (mySociety's extension, polled by FixMyStreet): the timeline's public
events of the requests a key created, in XML and JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cityloop.domain.statuses import Action, Rating
from cityloop.open311 import keys
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from cityloop.services.orders import ActionInput, perform
from cityloop.store.models import AppealRow
from tests.conftest import START, Users
from tests.open311.conftest import ISO, check_errors, lamp_form, xml_root

UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]
DAY = {"start_date": "2026-09-30T00:00:00+08:00", "end_date": "2026-10-01T00:00:00+08:00"}


def _file(o311: TestClient, key: str, lamp: str, **over: str) -> str:
    r = o311.post("/open311/v2/requests.json", data=lamp_form(key, lamp, **over))
    assert r.status_code == 201, r.text
    return str(r.json()[0]["service_request_id"])


def _order(ctx: CityLoop, ticket: str) -> int:
    with ctx.uow() as uow:
        return int(
            uow.session.execute(
                select(AppealRow.work_order_id).where(AppealRow.ticket_no == ticket)
            ).scalar_one()
        )


def _handle(ctx: CityLoop, users: Users, clock: ManualClock, order_id: int) -> None:
    steps = [
        (Action.ACCEPT, "cg", "内部：安排二班处理"),
        (Action.URGE, "dispatcher", "请尽快"),
        (Action.START, "cg", ""),
        (Action.REPLY, "cg", "已更换灯具，路灯恢复照明。联系人张三 13812341234"),
        (Action.RATE, "operator", ""),
    ]
    for i, (action, who, note) in enumerate(steps, start=1):
        clock.set(START + timedelta(hours=i))
        rating = Rating.SATISFIED if action is Action.RATE else None
        perform(ctx, order_id, action, ActionInput(note=note, rating=rating), users.actor(who))


def _updates(o311: TestClient, key: str, fmt: str = "json", **params: str) -> list[dict]:
    r = o311.get(f"/open311/v2/servicerequestupdates.{fmt}", params={"api_key": key, **params})
    assert r.status_code == 200, r.text
    if fmt == "json":
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert isinstance(body, list)
        return body
    assert r.headers["content-type"].startswith("text/xml")
    root = xml_root(r.content, "service_request_updates")
    items = []
    for el in root:
        assert el.tag == "request_update"
        assert [c.tag for c in el] == UPDATE_FIELDS
        items.append({c.tag: c.text for c in el})
    return items


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_status_changes_and_the_reply_come_back_in_order(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp, fmt
):
    ticket = _file(o311, api_key, lamp)
    _handle(ctx, users, clock, _order(ctx, ticket))
    items = _updates(o311, api_key, fmt, **DAY)
    for item in items:
        assert list(item) == UPDATE_FIELDS
        assert item["service_request_id"] == ticket
        assert ISO.match(item["updated_datetime"]), item["updated_datetime"]
        assert item["media_url"] is None
    statuses = [i["status"] for i in items]
    # Filed at 10:00 and dispatched by the linkage list, then accepted, started, replied and
    # closed by the resident's rating; the urge and the receipt are not updates.
    assert statuses[-4:] == ["action_scheduled", "in_progress", "in_progress", "closed"]
    assert all(s == "open" for s in statuses[:-4])
    by_status = {i["updated_datetime"]: i for i in items}
    reply = by_status["2026-09-30T14:00:00+08:00"]
    assert reply["description"].startswith("已更换灯具，路灯恢复照明。")
    assert "13812341234" not in reply["description"] and "张三" not in reply["description"]
    assert by_status["2026-09-30T11:00:00+08:00"]["description"] == "已签收"  # not the note
    assert "内部" not in str(items) and "请尽快" not in str(items)
    assert by_status["2026-09-30T15:00:00+08:00"]["description"] == "已办结"
    ids = [i["update_id"] for i in items]
    assert len(set(ids)) == len(ids) and all(i.startswith(f"{ticket}-") for i in ids)


def test_a_key_sees_only_the_requests_it_created(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp
):
    _, other_key = keys.create_key(ctx, "other-app")
    mine = _file(o311, api_key, lamp)
    theirs = _file(o311, other_key, lamp)
    _handle(ctx, users, clock, _order(ctx, theirs))
    assert {i["service_request_id"] for i in _updates(o311, api_key, **DAY)} == {mine}
    assert {i["service_request_id"] for i in _updates(o311, other_key, **DAY)} == {theirs}
    _, third = keys.create_key(ctx, "third-app")
    assert _updates(o311, third, **DAY) == []
    assert _updates(o311, third, "xml", **DAY) == []


def test_empty_answer_is_the_list_element(o311: TestClient, api_key):
    r = o311.get("/open311/v2/servicerequestupdates.xml", params={"api_key": api_key, **DAY})
    assert r.status_code == 200
    root = xml_root(r.content, "service_request_updates")
    assert list(root) == []
    assert b"<service_request_updates></service_request_updates>" in r.content


def test_window_limits_the_updates(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp
):
    ticket = _file(o311, api_key, lamp)
    _handle(ctx, users, clock, _order(ctx, ticket))
    late = _updates(
        o311,
        api_key,
        start_date="2026-09-30T13:30:00+08:00",
        end_date="2026-09-30T23:00:00+08:00",
    )
    assert [i["status"] for i in late] == ["in_progress", "closed"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_key_is_required_and_bad_windows_refused(o311: TestClient, api_key, fmt):
    path = f"/open311/v2/servicerequestupdates.{fmt}"
    check_errors(o311.get(path, params=DAY), 403, fmt)
    check_errors(o311.get(path, params={"api_key": "o311_nope", **DAY}), 403, fmt)
    bad = {
        "api_key": api_key,
        "start_date": "2026-10-01T00:00:00+08:00",
        "end_date": DAY["start_date"],
    }
    assert "after" in check_errors(o311.get(path, params=bad), 400, fmt)
    long = {"api_key": api_key, "start_date": "2026-01-01T00:00:00Z", "end_date": DAY["end_date"]}
    assert "90 days" in check_errors(o311.get(path, params=long), 400, fmt)
    check_errors(o311.get(path, params={"api_key": api_key, "start_date": "yesterday"}), 400, fmt)


def test_updates_of_requests_filed_before_client_ids_were_kept(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp
):
    """Requests stored with only the client's name still belong to it."""
    ticket = _file(o311, api_key, lamp)
    with ctx.uow() as uow:
        appeal = uow.session.execute(
            select(AppealRow).where(AppealRow.ticket_no == ticket)
        ).scalar_one()
        appeal.attachments = [
            {k: v for k, v in a.items() if k != "client_id"} for a in appeal.attachments
        ]
        uow.commit()
    assert {i["service_request_id"] for i in _updates(o311, api_key, **DAY)} == {ticket}


def test_xml_is_well_formed_with_chinese_text(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp
):
    ticket = _file(o311, api_key, lamp)
    _handle(ctx, users, clock, _order(ctx, ticket))
    r = o311.get("/open311/v2/servicerequestupdates.xml", params={"api_key": api_key, **DAY})
    root = ET.fromstring(r.content)
    texts = [el.findtext("description") for el in root]
    assert "已办结" in texts
