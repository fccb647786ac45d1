"""Group messages settle into data: ingest (idempotent), read each message, gather appeals
into topics, escalate a topic many residents raise; list topics and unanswered questions; the
leader confirms a topic into a work order (messages as masked evidence) or dismisses it, and
gets the text to post back when the order is answered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cityloop.community.common import audit
from cityloop.community.config import load as load_config
from cityloop.community.crypto import cipher_for
from cityloop.community.groups import registry
from cityloop.community.groups.adapters import Incoming
from cityloop.community.groups.labelled import STAFF_MARKS
from cityloop.community.groups.reading import KIND_LABELS, Kind, Places, read
from cityloop.community.groups.store import (
    ChatGroupRow,
    ChatMessageRow,
    ChatTopicRow,
    MicroGridRow,
)
from cityloop.community.groups.topics import Said, Topic, gather, with_group_place
from cityloop.community.linkage import open_order, progress_of
from cityloop.community.store import EstateRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name, mask_text
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound

WINDOW = timedelta(days=14)  # a matter raised again within two weeks is the same topic
ANSWER_WITHIN = timedelta(hours=24)  # a staff message this soon after a question answers it
STATUS_LABELS = {
    "open": "跟踪中",
    "escalated": "待微网格长确认",
    "confirmed": "已转工单",
    "dismissed": "已忽略",
}


def _estate_key(mg: MicroGridRow) -> str:
    return f"estate:{mg.estate_id}" if mg.estate_id else f"grid:{mg.grid_code}"


def _own_building(mg: MicroGridRow) -> str | None:
    """A building group's own building number ("3栋" → "3"), when it has exactly one."""
    if len(mg.buildings) != 1:
        return None
    digits = "".join(ch for ch in str(mg.buildings[0]) if ch.isdigit())
    return str(int(digits)) if digits else None


def _is_staff(mg: MicroGridRow, sender: str) -> bool:
    return sender == mg.leader_name or any(mark in sender for mark in STAFF_MARKS)


def _places_dict(p: Places) -> dict[str, list[str]]:
    return {"buildings": sorted(p.buildings), "gates": sorted(p.gates), "zones": sorted(p.zones)}


def _places_of(d: dict[str, Any]) -> Places:
    return Places(
        frozenset(d.get("buildings", [])),
        frozenset(d.get("gates", [])),
        frozenset(d.get("zones", [])),
    )


def ingest(
    ctx: CityLoop, actor: Actor, group_id: int, messages: Iterable[Incoming]
) -> dict[str, int]:
    """Store, read and gather new messages of one group. A message seen before (same id in
    the same group) changes nothing, so a re-import or a retried callback is harmless."""
    cipher = cipher_for(ctx.settings)
    policy = load_config(ctx.settings).snaps
    with ctx.uow() as uow:
        s = uow.session
        group = s.get(ChatGroupRow, group_id)
        if group is None:
            raise NotFound(f"chat group {group_id}")
        mg = registry.load(s, actor, group.micro_grid_id)
        if not (registry.is_leader(actor, mg) or actor.role in registry.STAFF):
            raise PermissionDenied("只有微网格长和社区工作人员可以导入群消息")
        incoming = list(messages)
        known = set(
            s.execute(
                select(ChatMessageRow.external_id).where(
                    ChatMessageRow.group_id == group_id,
                    ChatMessageRow.external_id.in_([m.external_id for m in incoming]),
                )
            ).scalars()
        )
        fresh: list[ChatMessageRow] = []
        said: list[Said] = []
        for m in incoming:
            if m.external_id in known:
                continue
            known.add(m.external_id)
            staff = _is_staff(mg, m.sender)
            reading = read(m.text, from_staff=staff)
            row = ChatMessageRow(
                group_id=group_id,
                external_id=m.external_id,
                sender_key=(cipher.digest(f"{group.platform}:{m.sender}") or "")[:64],
                sender_nick=m.sender,
                from_staff=staff,
                sent_at=m.at,
                text=m.text[:4000],
                kind=reading.kind.value,
                why=reading.why[:40],
                topic_id=None,
                answered=False,
            )
            fresh.append(row)
            if reading.kind is Kind.APPEAL:
                said.append(
                    Said(
                        m.external_id,
                        _estate_key(mg),
                        m.at,
                        m.text,
                        reading.objects,
                        with_group_place(reading.places, _own_building(mg)),
                        row.sender_key,
                    )
                )
        s.add_all(fresh)
        s.flush()
        topics = _gather_into_topics(s, mg, said, fresh, policy.escalate_at)
        _mark_answered(s, group_id, fresh)
        if fresh:
            latest = max(r.sent_at for r in fresh)
            if group.last_message_at is None or latest > group.last_message_at:
                group.last_message_at = latest
        audit(s, actor, "chat_ingest", f"chat_group:{group_id}", {"new": len(fresh)})
        uow.commit()
    return {"received": len(incoming), "new": len(fresh), "topics_touched": topics}


