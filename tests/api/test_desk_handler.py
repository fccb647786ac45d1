"""The handler's and dispatcher's desk: extensions in natural units, a structured reply with
photos, time left that says its clock, similar orders to merge from a list."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from cityloop.domain.remaining import order_remaining_words
from cityloop.domain.sla import LimitClock
from cityloop.services.clock import ManualClock
from tests.conftest import WEST, Users, category

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LAMP = "城乡建设/市政设施/路灯损坏"


def _new(client: TestClient, users: Users, ctx, **over: object) -> dict:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "幸福路路灯不亮已经三天了，晚上出行很不安全，请尽快维修。",
        "reporter_phone": "13900001111",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, LAMP),
    }
    body.update(over)
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, users, who, order_id, action, **body):
    return client.post(
        f"/api/v1/work-orders/{order_id}/actions/{action}", json=body, headers=users.headers(who)
    )


def _working(client, users, ctx) -> int:
    oid = _new(client, users, ctx)["work_order_id"]
    assert _act(client, users, "cg", oid, "accept").status_code == 200
    return oid


def test_extension_in_working_days_natural_days_and_hours(client, users, ctx):
    oid = _working(client, users, ctx)
    before = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("cg")).json()
    r = _act(
        client,
        users,
        "cg",
        oid,
        "request_extension",
        note="需要更换灯杆，等待材料",
        extension_amount=2,
        extension_unit="working_days",
    )
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["pending_extension"] == "2d"
    assert order["pending_extension_label"]["zh"] == "2个工作日"
    approved = _act(client, users, "dispatcher", oid, "approve_extension", note="同意").json()
    # Two working days after Tue 13 Oct 18:00 is Thu 15 Oct 18:00.
    due = datetime.fromisoformat(approved["due_at"]).astimezone(ctx.settings.tz)
    assert datetime.fromisoformat(before["due_at"]).astimezone(ctx.settings.tz).day == 13
    assert due.isoformat() == "2026-10-15T18:00:00+08:00"

    r = _act(
        client,
        users,
        "cg",
        oid,
        "request_extension",
        note="再等一天",
        extension_amount=3,
        extension_unit="natural_days",
    )
    assert r.json()["pending_extension"] == "3d@natural"
    assert "自然" in r.json()["pending_extension_label"]["zh"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"extension_amount": 0, "extension_unit": "working_days"}, "extension_amount"),
        ({"extension_amount": 61, "extension_unit": "working_days"}, "extension_amount"),
        ({"extension_amount": 2, "extension_unit": "fortnights"}, "extension_unit"),
        ({"extension_amount": 2}, "extension_unit"),
        ({"extension_unit": "hours"}, "extension_amount"),
        ({"extension_amount": 2, "extension_unit": "hours", "extension": "三天"}, "extension"),
        ({"extension": "三天"}, "extension"),
    ],
)
def test_nonsense_extensions_are_422_naming_the_field(client, users, ctx, body, field):
    oid = _working(client, users, ctx)
    r = _act(client, users, "cg", oid, "request_extension", note="理由", **body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]


def test_structured_reply_with_photos_before_and_after(client, users, ctx):
    oid = _working(client, users, ctx)
    photos = []
    for name in ("before.png", "after.png"):
        up = client.post("/api/v1/attachments", files={"file": (name, PNG, "image/png")})
        assert up.status_code in (200, 201), up.text
        photos.append(up.json())
    r = _act(
        client,
        users,
        "cg",
        oid,
        "reply",
        note="已更换灯泡，路灯恢复照明。",
        result="resolved",
        measures="更换灯泡 1 个，检修线路",
        photos_before=[photos[0]],
        photos_after=[photos[1]],
    )
    assert r.status_code == 200, r.text
    reply = r.json()["reply"]
    assert reply["result"] == "resolved" and reply["measures"] == "更换灯泡 1 个，检修线路"
    assert [p["name"] for p in reply["photos_before"]] == ["before.png"]
    assert reply["photos_after"][0]["download_url"]
    assert r.json()["timeline"][-1]["data"]["result"] == "resolved"


def test_structured_reply_refuses_what_does_not_fit(client, users, ctx):
    oid = _working(client, users, ctx)

    def refused(r) -> tuple[str, str, dict]:
        assert r.status_code == 422 and r.json()["code"] == "invalid_input"
        e = r.json()["errors"][0]
        return e["field"], e["code"], e["params"]

    r = _act(client, users, "cg", oid, "reply", note="无法处理。", result="unresolved")
    assert refused(r) == ("note", "unresolved_note", {"min_length": 10})
    r = _act(client, users, "cg", oid, "reply", note="已处理。", result="maybe")
    assert refused(r)[:2] == ("result", "literal_error")  # the schema's own check
    r = _act(client, users, "cg", oid, "reply", note="已处理。", measures="换灯")
    assert refused(r) == ("result", "reply_result", {})
    r = _act(client, users, "cg", oid, "comment", note="备注", result="resolved")
    assert refused(r) == ("result", "reply_only", {})
    bad = {"name": "x.png", "url": "javascript:alert(1)", "content_type": "image/png"}
    r = _act(
        client, users, "cg", oid, "reply", note="已处理。", result="resolved", photos_after=[bad]
    )
    assert r.status_code == 422
    # A plain reply (as before) still works and has no structured part.
    r = _act(client, users, "cg", oid, "reply", note="已处理完毕。")
    assert r.status_code == 200 and r.json()["reply"] is None


def test_time_left_says_its_clock(client, users, ctx, clock: ManualClock):
    oid = _new(client, users, ctx)["work_order_id"]  # 5 working days, due 13 Oct 18:00
    sla = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("cg")).json()["sla"]
    assert sla["clock"] == "working" and sla["day_seconds"] == ctx.sla.office_hours.seconds_per_day
    assert re.fullmatch(r"剩余 \d(\.\d)? 个工作日", sla["remaining_text"]["zh"]), sla
    days = sla["remaining_text"]["params"]["days"]
    assert days == round(sla["remaining_seconds"] / sla["day_seconds"], 1) and 5 < days < 6
    clock.set(datetime(2026, 10, 13, 15, 0, tzinfo=clock.now().tzinfo))
    sla = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("cg")).json()["sla"]
    assert sla["remaining_text"]["zh"] == "剩余 3小时（工作时间）"


def test_order_remaining_words() -> None:
    day = 7.5 * 3600
    assert order_remaining_words(2.6 * day, LimitClock.WORKING, day).zh == "剩余 2.6 个工作日"
    assert order_remaining_words(3 * day, LimitClock.WORKING, day).zh == "剩余 3 个工作日"
    assert order_remaining_words(5 * 3600, LimitClock.NATURAL, day).zh == "剩余 5小时（自然时）"
    assert order_remaining_words(-5400, LimitClock.NATURAL, day).zh == "超时 1小时30分（自然时）"
    over = order_remaining_words(-1.5 * day, LimitClock.WORKING, day)
    assert over.zh == "超时 1.5 个工作日" and over.code == "order.overdue"
    assert (
        order_remaining_words(30, LimitClock.WORKING, day).en == "under 1 min left (office hours)"
    )
    assert order_remaining_words(2 * 86400, LimitClock.NATURAL, day).en == (
        "2 days left (calendar time)"
    )
    with pytest.raises(ValueError):
        order_remaining_words(10, LimitClock.WORKING, 0)


def test_similar_orders_listed_for_the_operator_and_the_dispatcher(client, users, ctx):
    ctx.settings.incident_linking = False
    first = _new(client, users, ctx, content="幸福路3号门口路灯坏了好几天，晚上很黑")
    other = _new(
        client,
        users,
        ctx,
        content="和平街工地夜间施工噪音很大",
        category_code=category(ctx, "环境保护/噪声污染/施工噪音"),
    )
    second = _new(client, users, ctx, content="幸福路3号那里的路灯不亮，坏了好几天了")
    h = users.headers("dispatcher")
    r = client.get(f"/api/v1/work-orders/{second['work_order_id']}/similar", headers=h)
    assert r.status_code == 200, r.text
    ids = [i["order_id"] for i in r.json()["items"]]
    assert ids == [first["work_order_id"]]
    assert other["work_order_id"] not in ids
    item = r.json()["items"][0]
    assert item["ticket_no"] == first["ticket_no"] and item["reasons"] and item["content"]

    analysed = client.post(
        "/api/v1/understanding/analyse",
        json={
            "content": "幸福路3号门口路灯坏了好几天",
            "lon": WEST[0],
            "lat": WEST[1],
            "category_code": category(ctx, LAMP),
        },
        headers=users.headers("operator"),
    ).json()
    assert {s["order_id"] for s in analysed["similar"]} == {
        first["work_order_id"],
        second["work_order_id"],
    }
    assert analysed["route"]["why"].startswith("联动清单：城乡建设/市政设施")
    assert (
        client.get(
            f"/api/v1/work-orders/{first['work_order_id']}/similar", headers=users.headers("cg")
        ).status_code
        == 403
    )
    assert client.get("/api/v1/work-orders/999999/similar", headers=h).status_code == 404


def test_without_a_model_the_category_names_suggest_with_their_words(client, users, ctx):
    r = client.post(
        "/api/v1/understanding/analyse",
        json={"content": "小区门口的路灯坏了，晚上很黑"},
        headers=users.headers("operator"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    top = body["suggestions"][0]
    assert top["category_path"] == LAMP and top["source"] == "keyword"
    assert "路灯" in top["words"] and ["路灯", 1.0] in body["explain"]
    assert top["auto_dispatch"] is False
    assert body["route"]["lead_department"] == "D-CG"  # the rule for the suggested category
    nothing = client.post(
        "/api/v1/understanding/analyse",
        json={"content": "想问一下今天天气怎么样"},
        headers=users.headers("operator"),
    ).json()
    assert nothing["suggestions"] == [] and nothing["route"] is None


def test_uncategorised_orders_in_the_queue_are_found_similar(client, users, ctx):
    # Neither call has a category (no model, the operator chose none): place and text decide.
    body = {"channel": "hotline", "reporter_phone": "13900001111", "lon": WEST[0], "lat": WEST[1]}
    a = client.post(
        "/api/v1/appeals",
        json={**body, "content": "幸福路3号门口的路灯一直不亮，晚上很黑看不见路"},
        headers=users.headers("operator"),
    ).json()
    b = client.post(
        "/api/v1/appeals",
        json={**body, "content": "幸福路3号门口路灯一直不亮，晚上黑得看不见路了"},
        headers=users.headers("operator"),
    ).json()
    assert a["status"] == b["status"] == "pending_dispatch"
    found = client.get(
        f"/api/v1/work-orders/{b['work_order_id']}/similar", headers=users.headers("dispatcher")
    ).json()
    assert [i["order_id"] for i in found["items"]] == [a["work_order_id"]]
    # Far away, the same words are another incident.
    far = client.post(
        "/api/v1/appeals",
        json={
            **body,
            "lon": 104.3,
            "lat": 30.1,
            "content": "和平街的路灯一直不亮，晚上很黑看不见路",
        },
        headers=users.headers("operator"),
    ).json()
    found = client.get(
        f"/api/v1/work-orders/{far['work_order_id']}/similar", headers=users.headers("dispatcher")
    ).json()
    assert found["items"] == []


def test_shared_words_are_the_longest_common_runs() -> None:
    from cityloop.nlp.keywords import keyword_categories, shared_words

    assert shared_words("路灯不亮", "门口的路灯坏了") == ["路灯"]
    assert shared_words("供水管道漏水", "家里供水管道漏水了") == ["供水管道漏水"]
    assert shared_words("噪音", "很安静") == []
    paths = {"01": "城市管理", "0101": "城市管理/市政设施", "010101": "城市管理/市政设施/路灯不亮"}
    top = keyword_categories("市政的路灯不亮了", paths, {"010101"})
    assert [(k.category_code, k.words) for k in top] == [("010101", ("路灯不亮", "市政"))]


def test_working_days_on_an_urgent_natural_clock_order_stay_working_days(client, users, ctx):
    # An urgent order runs on the natural clock (2h); 2 工作日 asked for stays working days.
    oid = _new(client, users, ctx, urgency="urgent")["work_order_id"]
    assert _act(client, users, "cg", oid, "accept").status_code == 200
    r = _act(
        client,
        users,
        "cg",
        oid,
        "request_extension",
        note="需要更换灯杆",
        extension_amount=2,
        extension_unit="working_days",
    )
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["time_limit"].endswith("@natural")
    assert order["pending_extension"] == "2d@working"
    assert order["pending_extension_label"]["zh"] == "2个工作日"
    approved = _act(client, users, "dispatcher", oid, "approve_extension", note="同意").json()
    # Due 12:00 on Wed 30 Sep + 2 working days: across the National Day holiday to 9 Oct.
    due = datetime.fromisoformat(approved["due_at"]).astimezone(ctx.settings.tz)
    assert due.date().isoformat() == "2026-10-09"


def test_keyword_suggestions_drop_stray_shared_words() -> None:
    from cityloop.nlp.keywords import keyword_categories

    paths = {
        "0101": "咨询/户籍办理咨询",
        "0201": "安全/非法加工作坊",
    }
    top = keyword_categories("刚来本市工作，想咨询居住证怎么办理", paths, {"0101", "0201"})
    assert [k.category_code for k in top] == ["0101"]
