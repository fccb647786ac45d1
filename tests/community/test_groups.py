"""Micro-grid group chats: messages from WeCom's archive, text and CSV exports settle into
data; kinds, topics across groups and days, escalation, the leader's decision into a work
order and the reply for the group; masking, questions, the three-level view."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityloop.community.groups.adapters import FormatError, parse_csv, parse_text, parse_wecom
from cityloop.community.groups.labelled import load
from cityloop.community.groups.reading import Kind, objects_of, places_of, read
from cityloop.services.context import CityLoop
from tests.community.conftest import GRID_W1
from tests.conftest import TZ, Users

API = "/api/v1/community/groups"


# -- reading, on examples of the tuning part and the issue's own -------------------------
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("北门那个路灯又不亮了，晚上黑漆漆的，老人走路很危险", Kind.APPEAL),
        ("楼下垃圾桶满出来了，有人管管吗", Kind.APPEAL),  # a problem, though asked
        ("请问社区办居住证要带什么材料？", Kind.QUESTION),
        ("请问小区门禁卡丢了去哪补办？", Kind.QUESTION),  # 丢了, but personal
        ("【停水通知】因市政管网维修，11月22日9:00-15:00本楼停水，请提前储水。", Kind.NOTICE),
        ("物业天天收钱不干事，什么破物业", Kind.EMOTION),
        ("今天团购的大米到了", Kind.CHAT),
        ("下午有人一起打羽毛球吗", Kind.CHAT),
        ("[图片][图片]", Kind.CHAT),
        ("终于修好了，点赞", Kind.CHAT),
    ],
)
def test_message_kinds(text: str, kind: Kind) -> None:
    assert read(text).kind is kind


def test_objects_and_places_tell_matters_apart() -> None:
    assert objects_of("4栋门口的消防栓漏水，地上全是水") == {"hydrant"}  # not "a leak"
    assert objects_of("楼道的声控灯坏了") == {"corridor_light"}
    assert objects_of("北门路灯坏好几天了") == {"street_lamp"}
    p8, p9 = places_of("8栋电梯坏了"), places_of("9号楼电梯门关不上")
    assert p8.buildings == {"8"} and p9.buildings == {"9"} and p8.conflicts(p9)
    assert places_of("十二栋").buildings == {"12"}
    assert not places_of("北门路灯").conflicts(places_of("电梯坏了"))


def test_every_labelled_set_is_large_and_varied_enough() -> None:
    rows = load("tuning") + load("unseen")
    assert len(rows) >= 300
    assert {r.kind for r in rows} == {k.value for k in Kind}
    assert len({r.topic for r in rows if r.topic}) >= 30


# -- adapters -----------------------------------------------------------------------------
def test_wecom_archive_records_keep_group_text_only() -> None:
    records = [
        {
            "msgid": "m1",
            "action": "send",
            "from": "wmA",
            "roomid": "r1",
            "msgtime": 1764547200000,
            "msgtype": "text",
            "text": {"content": "电梯坏了"},
        },
        {
            "msgid": "m2",
            "action": "recall",
            "from": "wmA",
            "roomid": "r1",
            "msgtime": 1,
            "msgtype": "text",
            "text": {"content": "x"},
        },
        {
            "msgid": "m3",
            "action": "send",
            "from": "wmB",
            "roomid": "",
            "msgtime": 1,
            "msgtype": "text",
            "text": {"content": "私聊"},
        },
        {
            "msgid": "m4",
            "action": "send",
            "from": "wmB",
            "roomid": "r1",
            "msgtime": 1,
            "msgtype": "image",
            "image": {},
        },
    ]
    got = parse_wecom(json.dumps(records), TZ)
    assert [(m.external_id, m.room, m.text) for m in got] == [("m1", "r1", "电梯坏了")]
    lines = "\n".join(json.dumps(r) for r in records[:1])
    assert parse_wecom(lines, TZ)[0].at == datetime(2025, 12, 1, 8, 0, tzinfo=TZ)
    with pytest.raises(FormatError) as err:
        parse_wecom('[{"msgid": "x", "action": "send", "roomid": "r", "msgtype": "text"}]', TZ)
    assert err.value.where == "第 1 条"


def test_text_and_csv_exports_with_stable_ids_and_named_errors() -> None:
    text = "2026-11-28 07:30 老王: 早上好\n2026-11-28 07:31:05 小郑：8栋电梯停了\n我妈下不来\n"
    msgs = parse_text(text, TZ, "g")
    assert [m.text for m in msgs] == ["早上好", "8栋电梯停了\n我妈下不来"]
    assert [m.external_id for m in parse_text(text, TZ, "g")] == [m.external_id for m in msgs]
    with pytest.raises(FormatError) as err:
        parse_text("没有时间的一行", TZ, "g")
    assert err.value.where == "第 1 行"
    raw = "时间,发送人,内容\n2026-11-28 07:30,老王,早\n2026-11-28,小郑,电梯停了\n".encode("gb18030")
    with pytest.raises(FormatError) as err:
        parse_csv(raw, TZ, "g")
    assert err.value.where == "第 3 行“时间”"


# -- the service --------------------------------------------------------------------------
@pytest.fixture
def micro(ctx: CityLoop, capp: TestClient, city: Users) -> dict[str, Any]:
    admin = city.headers("admin")
    r = capp.post(
        f"{API}/micro-grids",
        json={
            "code": "MG-XFL-1",
            "name": "幸福里1栋",
            "grid_code": GRID_W1,
            "estate": "幸福里",
            "buildings": ["1栋"],
            "leader_name": "陈姐",
            "leader_user_id": city.id("resident2"),
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    g = capp.post(
        f"{API}/micro-grids/{r.json()['id']}/groups",
        json={
            "platform": "export",
            "external_id": "幸福里1栋群",
            "name": "幸福里1栋群",
            "member_count": 86,
        },
        headers=admin,
    )
    assert g.status_code == 201, g.text
    return {"mg": r.json()["id"], "group": g.json()["id"]}


def _export(day: str, lines: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"2026-{day} {t} {who}: {text}" for t, who, text in lines)


CHAT = [
    ("08:15", "快乐每一天", "北门那个路灯又不亮了，晚上黑漆漆的，打13912345678没人接"),
    ("08:17", "老张", "对，北门路灯坏好几天了"),
    ("08:20", "阳光", "[强]"),
    ("09:02", "二楼小王", "有没有人知道社区食堂几点开门？"),
    ("10:00", "李阿姨", "请问明天停水几点恢复？"),
    ("10:05", "陈姐", "明天下午三点恢复"),
    ("19:20", "李阿姨", "北门灯还是黑的，刚才差点摔一跤"),
]


def test_ingest_reads_gathers_escalates_and_is_idempotent(
    ctx: CityLoop, capp: TestClient, city: Users, micro: dict[str, Any]
) -> None:
    body = {"format": "text", "content": _export("09-29", CHAT)}
    staff = city.headers("grid_west") if "grid_west" in city.rows else city.headers("admin")
    r = capp.post(f"{API}/chat-groups/{micro['group']}/messages", json=body, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 7 and r.json()["topics_touched"] == 1
    again = capp.post(f"{API}/chat-groups/{micro['group']}/messages", json=body, headers=staff)
    assert again.json()["new"] == 0

    topics = capp.get(f"{API}/topics", headers=city.headers("admin")).json()
    assert topics["total"] == 1
    topic = topics["items"][0]
    # Three residents raised it: it waits for the micro-grid leader.
    assert (topic["messages"], topic["residents"], topic["status"]) == (3, 3, "escalated")

    # The question asked at 10:00 was answered by the leader at 10:05; 09:02's too.
    ctx.clock.set(datetime(2026, 9, 30, 12, 0, tzinfo=TZ))  # type: ignore[attr-defined]
    assert capp.get(f"{API}/questions", headers=city.headers("admin")).json() == []

    # The leader (resident2) sees names and numbers; a supervisor outside the street: nothing.
    full = capp.get(f"{API}/topics/{topic['id']}", headers=city.headers("resident2")).json()
    assert "13912345678" in full["timeline"][0]["text"]
    assert (
        capp.get(f"{API}/topics/{topic['id']}", headers=city.headers("resident")).status_code == 404
    )
    assert "13912345678" not in topic["title"]


def test_the_leader_confirms_a_topic_into_a_work_order_and_gets_the_reply(
    ctx: CityLoop, capp: TestClient, city: Users, micro: dict[str, Any]
) -> None:
    capp.post(
        f"{API}/chat-groups/{micro['group']}/messages",
        json={"format": "text", "content": _export("09-29", CHAT)},
        headers=city.headers("admin"),
    )
    tid = capp.get(f"{API}/topics", headers=city.headers("admin")).json()["items"][0]["id"]
    refused = capp.post(
        f"{API}/topics/{tid}/decision", json={"confirm": False}, headers=city.headers("resident2")
    )
    assert refused.status_code == 422  # dismissing needs a reason
    done = capp.post(
        f"{API}/topics/{tid}/decision", json={"confirm": True}, headers=city.headers("resident2")
    )
    assert done.status_code == 200, done.text
    oid = done.json()["work_order_id"]
    assert done.json()["status"] == "confirmed" and oid
    order = capp.get(f"/api/v1/work-orders/{oid}", headers=city.headers("admin")).json()
    assert "北门" in order["content"] and "13912345678" not in order["content"]
    assert (
        capp.post(
            f"{API}/topics/{tid}/decision",
            json={"confirm": True},
            headers=city.headers("resident2"),
        ).status_code
        == 422
    )

    from cityloop.store.models import WorkOrderRow

    with ctx.uow() as uow:
        row = uow.session.get(WorkOrderRow, oid)
        assert row is not None
        row.reply_text = "已更换北门路灯灯泡，恢复照明"
        uow.commit()
    topic = capp.get(f"{API}/topics/{tid}", headers=city.headers("resident2")).json()
    assert topic["reply_for_group"].startswith("【社区回复】")
    assert "已更换北门路灯灯泡" in topic["reply_for_group"]


def test_unanswered_questions_are_listed_and_can_be_marked(
    ctx: CityLoop, capp: TestClient, city: Users, micro: dict[str, Any]
) -> None:
    capp.post(
        f"{API}/chat-groups/{micro['group']}/messages",
        json={
            "format": "csv",
            "content": "时间,发送人,内容\n2026-09-29 09:00,二楼小王,请问体检需要空腹吗？\n",
        },
        headers=city.headers("admin"),
    )
    ctx.clock.set(datetime(2026, 9, 29, 12, 0, tzinfo=TZ))  # type: ignore[attr-defined]
    open_qs = capp.get(f"{API}/questions", headers=city.headers("admin")).json()
    assert [q["text"] for q in open_qs] == ["请问体检需要空腹吗？"]
    assert open_qs[0]["sender"] == "二楼小王"  # admin has full view in region
    assert (
        capp.post(
            f"{API}/messages/{open_qs[0]['id']}/answered", headers=city.headers("resident2")
        ).status_code
        == 200
    )
    assert capp.get(f"{API}/questions", headers=city.headers("admin")).json() == []


def test_three_level_view_and_bad_input(
    ctx: CityLoop, capp: TestClient, city: Users, micro: dict[str, Any]
) -> None:
    capp.post(
        f"{API}/chat-groups/{micro['group']}/messages",
        json={"format": "text", "content": _export("09-29", CHAT)},
        headers=city.headers("admin"),
    )
    for level, width in (("district", 6), ("street", 9), ("community", 12)):
        rows = capp.get(
            f"{API}/overview", params={"level": level}, headers=city.headers("admin")
        ).json()
        assert [r["code"] for r in rows] == [GRID_W1[:width]]
        assert rows[0]["groups"] == 1 and rows[0]["members"] == 86
        assert rows[0]["leaders"] == 1 and rows[0]["open_topics"] == 1
    bad = capp.post(
        f"{API}/chat-groups/{micro['group']}/messages",
        json={"format": "csv", "content": "时间,内容\n"},
        headers=city.headers("admin"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0] | {"message": ""} == {
        "field": "content",
        "code": "columns_missing",
        "params": {"columns": ["发送人"]},
        "message": "",
    }
    dup = capp.post(
        f"{API}/micro-grids/import",
        json={
            "csv": "编码,名称,网格编码,小区,楼栋,微网格长,身份\n"
            f"MG-2,二栋,{GRID_W1},幸福里,2栋,王叔,居民\n"
            f"MG-3,三栋,{GRID_W1},不存在小区,3栋,李叔,居民\n"
        },
        headers=city.headers("admin"),
    )
    assert dup.status_code == 422
    assert dup.json()["errors"][0] | {"message": ""} == {
        "field": "第 3 行“小区”",
        "code": "unknown_estate_in_grid",
        "params": {"grid": GRID_W1, "estate": "不存在小区"},
        "message": "",
    }
    assert len(capp.get(f"{API}/micro-grids", headers=city.headers("admin")).json()) == 1


def test_retention_purges_old_messages_but_keeps_topics(
    ctx: CityLoop, capp: TestClient, city: Users, micro: dict[str, Any]
) -> None:
    from cityloop.community.groups.chats import purge

    capp.post(
        f"{API}/chat-groups/{micro['group']}/messages",
        json={"format": "text", "content": _export("09-29", CHAT)},
        headers=city.headers("admin"),
    )
    assert purge(ctx, 30, now=datetime(2026, 9, 29, tzinfo=TZ) + timedelta(days=31)) == 7
    assert capp.get(f"{API}/topics", headers=city.headers("admin")).json()["total"] == 1


def test_cli_imports_a_text_export_and_names_a_bad_line(
    ctx: CityLoop, micro: dict[str, Any], settings: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    from typer.testing import CliRunner

    from cityloop.cli import app
    from cityloop.settings import get_settings

    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    f = tmp_path / "chat.txt"
    f.write_text("没有时间的一行\n" + _export("09-29", CHAT))
    bad = CliRunner().invoke(app, ["community", "groups", "messages", str(micro["group"]), str(f)])
    assert bad.exit_code == 2 and "第 1 行" in bad.output and "未导入任何数据" in bad.output
    f.write_text(_export("09-29", CHAT))
    good = CliRunner().invoke(app, ["community", "groups", "messages", str(micro["group"]), str(f)])
    assert good.exit_code == 0 and "'new': 7" in good.output
    get_settings.cache_clear()
