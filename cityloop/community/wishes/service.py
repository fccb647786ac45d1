"""Wish wall (心愿墙) use cases: residents post wishes for their community and vote on them;
a wish that passes becomes a work order through the linkage list, and shows its progress."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import (
    NotFound,
    category_by_path,
    region_center,
    resident_of,
)
from cityloop.community.config import load as load_config
from cityloop.community.linkage import open_order, progress_of
from cityloop.community.store import HouseholdRow, ResidentRow, WishRow, WishVoteRow
from cityloop.community.wishes.tally import Tally, tally
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow
from cityloop.store.prefix import starts_with

STATUS_LABELS = {"open": "征集中", "adopted": "已立项", "closed": "已关闭"}


def _community_households(s: Session, community: str) -> int:
    lived_in = exists().where(
        ResidentRow.household_id == HouseholdRow.id, ResidentRow.active.is_(True)
    )
    return s.execute(
        select(func.count())
        .select_from(HouseholdRow)
        .where(starts_with(HouseholdRow.grid_code, community), lived_in)
    ).scalar_one()


def _tally(ctx: CityLoop, s: Session, wish: WishRow) -> Tally:
    votes = s.execute(
        select(WishVoteRow.household_id, WishVoteRow.support).where(WishVoteRow.wish_id == wish.id)
    ).all()
    policy = load_config(ctx.settings).wishes
    return tally(
        [(h, bool(v)) for h, v in votes], _community_households(s, wish.community_code), policy
    )


def post_wish(
    ctx: CityLoop, actor: Actor, title: str, content: str, category: str | None
) -> dict[str, Any]:
    if actor.role is not Role.RESIDENT:
        raise PermissionDenied("心愿由居民发布 wishes are posted by residents")
    code = category_by_path(ctx, category) if category else None
    if category and code is None:
        raise InvalidCommand("category", "unknown_category", {"code": category})
    with ctx.uow() as uow:
        s = uow.session
        resident, _household = resident_of(s, actor)
        community = access.community_of(resident.grid_code)
        if community is None:
            raise InvalidCommand("community", "no_community")
        wish = WishRow(
            community_code=community,
            title=title.strip(),
            content=content.strip(),
            category_code=code,
            author_user_id=actor.user_id,
            author_resident_id=resident.id,
            status="open",
            created_at=ctx.clock.now(),
        )
        s.add(wish)
        uow.commit()
        wish_id = wish.id
    return get_wish(ctx, actor, wish_id)


def _visible(s: Session, actor: Actor, wish: WishRow) -> bool:
    if actor.role is Role.RESIDENT:
        try:
            resident, _ = resident_of(s, actor)
        except PermissionDenied:
            return False
        return resident.grid_code.startswith(wish.community_code)
    # Staff see the communities in their region; a grid worker sees their grid's community.
    return access.in_region(actor, wish.community_code) or (
        actor.role in access.SCOPED
        and (actor.region_code or "\x00").startswith(wish.community_code)
    )


def _load(s: Session, actor: Actor, wish_id: int) -> WishRow:
    wish = s.get(WishRow, wish_id)
    if wish is None or not _visible(s, actor, wish):
        raise NotFound(f"wish {wish_id}")
    return wish


def _view(ctx: CityLoop, s: Session, actor: Actor, wish: WishRow) -> dict[str, Any]:
    t = _tally(ctx, s, wish)
    mine = None
    if actor.role is Role.RESIDENT:
        mine = s.execute(
            select(WishVoteRow.support)
            .join(ResidentRow, ResidentRow.id == WishVoteRow.resident_id)
            .where(WishVoteRow.wish_id == wish.id, ResidentRow.user_id == actor.user_id)
        ).scalar()
    name = s.execute(select(RegionRow.name).where(RegionRow.code == wish.community_code)).scalar()
    return {
        "id": wish.id,
        "community_code": wish.community_code,
        "community_name": name,
        "title": wish.title,
        "content": wish.content,
        "category_code": wish.category_code,
        "status": wish.status,
        "status_label": STATUS_LABELS.get(wish.status, wish.status),
        "created_at": wish.created_at,
        "adopted_at": wish.adopted_at,
        "mine": wish.author_user_id == actor.user_id,
        "my_vote": None if mine is None else ("support" if mine else "oppose"),
        "tally": {
            "households": t.households,
            "voting": t.voting,
            "supporting": t.supporting,
            "opposing": t.opposing,
            "turnout": round(t.turnout, 4),
            "support_share": round(t.support_share, 4),
            "turnout_needed": t.turnout_needed,
            "support_needed": t.support_needed,
            "passed": t.passed,
        },
        "work_order_id": wish.work_order_id,
        "progress": None,
    }


def _with_progress(ctx: CityLoop, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    progress = progress_of(ctx, [v["work_order_id"] for v in views if v["work_order_id"]])
    for v in views:
        p = progress.get(v["work_order_id"] or 0)
        v["progress"] = p.as_dict() if p else None
    return views


def get_wish(ctx: CityLoop, actor: Actor, wish_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        view = _view(ctx, uow.session, actor, _load(uow.session, actor, wish_id))
    return _with_progress(ctx, [view])[0]


def list_wishes(
    ctx: CityLoop, actor: Actor, community: str | None, status: str | None
) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        s = uow.session
        stmt = select(WishRow).order_by(WishRow.id.desc())
        if actor.role is Role.RESIDENT:
            resident, _ = resident_of(s, actor)
            stmt = stmt.where(WishRow.community_code == access.community_of(resident.grid_code))
        elif actor.role in access.SCOPED:
            prefix = (actor.region_code or access.NO_REGION)[:12]
            stmt = stmt.where(starts_with(WishRow.community_code, prefix))
        elif actor.role not in access.CITY_WIDE:
            raise PermissionDenied("无权查看心愿墙 not for this role")
        if community:
            stmt = stmt.where(starts_with(WishRow.community_code, community))
        if status:
            stmt = stmt.where(WishRow.status == status)
        views = [_view(ctx, s, actor, w) for w in s.execute(stmt.limit(200)).scalars()]
    return _with_progress(ctx, views)


def vote(ctx: CityLoop, actor: Actor, wish_id: int, support: bool | None) -> dict[str, Any]:
    """Support (True), oppose (False) or withdraw (None) — one vote per resident."""
    if actor.role is not Role.RESIDENT:
        raise PermissionDenied("只有本社区居民可以投票 only residents vote")
    with ctx.uow() as uow:
        s = uow.session
        wish = _load(s, actor, wish_id)
        resident, household = resident_of(s, actor)
        if wish.status == "closed":
            raise InvalidCommand("wish", "wish_closed")
        existing = s.execute(
            select(WishVoteRow).where(
                WishVoteRow.wish_id == wish.id, WishVoteRow.resident_id == resident.id
            )
        ).scalar_one_or_none()
        if support is None:
            if existing is None:
                raise InvalidCommand("vote", "not_voted")
            s.execute(delete(WishVoteRow).where(WishVoteRow.id == existing.id))
        elif existing is None:
            s.add(
                WishVoteRow(
                    wish_id=wish.id,
                    resident_id=resident.id,
                    household_id=household.id,
                    support=support,
                    at=ctx.clock.now(),
                )
            )
        else:
            existing.support, existing.at = support, ctx.clock.now()
        s.flush()
        passed = wish.status == "open" and _tally(ctx, s, wish).passed
        uow.commit()
    if passed:
        adopt(ctx, wish_id)
    return get_wish(ctx, actor, wish_id)


def adopt(ctx: CityLoop, wish_id: int) -> None:
    """Open the wish's work order (idempotent: the order's external id is the wish's)."""
    with ctx.uow() as uow:
        s = uow.session
        wish = s.get(WishRow, wish_id)
        if wish is None or wish.work_order_id is not None:
            return
        lon, lat = region_center(s, wish.community_code)
        name = s.execute(
            select(RegionRow.name).where(RegionRow.code == wish.community_code)
        ).scalar()
        title, content, category = wish.title, wish.content, wish.category_code
        author = wish.author_user_id
    policy = load_config(ctx.settings).wishes
    result = open_order(
        ctx,
        source="心愿墙",
        external_id=f"wish-{wish_id}",
        title=f"【心愿墙】{title}",
        content=f"{content}\n（{name or ''}居民心愿，经户代表支持达到{policy.support_ratio:.0%}）",
        channel=policy.channel,
        category_code=category,
        lon=lon,
        lat=lat,
        address=name or "",
        reporter_user_id=author,
    )
    with ctx.uow() as uow:
        wish = uow.session.get(WishRow, wish_id)
        assert wish is not None
        wish.status, wish.adopted_at = "adopted", ctx.clock.now()
        wish.work_order_id, wish.ticket_no = result.work_order_id, result.ticket_no
        uow.commit()


def close_wish(ctx: CityLoop, actor: Actor, wish_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        wish = _load(s, actor, wish_id)
        if actor.role not in access.COMMUNITY_STAFF and wish.author_user_id != actor.user_id:
            raise PermissionDenied("not yours to close")
        if wish.status != "open":
            raise InvalidCommand("wish", "wish_not_open")
        wish.status = "closed"
        uow.commit()
    return get_wish(ctx, actor, wish_id)