def _gather_into_topics(
    s: Session,
    mg: MicroGridRow,
    said: list[Said],
    fresh: list[ChatMessageRow],
    escalate_at: int,
) -> int:
    if not said:
        return 0
    key = _estate_key(mg)
    since = min(x.at for x in said) - WINDOW
    rows = list(
        s.execute(
            select(ChatTopicRow).where(
                ChatTopicRow.estate_key == key,
                ChatTopicRow.last_at >= since,
                ChatTopicRow.status.in_(("open", "escalated")),
            )
        ).scalars()
    )
    known: list[Topic] = []
    by_topic: dict[int, ChatTopicRow] = {}
    for r in rows:
        texts = s.execute(
            select(ChatMessageRow.text)
            .where(ChatMessageRow.topic_id == r.id)
            .order_by(ChatMessageRow.sent_at.desc())
            .limit(10)
        ).scalars()
        t = Topic(key, set(r.objects), _places_of(r.places), r.first_at, r.last_at)
        t.texts = list(texts)
        t.keys = [f"topic:{r.id}"]
        known.append(t)
        by_topic[id(t)] = r
    topics = gather(said, WINDOW, known)
    row_of = {r.external_id: r for r in fresh}
    touched = 0
    for t in topics:
        new_keys = [k for k in t.keys if k in row_of]
        if not new_keys:
            continue
        touched += 1
        topic = by_topic.get(id(t))
        if topic is None:
            first = row_of[new_keys[0]]
            topic = ChatTopicRow(
                estate_key=key,
                grid_code=mg.grid_code,
                micro_grid_id=mg.id,
                title=(mask_text(" ".join(first.text.split())) or "")[:120],
                objects=sorted(t.objects),
                places=_places_dict(t.places),
                first_at=t.first_at,
                last_at=t.last_at,
                messages=0,
                residents=0,
                status="open",
                work_order_id=None,
                decided_by=None,
                decided_at=None,
                decision_note="",
            )
            s.add(topic)
            s.flush()
        for k in new_keys:
            row_of[k].topic_id = topic.id
        s.flush()
        topic.places = _places_dict(t.places)
        topic.last_at = max(topic.last_at, t.last_at)
        topic.messages, topic.residents = s.execute(
            select(func.count(), func.count(func.distinct(ChatMessageRow.sender_key))).where(
                ChatMessageRow.topic_id == topic.id
            )
        ).one()
        if topic.status == "open" and topic.residents >= escalate_at:
            topic.status = "escalated"  # many residents raise it: the leader must decide
    return touched


def _mark_answered(s: Session, group_id: int, fresh: list[ChatMessageRow]) -> None:
    """A question counts as answered once staff write in the group within a day after it."""
    for staff_msg in (r for r in fresh if r.from_staff):
        s.execute(
            update(ChatMessageRow)
            .where(
                ChatMessageRow.group_id == group_id,
                ChatMessageRow.kind == Kind.QUESTION.value,
                ChatMessageRow.answered.is_(False),
                ChatMessageRow.sent_at < staff_msg.sent_at,
                ChatMessageRow.sent_at >= staff_msg.sent_at - ANSWER_WITHIN,
            )
            .values(answered=True)
        )


