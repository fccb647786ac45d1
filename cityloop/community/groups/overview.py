"""The three-level management view (区—街道—社区): per region, the micro-grids, groups,
members, leaders, a week's messages, open topics and unanswered questions."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cityloop.community.groups import registry
from cityloop.community.groups.store import (
    ChatGroupRow,
    ChatMessageRow,
    ChatTopicRow,
)
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow

LEVELS = {"district": 6, "street": 9, "community": 12}


def overview(ctx: CityLoop, actor: Actor, level: str = "community") -> list[dict[str, Any]]:
    if level not in LEVELS:
        raise InvalidCommand("level", "overview_level")
    width = LEVELS[level]
    week = ctx.clock.now() - timedelta(days=7)
    with ctx.uow() as uow:
        s = uow.session
        mgs = registry.visible(s, actor)
        rows: dict[str, dict[str, Any]] = defaultdict(
            lambda: {
                "micro_grids": 0,
                "groups": 0,
                "members": 0,
                "leaders": set(),
                "messages_7d": 0,
                "open_topics": 0,
                "unanswered_questions": 0,
            }
        )
        for m in mgs.values():
            r = rows[m.grid_code[:width]]
            r["micro_grids"] += 1
            r["leaders"].add(m.leader_name)
        groups = s.execute(
            select(ChatGroupRow.id, ChatGroupRow.micro_grid_id, ChatGroupRow.member_count).where(
                ChatGroupRow.micro_grid_id.in_(list(mgs))
            )
        ).all()
        region_of_group = {}
        for gid, mid, members in groups:
            code = mgs[mid].grid_code[:width]
            region_of_group[gid] = code
            rows[code]["groups"] += 1
            rows[code]["members"] += members
        for gid, kind, answered, n in s.execute(
            select(
                ChatMessageRow.group_id, ChatMessageRow.kind, ChatMessageRow.answered, func.count()
            )
            .where(
                ChatMessageRow.group_id.in_(list(region_of_group)), ChatMessageRow.sent_at >= week
            )
            .group_by(ChatMessageRow.group_id, ChatMessageRow.kind, ChatMessageRow.answered)
        ).all():
            r = rows[region_of_group[gid]]
            r["messages_7d"] += n
            if kind == "question" and not answered:
                r["unanswered_questions"] += n
        for mid, n in s.execute(
            select(ChatTopicRow.micro_grid_id, func.count())
            .where(
                ChatTopicRow.micro_grid_id.in_(list(mgs)),
                ChatTopicRow.status.in_(("open", "escalated")),
            )
            .group_by(ChatTopicRow.micro_grid_id)
        ).all():
            rows[mgs[mid].grid_code[:width]]["open_topics"] += n
        names = dict(
            s.execute(
                select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(list(rows)))
            ).all()
        )
    return [
        {"code": code, "name": names.get(code, code), **{**r, "leaders": len(r["leaders"])}}
        for code, r in sorted(rows.items())
    ]
