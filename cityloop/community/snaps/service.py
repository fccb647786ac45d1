"""Snap-and-report (随手拍) use cases: a photo, a place and a short text from a resident or a grid
worker; reports of the same incident are grouped; a group that enough people reported goes to
the department as a work order with a deadline, and every reporter is told the outcome."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound, category_by_path
from cityloop.community.config import load as load_config
from cityloop.community.linkage import open_order, progress_of
from cityloop.community.snaps.incidents import Candidate, Report, best_match, degrees_around
from cityloop.community.store import NotificationRow, SnapGroupRow, SnapRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import attachments as files
from cityloop.services.context import CityLoop
from cityloop.store.models import WorkOrderRow
from cityloop.store.prefix import starts_with

REPORTERS = frozenset({Role.RESIDENT, Role.GRID_WORKER})
_OUTCOME = frozenset({"replied", "closed", "cancelled", "merged"})
GROUP_LABELS = {"open": "收集中", "escalated": "已转部门", "resolved": "已有结果"}


def _check_attachments(ctx: CityLoop, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        raise InvalidCommand("attachments", "photo_required")
    out: list[dict[str, Any]] = []
    for i, a in enumerate(items[:9]):
        url = str(a.get("url", ""))
        ident = url.rsplit("/", 1)[-1]
        if not url.startswith("/api/v1/attachments/") or files.find(ctx, ident) is None:
            raise InvalidCommand(f"attachments.{i}", "not_uploaded")
        out.append(
            {
                "name": str(a.get("name", ""))[:200],
                "url": url,
                "content_type": str(a.get("content_type", "")),
                "size": int(a.get("size", 0) or 0),
            }
        )
    if not any(str(a["content_type"]).startswith("image/") for a in out):
        raise InvalidCommand("attachments", "photo_required")
    return out


def report(
    ctx: CityLoop,
    actor: Actor,
    text: str,
    lon: float,
    lat: float,
    address: str,
    attachments: list[dict[str, Any]],
    category: str | None,
) -> dict[str, Any]:
    if actor.role not in REPORTERS or actor.user_id is None:
        raise PermissionDenied("随手拍由居民和网格员上报 residents and grid workers report")
    text = text.strip()
    if len(text) < 2:
        raise InvalidCommand("text", "describe_problem")
    photos = _check_attachments(ctx, attachments)
    code = category_by_path(ctx, category) if category else None
    if category and code is None:
        raise InvalidCommand("category", "unknown_category", {"code": category})
    hit = ctx.reference.get().grids.locate(lon, lat)
    if hit is None:
        raise InvalidCommand("lon", "outside_city_grids")
    policy = load_config(ctx.settings).snaps
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        dlon, dlat = degrees_around(lat, policy.radius_m)
        rows = s.execute(
            select(SnapGroupRow).where(
                SnapGroupRow.status != "resolved",
                SnapGroupRow.lon.between(lon - dlon, lon + dlon),
                SnapGroupRow.lat.between(lat - dlat, lat + dlat),
                SnapGroupRow.last_at >= now - timedelta(hours=policy.window_hours),
            )
        ).scalars()
        groups = {g.id: g for g in rows}
        match = best_match(
            Report(text, lon, lat, now),
            [Candidate(g.id, g.text, g.lon, g.lat, g.last_at) for g in groups.values()],
            policy,
        )
        if match is None:
            group = SnapGroupRow(
                text=text,
                lon=lon,
                lat=lat,
                grid_code=hit.grid_code,
                category_code=code,
                first_at=now,
                last_at=now,
                reports=0,
                reporters=0,
                status="open",
            )
            s.add(group)
            s.flush()
        else:
            group = groups[match]
        snap = SnapRow(
            group_id=group.id,
            reporter_user_id=actor.user_id,
            reporter_role=actor.role.value,
            text=text,
            address=address,
            lon=lon,
            lat=lat,
            category_code=code,
            attachments=photos,
            at=now,
        )
        s.add(snap)
        s.flush()
        group.reports += 1
        group.reporters = s.execute(
            select(func.count(distinct(SnapRow.reporter_user_id))).where(
                SnapRow.group_id == group.id
            )
        ).scalar_one()
        group.last_at = now
        group.category_code = group.category_code or code
        escalate_now = group.status == "open" and group.reporters >= policy.escalate_at
        already = group.status != "open" and group.work_order_id is not None
        snap_id, group_id = snap.id, group.id
        uow.commit()
    if escalate_now:
        escalate(ctx, group_id)
    elif already:
        _notify_escalated(ctx, group_id)
    return get_snap(ctx, actor, snap_id)


def escalate(ctx: CityLoop, group_id: int) -> None:
    """Send the incident to the department (a work order through the linkage list, whose rule
    sets the deadline) and tell every reporter."""
    policy = load_config(ctx.settings).snaps
    with ctx.uow() as uow:
        s = uow.session
        group = s.get(SnapGroupRow, group_id)
        if group is None or group.work_order_id is not None:
            return
        snaps = list(
            s.execute(
                select(SnapRow).where(SnapRow.group_id == group_id).order_by(SnapRow.id)
            ).scalars()
        )
        photos = [a for sn in snaps for a in sn.attachments][:9]
        first = snaps[0]
        info = (group.text, group.lon, group.lat, group.category_code, group.reporters)
    text, lon, lat, category, reporters = info
    channel = "grid_patrol" if first.reporter_role == Role.GRID_WORKER.value else policy.channel
    result = open_order(
        ctx,
        source="随手拍",
        external_id=f"snap-{group_id}",
        title=f"【随手拍】{text[:40]}",
        content=f"{text}\n（随手拍：{reporters} 人上报同一问题，共 {len(snaps)} 条）",
        channel=channel,
        category_code=category,
        lon=lon,
        lat=lat,
        address=first.address,
        reporter_user_id=first.reporter_user_id,
        attachments=photos,
    )
    with ctx.uow() as uow:
        group = uow.session.get(SnapGroupRow, group_id)
        assert group is not None
        group.status, group.escalated_at = "escalated", ctx.clock.now()
        group.work_order_id, group.ticket_no, group.due_at = (
            result.work_order_id,
            result.ticket_no,
            result.due_at,
        )
        uow.commit()
    _notify_escalated(ctx, group_id)


def _reporters(s: Session, group_id: int) -> list[int]:
    return list(
        s.execute(
            select(SnapRow.reporter_user_id).where(SnapRow.group_id == group_id).distinct()
        ).scalars()
    )


def _notify(
    s: Session,
    user_ids: list[int],
    key: str,
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    at: Any,
) -> None:
    have = set(
        s.execute(
            select(NotificationRow.key).where(
                NotificationRow.key.in_([f"{key}:{u}" for u in user_ids])
            )
        ).scalars()
    )
    for u in user_ids:
        if f"{key}:{u}" not in have:
            s.add(
                NotificationRow(
                    user_id=u, kind=kind, key=f"{key}:{u}", title=title, body=body, data=data, at=at
                )
            )


def _notify_escalated(ctx: CityLoop, group_id: int) -> None:
    with ctx.uow() as uow:
        s = uow.session
        group = s.get(SnapGroupRow, group_id)
        if group is None or group.ticket_no is None:
            return
        due = ctx.local(group.due_at).strftime("%Y-%m-%d %H:%M") if group.due_at else "待派单后确定"
        _notify(
            s,
            _reporters(s, group_id),
            f"snap-escalated:{group_id}",
            "snap_escalated",
            f"您上报的问题已转交部门办理（工单 {group.ticket_no}）",
            f"“{group.text[:40]}”已有 {group.reporters} 人反映，办理时限：{due}。",
            {"group_id": group_id, "ticket_no": group.ticket_no},
            ctx.clock.now(),
        )
        # Told meanwhile by a concurrent request: the unique key keeps it to one message.
        with contextlib.suppress(IntegrityError):
            uow.commit()
    sync_outcomes(ctx, [group_id])


def sync_outcomes(ctx: CityLoop, group_ids: list[int] | None = None) -> int:
    """Tell every reporter the outcome once the order is answered, closed or cancelled."""
    with ctx.uow() as uow:
        s = uow.session
        stmt = (
            select(SnapGroupRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == SnapGroupRow.work_order_id)
            .where(SnapGroupRow.status == "escalated", WorkOrderRow.status.in_(_OUTCOME))
        )
        if group_ids is not None:
            stmt = stmt.where(SnapGroupRow.id.in_(group_ids or [0]))
        told = 0
        for group, order in s.execute(stmt).all():
            outcome = {
                "replied": "部门已答复",
                "closed": "已办结",
                "cancelled": "工单已撤销",
                "merged": "已与同类工单合并办理",
            }[order.status]
            users = _reporters(s, group.id)
            _notify(
                s,
                users,
                f"snap-outcome:{group.id}",
                "snap_outcome",
                f"您上报的问题{outcome}（工单 {order.ticket_no}）",
                order.reply_text or order.cancel_reason or outcome,
                {"group_id": group.id, "ticket_no": order.ticket_no, "status": order.status},
                ctx.clock.now(),
            )
            if order.status != "replied":
                group.status = "resolved"
            told += len(users)
        try:
            uow.commit()
        except IntegrityError:
            return 0
        return told


def _group_view(g: SnapGroupRow) -> dict[str, Any]:
    return {
        "id": g.id,
        "text": g.text,
        "lon": g.lon,
        "lat": g.lat,
        "grid_code": g.grid_code,
        "category_code": g.category_code,
        "reports": g.reports,
        "reporters": g.reporters,
        "status": g.status,
        "status_label": GROUP_LABELS.get(g.status, g.status),
        "first_at": g.first_at,
        "last_at": g.last_at,
        "escalated_at": g.escalated_at,
        "work_order_id": g.work_order_id,
        "ticket_no": g.ticket_no,
        "due_at": g.due_at,
    }


def get_snap(ctx: CityLoop, actor: Actor, snap_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        snap = s.get(SnapRow, snap_id)
        group = s.get(SnapGroupRow, snap.group_id) if snap else None
        if snap is None or group is None:
            raise NotFound(f"snap {snap_id}")
        if snap.reporter_user_id != actor.user_id and not (
            actor.role not in (Role.RESIDENT, Role.DEPARTMENT_HANDLER)
            and access.in_region(actor, group.grid_code)
        ):
            raise NotFound(f"snap {snap_id}")
        view = {
            "id": snap.id,
            "text": snap.text,
            "address": snap.address,
            "lon": snap.lon,
            "lat": snap.lat,
            "attachments": snap.attachments,
            "at": snap.at,
            "group": _group_view(group),
        }
    if group.work_order_id:
        p = progress_of(ctx, [group.work_order_id]).get(group.work_order_id)
        view["progress"] = p.as_dict() if p else None
    return view


def my_snaps(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        ids = list(
            uow.session.execute(
                select(SnapRow.id)
                .where(SnapRow.reporter_user_id == actor.user_id)
                .order_by(SnapRow.id.desc())
                .limit(100)
            ).scalars()
        )
    return [get_snap(ctx, actor, i) for i in ids]


def list_groups(
    ctx: CityLoop, actor: Actor, status: str | None, region: str | None
) -> list[dict[str, Any]]:
    if actor.role in (Role.RESIDENT, Role.DEPARTMENT_HANDLER):
        raise PermissionDenied("not for this role")
    stmt = select(SnapGroupRow).order_by(SnapGroupRow.last_at.desc())
    prefix = access.region_prefix(actor)
    if prefix is not None:
        stmt = stmt.where(starts_with(SnapGroupRow.grid_code, prefix))
    if region:
        stmt = stmt.where(starts_with(SnapGroupRow.grid_code, region))
    if status:
        stmt = stmt.where(SnapGroupRow.status == status)
    with ctx.uow() as uow:
        return [_group_view(g) for g in uow.session.execute(stmt.limit(500)).scalars()]


def group_detail(ctx: CityLoop, actor: Actor, group_id: int) -> dict[str, Any]:
    if actor.role in (Role.RESIDENT, Role.DEPARTMENT_HANDLER):
        raise PermissionDenied("not for this role")
    with ctx.uow() as uow:
        s = uow.session
        g = s.get(SnapGroupRow, group_id)
        if g is None or not access.in_region(actor, g.grid_code):
            raise NotFound(f"snap group {group_id}")
        reports = [
            {
                "id": r.id,
                "text": r.text,
                "at": r.at,
                "reporter_role": r.reporter_role,
                "attachments": r.attachments,
                "lon": r.lon,
                "lat": r.lat,
            }
            for r in s.execute(
                select(SnapRow).where(SnapRow.group_id == g.id).order_by(SnapRow.id)
            ).scalars()
        ]
        return {**_group_view(g), "snaps": reports}


def notifications(ctx: CityLoop, actor: Actor, unread: bool = False) -> list[dict[str, Any]]:
    if actor.user_id is None:
        return []
    with ctx.uow() as uow:
        mine = list(
            uow.session.execute(
                select(SnapRow.group_id)
                .distinct()
                .join(SnapGroupRow, SnapGroupRow.id == SnapRow.group_id)
                .where(
                    SnapRow.reporter_user_id == actor.user_id, SnapGroupRow.status == "escalated"
                )
            ).scalars()
        )
    if mine:
        sync_outcomes(ctx, mine)
    with ctx.uow() as uow:
        stmt = select(NotificationRow).where(NotificationRow.user_id == actor.user_id)
        if unread:
            stmt = stmt.where(NotificationRow.read_at.is_(None))
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "data": n.data,
                "at": n.at,
                "read": n.read_at is not None,
            }
            for n in uow.session.execute(
                stmt.order_by(NotificationRow.id.desc()).limit(200)
            ).scalars()
        ]


def mark_read(ctx: CityLoop, actor: Actor, notification_id: int) -> None:
    with ctx.uow() as uow:
        n = uow.session.get(NotificationRow, notification_id)
        if n is None or n.user_id != actor.user_id:
            raise NotFound(f"notification {notification_id}")
        if n.read_at is None:
            n.read_at = ctx.clock.now()
            uow.commit()
