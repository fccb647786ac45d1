"""Notifications reach people: the inbox, e-mail (a local SMTP server), SMS and the group
robots (a local HTTP gateway); tracked, retried with backoff, never sent twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from sqlalchemy import select

from cityloop.operations.notify.channels import configured_channels
from cityloop.operations.notify.delivery import deliver_due
from cityloop.operations.notify.recipients import parse_quiet_hours, quiet_until
from cityloop.operations.notify.service import emit
from cityloop.operations.notify.templates import Event, Notice
from cityloop.operations.store import MessageRow, PreferenceRow
from cityloop.operations.tails import tail_order_events, tail_residents
from cityloop.store.models import NotificationRow
from tests.conftest import TZ, WEST, category


def _appeal(
    client,
    ctx,
    phone: str | None = "13512345678",
    text: str = "幸福路路灯坏了，晚上很黑。",
    headers=None,
):
    body = {
        "channel": "web",
        "content": text,
        "address": "幸福路18号",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }
    if phone:
        body["reporter_phone"] = phone
    r = client.post("/api/v1/appeals", json=body, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


def _messages(ctx, **where):
    with ctx.uow() as uow:
        stmt = select(MessageRow).order_by(MessageRow.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(MessageRow, k) == v)
        return list(uow.session.scalars(stmt))


def test_dispatch_reaches_the_handlers_inbox_with_ticket_place_and_what_to_do(client, ctx, users):
    tail_order_events(ctx)  # the first run starts at the present
    created = _appeal(client, ctx)
    report = tail_order_events(ctx)
    assert report.messages >= 1
    h = users.headers("cg")
    box = client.get("/api/v1/inbox", headers=h).json()
    assert box["unread"] == 1
    [item] = box["items"]
    assert item["event"] == "dispatch" and item["ticket_no"] == created["ticket_no"]
    assert "幸福路18号" in item["body"] and "请及时签收" in item["body"]
    assert item["title"].startswith("【派单】")
    # another department's handler hears nothing; reading twice makes nothing new
    assert client.get("/api/v1/inbox", headers=users.headers("sw")).json()["unread"] == 0
    assert tail_order_events(ctx).messages == 0
    r = client.post(f"/api/v1/inbox/{item['id']}/read", headers=h)
    assert r.json() == {"unread": 0}
    # someone else's message is not found, not marked
    assert (
        client.post(f"/api/v1/inbox/{item['id']}/read", headers=users.headers("sw")).status_code
        == 404
    )


def test_urge_return_and_reopen_have_their_templates(client, ctx, users):
    tail_order_events(ctx)
    oid = _appeal(client, ctx)["work_order_id"]
    r = client.post(
        f"/api/v1/work-orders/{oid}/actions/urge",
        json={"note": "群众多次来电"},
        headers=users.headers("sup_west"),
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/work-orders/{oid}/actions/return",
        json={"note": "不属本单位职责"},
        headers=users.headers("cg"),
    )
    assert r.status_code == 200, r.text
    tail_order_events(ctx)
    urge = _messages(ctx, event="urge", channel="inbox")
    assert urge and "群众多次来电" in urge[0].body and "请优先办理" in urge[0].body
    returned = _messages(ctx, event="return", channel="inbox")
    assert returned and {m.user_id for m in returned} == {users.id("dispatcher")}
    assert "不属本单位职责" in returned[0].body and "重新派单" in returned[0].body


def test_resident_gets_the_ticket_by_sms_on_intake_and_the_answer_on_reply(
    client, wired, gateway, users
):
    ctx = wired
    tail_residents(ctx)
    created = _appeal(client, ctx)
    _appeal(client, ctx, phone=None, text="另一处路灯不亮", headers=users.headers("operator"))
    tail_residents(ctx)
    report = deliver_due(ctx, configured_channels(ctx.settings))
    assert report.sent == 1
    [sms] = gateway.paths("/sms")
    assert sms["json"]["mobile"] == "13512345678" and sms["json"]["ref"] == created["ticket_no"]
    assert created["ticket_no"] in sms["json"]["msg"] and "已受理" in sms["json"]["msg"]
    assert sms["headers"]["Authorization"] == "Bearer gw-token"
    # Closing an order writes the callers' answer into the outbox (services/orders.py).
    with ctx.uow() as uow:
        uow.session.add(
            NotificationRow(
                created_at=ctx.clock.now(),
                channel="sms",
                recipient="13512345678",
                ticket_no=created["ticket_no"],
                text=f"【12345】您反映的问题（受理编号{created['ticket_no']}）已办结。路灯已修复",
            )
        )
        uow.commit()
    tail_residents(ctx)
    deliver_due(ctx, configured_channels(ctx.settings))
    texts = [r["json"]["msg"] for r in gateway.paths("/sms")]
    assert len(texts) == 2 and "已办结。路灯已修复" in texts[1]
    with ctx.uow() as uow:  # handed over, so not sent again
        assert uow.session.scalars(select(NotificationRow.sent_at)).one() is not None
    tail_residents(ctx)
    assert deliver_due(ctx, configured_channels(ctx.settings)).sent == 0
    [m] = _messages(ctx, event="intake")
    assert m.status == "sent" and m.attempts == 1 and m.sent_at is not None


def test_email_sms_and_robots_for_an_urgent_notice(wired, gateway, smtp, users):
    ctx = wired
    with ctx.uow() as uow:
        uow.session.add(
            PreferenceRow(
                user_id=users.id("cg"),
                channels=["inbox", "email"],
                email="cg@city.example",
                muted_events=[],
                quiet_hours="",
                updated_at=ctx.clock.now(),
            )
        )
        uow.commit()
    n = Notice(
        event=Event.OVERDUE,
        key="t1",
        ticket_no="20260930000001",
        title="燃气泄漏",
        place="幸福路18号",
        due="9月30日 12:00",
        urgent=True,
        departments=("D-CG",),
    )
    assert emit(ctx, [n]) >= 3
    assert emit(ctx, [n]) == 0  # the same happening makes no second message
    report = deliver_due(ctx, configured_channels(ctx.settings))
    assert report.failed == 0 and report.sent >= 3
    [(rcpt, mail)] = smtp.messages
    assert rcpt == ["cg@city.example"] and "【超期】20260930000001" in mail["Subject"]
    assert "幸福路18号" in mail.get_content()
    [wecom] = gateway.paths("/wecom")
    assert wecom["query"]["key"] == "k1" and wecom["json"]["msgtype"] == "markdown"
    assert "20260930000001" in wecom["json"]["markdown"]["content"]
    [ding] = gateway.paths("/dingtalk")
    ts, sign = ding["query"]["timestamp"], ding["query"]["sign"]
    # what DingTalk checks: base64(HMAC-SHA256(secret, "timestamp\nsecret"))
    expect = base64.b64encode(
        hmac.new(
            b"SECdingtalk-secret", f"{ts}\nSECdingtalk-secret".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert unquote_plus(sign) == expect or sign == expect
    assert ding["json"]["msgtype"] == "markdown" and "超期" in ding["json"]["markdown"]["text"]


def test_failed_delivery_is_retried_with_backoff_then_given_up(wired, gateway, clock):
    ctx = wired
    ctx.settings.notify_max_attempts = 3
    emit(ctx, [Notice(event=Event.INTAKE, key="i1", ticket_no="T1", resident_phone="13500000001")])
    gateway.status = 503
    assert deliver_due(ctx, configured_channels(ctx.settings)).failed == 1
    [m] = _messages(ctx, event="intake")
    assert m.status == "failed" and m.attempts == 1 and m.last_error == "HTTP 503"
    assert m.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert deliver_due(ctx, configured_channels(ctx.settings)).as_dict() == {
        "sent": 0,
        "failed": 0,
        "given_up": 0,
    }  # not before its time
    clock.set(clock.now() + timedelta(seconds=31))
    deliver_due(ctx, configured_channels(ctx.settings))
    [m] = _messages(ctx, event="intake")
    assert m.attempts == 2 and m.next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.set(clock.now() + timedelta(seconds=61))
    assert deliver_due(ctx, configured_channels(ctx.settings)).given_up == 1
    [m] = _messages(ctx, event="intake")
    assert m.status == "given_up" and len(m.data["attempts"]) == 3
    assert len(gateway.paths("/sms")) == 3


def test_two_workers_never_send_a_message_twice(wired, gateway):
    ctx = wired
    emit(
        ctx,
        [
            Notice(
                event=Event.INTAKE, key=f"k{i}", ticket_no=f"T{i}", resident_phone=f"135000{i:05d}"
            )
            for i in range(60)
        ],
    )
    channels = configured_channels(ctx.settings)
    threads = [
        threading.Thread(target=deliver_due, args=(ctx, channels, f"w{i}", 7)) for i in range(2)
    ]
    for _ in range(6):
        threads = [
            threading.Thread(target=deliver_due, args=(ctx, channels, f"w{i}", 7)) for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    refs = [r["json"]["ref"] for r in gateway.paths("/sms")]
    assert len(refs) == len(set(refs))  # never twice
    while deliver_due(ctx, channels).sent:
        pass
    refs = [r["json"]["ref"] for r in gateway.paths("/sms")]
    assert sorted(refs) == sorted(f"T{i}" for i in range(60))


def test_quiet_hours_hold_ordinary_messages_but_not_urgent_ones(wired, users, clock):
    ctx = wired
    night = datetime(2026, 9, 30, 23, 30, tzinfo=TZ)
    clock.set(night)
    with ctx.uow() as uow:
        uow.session.add(
            PreferenceRow(
                user_id=users.id("cg"),
                channels=["inbox", "email"],
                email="cg@city.example",
                muted_events=["warning"],
                quiet_hours="22:00-07:00",
                updated_at=clock.now(),
            )
        )
        uow.commit()
    emit(ctx, [Notice(event=Event.DISPATCH, key="d1", ticket_no="T1", departments=("D-CG",))])
    emit(
        ctx,
        [
            Notice(
                event=Event.DISPATCH, key="d2", ticket_no="T2", urgent=True, departments=("D-CG",)
            )
        ],
    )
    emit(ctx, [Notice(event=Event.WARNING, key="w1", ticket_no="T3", departments=("D-CG",))])
    mails = {m.ticket_no: m for m in _messages(ctx, channel="email", user_id=users.id("cg"))}
    assert mails["T1"].next_attempt_at == datetime(2026, 10, 1, 7, 0, tzinfo=TZ)
    assert mails["T2"].next_attempt_at == night  # urgent: now, whatever the hour
    assert "T3" not in mails  # muted
    assert {m.ticket_no for m in _messages(ctx, channel="inbox", user_id=users.id("cg"))} == {
        "T1",
        "T2",
    }


def test_quiet_hours_parse_and_span_midnight():
    q = parse_quiet_hours("22:00-07:00")
    assert quiet_until(q, datetime(2026, 10, 1, 6, 0, tzinfo=TZ)) == datetime(
        2026, 10, 1, 7, 0, tzinfo=TZ
    )
    assert quiet_until(q, datetime(2026, 10, 1, 12, 0, tzinfo=TZ)) is None
    assert parse_quiet_hours("") is None


def test_preferences_api_validates_and_names_the_field(client, users):
    h = users.headers("cg")
    r = client.put(
        "/api/v1/me/notifications",
        headers=h,
        json={"channels": ["pigeon"], "email": "", "quiet_hours": ""},
    )
    assert r.status_code == 422 and "channels" in r.text
    r = client.put(
        "/api/v1/me/notifications",
        headers=h,
        json={"channels": ["email"], "email": "cg@x.cn", "quiet_hours": "25:00-07:00"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input"
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (
        "quiet_hours",
        "quiet_hours_format",
    )
    r = client.put(
        "/api/v1/me/notifications",
        headers=h,
        json={
            "channels": ["email"],
            "email": "cg@x.cn",
            "quiet_hours": "22:00-07:00",
            "muted_events": ["warning"],
        },
    )
    assert r.status_code == 200
    assert r.json()["channels"] == ["email", "inbox"] and r.json()["quiet_hours"] == "22:00-07:00"


def test_an_event_that_becomes_visible_late_is_still_told(client, ctx, users):
    """A sequence hands out ids before commit: an event with a smaller id can appear after
    the cursor passed it. The tail's overlap finds it; what it told already is not retold."""
    from sqlalchemy import func

    from cityloop.store.models import OrderEventRow

    tail_order_events(ctx)
    oid = _appeal(client, ctx)["work_order_id"]
    tail_order_events(ctx)
    before = len(_messages(ctx, event="dispatch"))
    with ctx.uow() as uow:
        top = uow.session.execute(select(func.max(OrderEventRow.id))).scalar_one()

    def dispatch_event(event_id: int) -> None:
        with ctx.uow() as uow:
            uow.session.add(
                OrderEventRow(
                    id=event_id,
                    work_order_id=oid,
                    action="dispatch",
                    at=ctx.clock.now(),
                    from_status="pending_dispatch",
                    to_status="dispatched",
                    actor_name="派单员",
                    actor_role="dispatcher",
                    note="",
                    data={},
                )
            )
            uow.commit()

    dispatch_event(top + 2)
    tail_order_events(ctx)
    after_first = len(_messages(ctx, event="dispatch"))
    assert after_first > before
    dispatch_event(top + 1)  # committed late, below the cursor
    assert tail_order_events(ctx).messages == after_first - before
    assert tail_order_events(ctx).messages == 0