def _message_view(r: ChatMessageRow, full: bool) -> dict[str, Any]:
    return {
        "id": r.id,
        "sent_at": r.sent_at,
        "sender": r.sender_nick if full else mask_name(r.sender_nick),
        "text": r.text if full else mask_text(r.text),
        "kind": r.kind,
        "kind_label": KIND_LABELS[Kind(r.kind)],
        "why": r.why,
        "answered": r.answered,
    }


def _topic_view(
    ctx: CityLoop,
    s: Session,
    actor: Actor,
    t: ChatTopicRow,
    mg: MicroGridRow,
    with_messages: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "title": t.title,
        "micro_grid": mg.name,
        "grid_code": t.grid_code,
        "objects": t.objects,
        "places": t.places,
        "first_at": t.first_at,
        "last_at": t.last_at,
        "messages": t.messages,
        "residents": t.residents,
        "status": t.status,
        "status_label": STATUS_LABELS[t.status],
        "work_order_id": t.work_order_id,
        "decision_note": t.decision_note,
        "progress": None,
        "reply_for_group": None,
    }
    if t.work_order_id:
        p = progress_of(ctx, [t.work_order_id]).get(t.work_order_id)
        if p is not None:
            out["progress"] = p.as_dict()
            if p.reply:
                out["reply_for_group"] = (
                    f"【社区回复】大家反映的“{t.title[:30]}”已转社区工单"
                    f"（受理编号 {p.ticket_no}），处理结果：{mask_text(p.reply)}。感谢大家的反映！"
                )
    if with_messages:
        full = registry.may_see_full(actor, mg)
        rows = s.execute(
            select(ChatMessageRow)
            .where(ChatMessageRow.topic_id == t.id)
            .order_by(ChatMessageRow.sent_at)
        ).scalars()
        out["timeline"] = [_message_view(r, full) for r in rows]
    return out


