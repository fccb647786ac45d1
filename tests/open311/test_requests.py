"""POST / GET service requests over Open311: intake, routing, listing, status, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cityloop.domain.statuses import Action, Rating
from cityloop.open311 import keys
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from cityloop.services.orders import ActionInput, perform
from cityloop.store.models import AppealRow, WorkOrderRow
from tests.conftest import START, Users, category
from tests.open311.conftest import (
    check_errors,
    check_json_request,
    check_xml_request,
    lamp_form,
    xml_root,
)

FORMATS = ["xml", "json"]


def _count(ctx: CityLoop) -> int:
    with ctx.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(AppealRow)).scalar_one())


def _post(o311: TestClient, form: dict, fmt: str = "json"):
    return o311.post(f"/open311/v2/requests.{fmt}", data=form)


def _created_id(r, fmt: str) -> str:
    assert r.status_code == 201, r.text
    if fmt == "json":
        (item,) = r.json()
        assert list(item) == ["service_request_id", "service_notice", "account_id"]
        assert isinstance(item["service_request_id"], str)
        assert item["account_id"] is None
        assert item["service_notice"].startswith("已派给") or "受理" in item["service_notice"]
        return str(item["service_request_id"])
    root = xml_root(r.content, "service_requests")
    (request,) = list(root)
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    return request.findtext("service_request_id") or ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_becomes_a_dispatched_appeal(o311: TestClient, ctx: CityLoop, api_key, lamp, fmt):
    r = _post(o311, lamp_form(api_key, lamp, **{"attribute[lamp_count]": "3"}), fmt)
    ticket = _created_id(r, fmt)
    assert ticket.startswith("20260930-")
    if fmt == "json":
        assert r.json()[0]["service_notice"].startswith("已派给市城市管理局")
    with ctx.uow() as uow:
        appeal, order = uow.session.execute(
            select(AppealRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(AppealRow.ticket_no == ticket)
        ).one()
    assert appeal.channel == "open311"
    assert appeal.external_id is None
    assert appeal.category_source == "operator"
    assert appeal.reporter_name == "张三" and appeal.reporter_phone == "13812341234"
    assert appeal.location_status == "located"
    assert order.status == "dispatched" and order.lead_department == "D-CG"
    by_name = {a["name"]: a for a in appeal.attachments}
    assert by_name["media"] == {"name": "media", "url": "https://img.example.com/lamp.jpg"}
    assert by_name["attributes"]["values"] == {"lamp_state": "off", "lamp_count": 3}
    assert by_name["attributes"]["labels"]["lamp_state"] == "不亮"
    assert by_name["open311"]["client"] == "civic-app"
    # The e-mail address is checked but has nowhere safe to live yet: it is not stored.
    assert "zhang@example.com" not in str(appeal.attachments)


@pytest.mark.parametrize("fmt", FORMATS)
def test_created_request_is_listed_and_fetched(o311: TestClient, api_key, lamp, fmt):
    ticket = _created_id(_post(o311, lamp_form(api_key, lamp)), "json")
    listed = o311.get(f"/open311/v2/requests.{fmt}")
    one = o311.get(f"/open311/v2/requests/{ticket}.{fmt}")
    assert listed.status_code == one.status_code == 200
    if fmt == "json":
        (item,) = listed.json()
        check_json_request(item)
        assert one.json() == [item]
    else:
        (el,) = list(xml_root(listed.content, "service_requests"))
        item = check_xml_request(el)
        (el_one,) = list(xml_root(one.content, "service_requests"))
        assert check_xml_request(el_one) == item
    assert item["service_request_id"] == ticket
    assert item["status"] == "open"
    assert item["status_notes"] == "已派单"
    assert item["service_code"] == lamp and item["service_name"] == "路灯损坏"
    assert item["agency_responsible"] == "市城市管理局"
    assert item["requested_datetime"] == "2026-09-30T10:00:00+08:00"
    assert item["expected_datetime"] == "2026-10-13T18:00:00+08:00"
    assert item["media_url"] == "https://img.example.com/lamp.jpg"
    assert item["address"] == "幸福路与和平街交叉口"
    assert item["lat"] in (30.1, "30.1") and item["long"] in (104.05, "104.05")


def test_personal_data_is_never_returned(o311: TestClient, api_key, lamp):
    form = lamp_form(
        api_key,
        lamp,
        description="我是张三，电话13812341234，住幸福小区3栋2单元501，楼下路灯不亮。",
        address_string="幸福小区3栋2单元501室",
    )
    ticket = _created_id(_post(o311, form), "json")
    for path in (
        f"/open311/v2/requests/{ticket}.json",
        f"/open311/v2/requests/{ticket}.xml",
        "/open311/v2/requests.json",
    ):
        text = o311.get(path).text
        assert "13812341234" not in text and "张三" not in text, path
    item = o311.get(f"/open311/v2/requests/{ticket}.json").json()[0]
    assert "138****1234" in item["description"] and "张*" in item["description"]
    assert item["address"] == "幸福小区*栋*单元*室"


def test_status_turns_closed_when_the_order_is_closed(
    o311: TestClient, ctx: CityLoop, users: Users, clock: ManualClock, api_key, lamp
):
    ticket = _created_id(_post(o311, lamp_form(api_key, lamp)), "json")
    with ctx.uow() as uow:
        order_id = uow.session.execute(
            select(AppealRow.work_order_id).where(AppealRow.ticket_no == ticket)
        ).scalar_one()
    steps = [
        (Action.ACCEPT, "cg", ""),
        (Action.START, "cg", ""),
        (Action.REPLY, "cg", "已更换灯具，路灯恢复照明。"),
        (Action.RATE, "operator", ""),
    ]
    for i, (action, who, note) in enumerate(steps, start=1):
        clock.set(START + timedelta(hours=i))
        data = ActionInput(note=note, rating=Rating.SATISFIED if action is Action.RATE else None)
        perform(ctx, order_id, action, data, users.actor(who))
    item = o311.get(f"/open311/v2/requests/{ticket}.json").json()[0]
    assert item["status"] == "closed"
    assert item["status_notes"] == "已更换灯具，路灯恢复照明。"
    assert item["updated_datetime"] == "2026-09-30T14:00:00+08:00"
    closed = o311.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert [i["service_request_id"] for i in closed] == [ticket]
    assert o311.get("/open311/v2/requests.json", params={"status": "open"}).json() == []


def test_cancelled_counts_as_closed(o311: TestClient, ctx: CityLoop, users: Users, api_key, lamp):
    ticket = _created_id(_post(o311, lamp_form(api_key, lamp)), "json")
    with ctx.uow() as uow:
        order_id = uow.session.execute(
            select(AppealRow.work_order_id).where(AppealRow.ticket_no == ticket)
        ).scalar_one()
    perform(ctx, order_id, Action.CANCEL, ActionInput(note="重复诉求"), users.actor("dispatcher"))
    item = o311.get(f"/open311/v2/requests/{ticket}.xml")
    (el,) = list(xml_root(item.content, "service_requests"))
    values = check_xml_request(el)
    assert values["status"] == "closed" and values["status_notes"] == "已撤销"


def test_filters_by_id_list_service_code_and_window(
    o311: TestClient, ctx: CityLoop, clock: ManualClock, api_key, lamp
):
    water = category(ctx, "城乡建设/供水/停水")
    a = _created_id(_post(o311, lamp_form(api_key, lamp)), "json")
    clock.set(START + timedelta(days=1))
    b = _created_id(
        _post(o311, lamp_form(api_key, water, **{"attribute[lamp_state]": None})), "json"
    )

    def ids(**params: str) -> list[str]:
        r = o311.get("/open311/v2/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [i["service_request_id"] for i in r.json()]

    assert ids() == [b, a]  # newest first
    assert ids(service_code=water) == [b]
    assert ids(service_code=f"{water},{lamp}") == [b, a]
    assert ids(service_request_id=f"{a},{b},nope") == [b, a]
    assert ids(start_date="2026-10-01T00:00:00+08:00") == [b]
    # A '+' that the client forgot to encode arrives as a space; it is still understood.
    assert ids(end_date="2026-09-30T23:59:59 08:00") == [a]
    assert ids(start_date="2026-09-01", end_date="2026-09-30T09:00:00Z") == [a]
    clock.set(START + timedelta(days=95))
    assert ids() == []  # the default window is the last 90 days
    assert ids(service_request_id=a) == [a]  # ids override the window


@pytest.mark.parametrize("fmt", FORMATS)
def test_window_longer_than_90_days_is_refused(o311: TestClient, fmt: str):
    r = o311.get(
        f"/open311/v2/requests.{fmt}",
        params={"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-09-30T00:00:00Z"},
    )
    assert "90 days" in check_errors(r, 400, fmt)
    bad = o311.get(f"/open311/v2/requests.{fmt}", params={"start_date": "yesterday"})
    check_errors(bad, 400, fmt)
    reversed_ = o311.get(
        f"/open311/v2/requests.{fmt}",
        params={"start_date": "2026-09-30", "end_date": "2026-09-01"},
    )
    check_errors(reversed_, 400, fmt)
    check_errors(o311.get(f"/open311/v2/requests.{fmt}", params={"status": "done"}), 400, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(o311: TestClient, fmt: str):
    check_errors(o311.get(f"/open311/v2/requests/20260930-999999.{fmt}"), 404, fmt)
    check_errors(o311.get(f"/open311/v2/tokens/20260930-999999.{fmt}"), 404, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_is_the_ticket_number(o311: TestClient, api_key, lamp, fmt):
    ticket = _created_id(_post(o311, lamp_form(api_key, lamp)), "json")
    r = o311.get(f"/open311/v2/tokens/{ticket}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        assert r.json() == [{"service_request_id": ticket, "token": ticket}]
    else:
        (el,) = list(xml_root(r.content, "service_requests"))
        assert el.tag == "request"
        assert {c.tag: c.text for c in el} == {"service_request_id": ticket, "token": ticket}


def test_hotline_appeals_stay_out_of_the_public_feed(
    o311: TestClient, client: TestClient, users: Users, ctx: CityLoop, api_key, lamp
):
    hotline = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "小区门口的路灯坏了很久了，请尽快修理。",
            "reporter_phone": "13812341234",
            "category_code": lamp,
        },
        headers=users.headers("operator"),
    )
    assert hotline.status_code == 201
    assert o311.get("/open311/v2/requests.json").json() == []
    check_errors(o311.get(f"/open311/v2/requests/{hotline.json()['ticket_no']}.json"), 404, "json")


def test_same_client_id_is_idempotent_per_client(o311: TestClient, ctx: CityLoop, api_key, lamp):
    first = _post(o311, lamp_form(api_key, lamp, external_id="APP-7"))
    again = _post(o311, lamp_form(api_key, lamp, external_id="APP-7"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    _, other_key = keys.create_key(ctx, "other-app")
    other = _post(o311, lamp_form(other_key, lamp, external_id="APP-7"))
    assert other.status_code == 201
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]
    assert _count(ctx) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_key_is_required_and_must_be_valid(o311: TestClient, ctx: CityLoop, api_key, lamp, fmt):
    form = lamp_form(api_key, lamp)
    del form["api_key"]
    assert "api_key" in check_errors(_post(o311, form, fmt), 403, fmt)
    check_errors(_post(o311, {**form, "api_key": "o311_wrong"}, fmt), 403, fmt)
    keys.revoke_key(ctx, "civic-app")
    check_errors(_post(o311, lamp_form(api_key, lamp), fmt), 403, fmt)
    # A key given on a read must be valid too.
    check_errors(o311.get(f"/open311/v2/requests.{fmt}", params={"api_key": api_key}), 403, fmt)
    assert _count(ctx) == 0


def test_key_in_the_query_string_is_accepted(o311: TestClient, api_key, lamp):
    form = lamp_form(api_key, lamp)
    del form["api_key"]
    r = o311.post("/open311/v2/requests.json", params={"api_key": api_key}, data=form)
    assert r.status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_input_is_400_or_404_and_changes_nothing(
    o311: TestClient, ctx: CityLoop, api_key, lamp, fmt
):
    road = category(ctx, "城乡建设/市政设施/道路破损")
    noise = category(ctx, "环境保护/噪声污染/施工噪音")
    cases: list[tuple[dict, int, str]] = [
        (lamp_form(api_key, lamp, service_code=None), 400, "service_code"),
        (lamp_form(api_key, "9999"), 404, "9999"),
        (lamp_form(api_key, category(ctx, "城乡建设/市政设施")), 400, "subcategory"),
        (lamp_form(api_key, lamp, lat=None, long=None, address_string=None), 400, "location"),
        (lamp_form(api_key, lamp, long=None), 400, "lat and long"),
        (lamp_form(api_key, lamp, lat="91"), 400, "lat"),
        (lamp_form(api_key, lamp, lat="north"), 400, "lat"),
        (lamp_form(api_key, lamp, **{"attribute[lamp_state]": "exploded"}), 400, "lamp_state"),
        (lamp_form(api_key, lamp, **{"attribute[lamp_state]": None}), 400, "required"),
        (lamp_form(api_key, lamp, **{"attribute[lamp_count]": "many"}), 400, "lamp_count"),
        (lamp_form(api_key, lamp, **{"attribute[colour]": "red"}), 400, "colour"),
        (
            lamp_form(
                api_key,
                road,
                **{"attribute[lamp_state]": None, "attribute[hazards][]": ["pothole", "lava"]},
            ),
            400,
            "lava",
        ),
        (
            lamp_form(
                api_key,
                road,
                **{
                    "attribute[lamp_state]": None,
                    "attribute[hazards][]": "crack",
                    "attribute[safety_note]": "x",
                },
            ),
            400,
            "informational",
        ),
        (
            lamp_form(
                api_key,
                noise,
                **{"attribute[lamp_state]": None, "attribute[noise_started_at]": "last night"},
            ),
            400,
            "ISO 8601",
        ),
        (lamp_form(api_key, lamp, phone="12345"), 400, "phone"),
        (lamp_form(api_key, lamp, email="not-an-email"), 400, "email"),
        (lamp_form(api_key, lamp, media_url="javascript:alert(1)"), 400, "media_url"),
        (lamp_form(api_key, lamp, description="长" * 4001), 400, "description"),
    ]
    for form, status, words in cases:
        desc = check_errors(_post(o311, form, fmt), status, fmt)
        assert words in desc, (words, desc)
    assert _count(ctx) == 0


def test_list_attributes_and_datetimes_are_stored_clean(o311: TestClient, ctx: CityLoop, api_key):
    road = category(ctx, "城乡建设/市政设施/道路破损")
    noise = category(ctx, "环境保护/噪声污染/施工噪音")
    form = lamp_form(
        api_key,
        road,
        **{"attribute[lamp_state]": None, "attribute[hazards][]": ["pothole", "crack", "pothole"]},
    )
    assert _post(o311, form).status_code == 201
    form = lamp_form(
        api_key,
        noise,
        lat=None,
        long=None,
        address_id="990102001001001",
        **{
            "attribute[lamp_state]": None,
            "attribute[noise_started_at]": "2026-09-29 22:30",
            "attribute[noise_detail]": "夜间打桩",
        },
    )
    ticket = _created_id(_post(o311, form), "json")
    with ctx.uow() as uow:
        rows = {a.category_code: a for a in uow.session.execute(select(AppealRow)).scalars()}
    attrs = {a["name"]: a for a in rows[road].attachments}["attributes"]
    assert attrs["values"] == {"hazards": ["pothole", "crack"]}
    assert attrs["labels"] == {"hazards": ["坑洼", "裂缝"]}
    noise_attrs = {a["name"]: a for a in rows[noise].attachments}["attributes"]
    assert noise_attrs["values"]["noise_started_at"] == "2026-09-29T22:30:00+08:00"
    assert rows[noise].location_status == "needs_review"
    item = o311.get(f"/open311/v2/requests/{ticket}.json").json()[0]
    assert item["address_id"] == "990102001001001"
    assert item["lat"] is None and item["long"] is None


def test_short_description_is_prefixed_with_the_service(o311: TestClient, ctx, api_key, lamp):
    ticket = _created_id(_post(o311, lamp_form(api_key, lamp, description=None)), "json")
    item = o311.get(f"/open311/v2/requests/{ticket}.json").json()[0]
    assert item["description"] == "【路灯损坏】"


@pytest.mark.parametrize("fmt", FORMATS)
def test_rate_limit_per_key(o311: TestClient, ctx: CityLoop, lamp, fmt):
    _, key = keys.create_key(ctx, "small-app", rate_limit_per_minute=2)
    assert _post(o311, lamp_form(key, lamp), fmt).status_code == 201
    assert o311.get(f"/open311/v2/requests.{fmt}", params={"api_key": key}).status_code == 200
    r = _post(o311, lamp_form(key, lamp), fmt)
    assert "rate limit" in check_errors(r, 429, fmt)
    assert int(r.headers["retry-after"]) >= 1
    assert _count(ctx) == 1
    # Another client is counted on its own.
    _, other = keys.create_key(ctx, "other-app")
    assert _post(o311, lamp_form(other, lamp), fmt).status_code == 201


def test_rest_of_the_api_keeps_problem_json(o311: TestClient):
    r = o311.get("/api/v1/work-orders")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