def list_topics(
    ctx: CityLoop, actor: Actor, status: str | None = None, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    if status is not None and status not in STATUS_LABELS:
        raise InvalidCommand("status", "enum", {"expected": list(STATUS_LABELS)})
    with ctx.uow() as uow:
        s = uow.session
        mgs = registry.visible(s, actor)
        stmt = select(ChatTopicRow).where(ChatTopicRow.micro_grid_id.in_(list(mgs)))
        if status:
            stmt = stmt.where(ChatTopicRow.status == status)
        total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = s.execute(
            stmt.order_by(ChatTopicRow.residents.desc(), ChatTopicRow.last_at.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).scalars()
        items = [_topic_view(ctx, s, actor, t, mgs[t.micro_grid_id], False) for t in rows]
        return {"total": total, "page": page, "page_size": page_size, "items": items}


def get_topic(ctx: CityLoop, actor: Actor, topic_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        t = s.get(ChatTopicRow, topic_id)
        mg = s.get(MicroGridRow, t.micro_grid_id) if t else None
        if t is None or mg is None or not registry.may_see(actor, mg):
            raise NotFound(f"chat topic {topic_id}")
        return _topic_view(ctx, s, actor, t, mg, True)


def decide(
    ctx: CityLoop, actor: Actor, topic_id: int, *, confirm: bool, note: str = ""
) -> dict[str, Any]:
    """The leader's (or staff's) decision: confirm → a work order through the linkage list
    with the messages as masked evidence; dismiss → recorded with the reason."""
    with ctx.uow() as uow:
        s = uow.session
        t = s.get(ChatTopicRow, topic_id)
        mg = s.get(MicroGridRow, t.micro_grid_id) if t else None
        if t is None or mg is None or not registry.may_see(actor, mg):
            raise NotFound(f"chat topic {topic_id}")
        if not (registry.is_leader(actor, mg) or actor.role in registry.STAFF):
            raise PermissionDenied("只有微网格长和社区工作人员可以确认主题")
        if t.status in ("confirmed", "dismissed"):
            raise InvalidCommand("topic_id", "topic_decided", {"status": t.status})
        if not confirm and not note.strip():
            raise InvalidCommand("note", "reason_required")
        evidence = [
            f"{r.sent_at.astimezone(ctx.settings.tz):%m-%d %H:%M} "
            f"{mask_name(r.sender_nick)}：{mask_text(r.text)}"
            for r in s.execute(
                select(ChatMessageRow)
                .where(ChatMessageRow.topic_id == t.id)
                .order_by(ChatMessageRow.sent_at)
                .limit(20)
            ).scalars()
        ]
        estate = s.get(EstateRow, mg.estate_id) if mg.estate_id else None
        title, grid, lon, lat = t.title, mg.grid_code, None, None
        if estate is not None:
            lon, lat = estate.lon, estate.lat
        address = f"{estate.name if estate else ''}{'、'.join(mg.buildings)}"
    order_id = None
    if confirm:
        result = open_order(
            ctx,
            source=f"微网格长（{mg.name}）",
            external_id=f"chat-topic-{topic_id}",
            title=title[:100],
            content=f"{mg.name}群内居民反映（{t.residents}人、{t.messages}条）：\n"
            + "\n".join(evidence),
            channel="wechat",
            category_code=None,
            lon=lon,
            lat=lat,
            address=address,
        )
        order_id = result.work_order_id
    with ctx.uow() as uow:
        s = uow.session
        t = s.get(ChatTopicRow, topic_id)
        assert t is not None
        t.status = "confirmed" if confirm else "dismissed"
        t.work_order_id = order_id
        t.decided_by = actor.user_id
        t.decided_at = ctx.clock.now()
        t.decision_note = note.strip()[:200]
        audit(
            s,
            actor,
            "chat_topic_decide",
            f"chat_topic:{topic_id}",
            {"confirm": confirm, "order": order_id, "grid": grid},
        )
        uow.commit()
    return get_topic(ctx, actor, topic_id)


def unanswered_questions(
    ctx: CityLoop, actor: Actor, older_than: timedelta = timedelta(hours=2)
) -> list[dict[str, Any]]:
    """Residents' questions no staff member has answered in their group yet."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        mgs = registry.visible(s, actor)
        rows = s.execute(
            select(ChatMessageRow, ChatGroupRow)
            .join(ChatGroupRow, ChatGroupRow.id == ChatMessageRow.group_id)
            .where(
                ChatGroupRow.micro_grid_id.in_(list(mgs)),
                ChatMessageRow.kind == Kind.QUESTION.value,
                ChatMessageRow.answered.is_(False),
                ChatMessageRow.sent_at <= now - older_than,
            )
            .order_by(ChatMessageRow.sent_at)
            .limit(200)
        ).all()
        return [
            {
                **_message_view(m, registry.may_see_full(actor, mgs[g.micro_grid_id])),
                "group": g.name,
            }
            for m, g in rows
        ]


def mark_answered(ctx: CityLoop, actor: Actor, message_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        m = s.get(ChatMessageRow, message_id)
        g = s.get(ChatGroupRow, m.group_id) if m else None
        mg = s.get(MicroGridRow, g.micro_grid_id) if g else None
        if m is None or mg is None or not registry.may_see(actor, mg):
            raise NotFound(f"chat message {message_id}")
        m.answered = True
        uow.commit()
        return _message_view(m, registry.may_see_full(actor, mg))


def purge(ctx: CityLoop, keep_days: int, now: datetime | None = None) -> int:
    """Retention: messages older than `keep_days` are deleted (topics keep their counts and
    masked title, so the analysis survives the words)."""
    cutoff = (now or ctx.clock.now()) - timedelta(days=keep_days)
    with ctx.uow() as uow:
        n = uow.session.query(ChatMessageRow).filter(ChatMessageRow.sent_at < cutoff).delete()
        uow.commit()
        return int(n)
