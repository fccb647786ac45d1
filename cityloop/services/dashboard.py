"""The command-centre figures (指挥中心大屏): KPIs, trends, mixes and league tables.

Every figure is one SQL aggregate (GROUP BY / conditional SUM) over the orders the actor may
see (`visibility_clause`), never a Python loop over all rows.

Formulas (documented in docs/CONSOLE.md):
- today's intake: orders received since local midnight;
- open: orders not closed, merged or cancelled;
- overdue: orders held by a department (dispatched, accepted, in progress, reopened) whose
  due time has passed;
- on-time completion rate (按时办结率) = orders replied by their due time / orders replied in
  the period;
- satisfaction rate (满意率) = (satisfied + basically satisfied) / rated, over orders replied in
  the period that carry a rating.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from cityloop.domain.orders import Actor
from cityloop.domain.statuses import OPEN, WITH_DEPARTMENT, Rating
from cityloop.services.context import CityLoop
from cityloop.services.orders import visibility_clause
from cityloop.store.models import WorkOrderRow

W = WorkOrderRow
_OPEN = [s.value for s in OPEN]
_HELD = [s.value for s in WITH_DEPARTMENT]
_GOOD = [Rating.SATISFIED.value, Rating.BASICALLY_SATISFIED.value]
MAP_ORDERS_MAX = 5000


def _scoped(stmt: Select[Any], actor: Actor) -> Select[Any]:
    clause = visibility_clause(actor)
    return stmt if clause is None else stmt.where(clause)


def _ratio(num: int | None, den: int | None) -> float | None:
    return round((num or 0) / den, 4) if den else None


def _local_day(session: Session, col: Any, ctx: CityLoop) -> Any:
    """The city-local calendar date of a UTC timestamp column, as SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(ctx.settings.timezone, col), "YYYY-MM-DD")
    offset = ctx.now_local().utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return func.date(col, f"{minutes:+d} minutes")


def _overdue(now: datetime) -> Any:
    return and_(W.status.in_(_HELD), W.due_at < now)


def summary(ctx: CityLoop, actor: Actor, days: int = 30) -> dict[str, Any]:
    """Everything the command-centre screen shows except the map's points."""
    now = ctx.clock.now()
    local_now = ctx.local(now)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight - timedelta(days=days - 1)
    ref = ctx.reference.get()
    replied_in_period = and_(W.replied_at.is_not(None), W.replied_at >= since)
    with ctx.uow() as uow:
        s = uow.session
        kpi = s.execute(
            _scoped(
                select(
                    func.sum(case((W.received_at >= midnight, 1), else_=0)),
                    func.sum(case((W.status.in_(_OPEN), 1), else_=0)),
                    func.sum(case((_overdue(now), 1), else_=0)),
                    func.sum(case((W.status == "pending_dispatch", 1), else_=0)),
                    func.sum(case((replied_in_period, 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.replied_at <= W.due_at), 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.rating.is_not(None)), 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.rating.in_(_GOOD)), 1), else_=0)),
                    func.sum(case((W.received_at >= since, 1), else_=0)),
                    func.sum(case((and_(W.status.in_(_OPEN), W.urgency == "urgent"), 1), else_=0)),
                ),
                actor,
            )
        ).one()
        (
            today,
            open_,
            overdue,
            pending,
            replied,
            on_time,
            rated,
            good,
            period_total,
            urgent_open,
        ) = (int(v or 0) for v in kpi)

        day_r = _local_day(s, W.received_at, ctx).label("day")
        received_by_day = dict(
            s.execute(
                _scoped(select(day_r, func.count()).where(W.received_at >= since), actor).group_by(
                    day_r
                )
            ).all()
        )
        day_p = _local_day(s, W.replied_at, ctx).label("day")
        replied_by_day = dict(
            s.execute(
                _scoped(select(day_p, func.count()).where(replied_in_period), actor).group_by(day_p)
            ).all()
        )
        trend = []
        for i in range(days):
            d = (since + timedelta(days=i)).date().isoformat()
            trend.append(
                {
                    "day": d,
                    "received": int(received_by_day.get(d, 0)),
                    "replied": int(replied_by_day.get(d, 0)),
                }
            )

        top = func.substr(W.category_code, 1, 2).label("top")
        cats = s.execute(
            _scoped(select(top, func.count().label("n")).where(W.received_at >= since), actor)
            .group_by(top)
            .order_by(literal_column("n").desc())
        ).all()
        category_mix = [
            {
                "code": code,
                "name": (ref.categories[code].name if code in ref.categories else "未分类"),
                "count": int(n),
            }
            for code, n in cats
        ]

        chans = s.execute(
            _scoped(select(W.channel, func.count().label("n")).where(W.received_at >= since), actor)
            .group_by(W.channel)
            .order_by(literal_column("n").desc())
        ).all()
        channel_mix = [{"channel": c, "count": int(n)} for c, n in chans]

        depts = s.execute(
            _scoped(
                select(
                    W.lead_department,
                    func.count().label("n"),
                    func.sum(case((W.status.in_(_OPEN), 1), else_=0)),
                    func.sum(case((_overdue(now), 1), else_=0)),
                    func.sum(case((replied_in_period, 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.replied_at <= W.due_at), 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.rating.is_not(None)), 1), else_=0)),
                    func.sum(case((and_(replied_in_period, W.rating.in_(_GOOD)), 1), else_=0)),
                ).where(
                    W.lead_department.is_not(None),
                    (W.received_at >= since) | W.status.in_(_OPEN) | replied_in_period,
                ),
                actor,
            ).group_by(W.lead_department)
        ).all()
        league = []
        for code, n, o, od, rep, ot, rt, gd in depts:
            league.append(
                {
                    "department": code,
                    "name": ref.departments.get(code, code),
                    "orders": int(n),
                    "open": int(o or 0),
                    "overdue": int(od or 0),
                    "replied": int(rep or 0),
                    "on_time_rate": _ratio(ot, rep),
                    "satisfaction_rate": _ratio(gd, rt),
                }
            )
        league.sort(key=lambda d: (-(d["on_time_rate"] or 0), d["overdue"], -d["orders"]))

        grids = s.execute(
            _scoped(
                select(
                    W.grid_code,
                    func.count().label("n"),
                    func.sum(case((W.status.in_(_OPEN), 1), else_=0)),
                ).where(W.received_at >= since, W.grid_code.is_not(None)),
                actor,
            )
            .group_by(W.grid_code)
            .order_by(literal_column("n").desc(), W.grid_code)
            .limit(10)
        ).all()
        busiest = [
            {"grid_code": g, "name": _grid_name(ref, g), "count": int(n), "open": int(o or 0)}
            for g, n, o in grids
        ]
    return {
        "generated_at": now,
        "period_days": days,
        "period_start": since,
        "scope": _scope_label(ctx, actor),
        "kpi": {
            "today_intake": today,
            "open": open_,
            "overdue": overdue,
            "pending_dispatch": pending,
            "urgent_open": urgent_open,
            "period_intake": period_total,
            "replied": replied,
            "replied_on_time": on_time,
            "on_time_rate": _ratio(on_time, replied),
            "rated": rated,
            "satisfied": good,
            "satisfaction_rate": _ratio(good, rated),
        },
        "trend": trend,
        "category_mix": category_mix,
        "channel_mix": channel_mix,
        "department_league": league,
        "busiest_grids": busiest,
    }


def _grid_name(ref: Any, code: str) -> str:
    info = ref.regions.get(code)
    if info is None:
        return code
    parent = ref.regions.get(info.parent_code or "")
    if parent is None or info.name.startswith(parent.name):
        return info.name
    return f"{parent.name}·{info.name}"


def _scope_label(ctx: CityLoop, actor: Actor) -> dict[str, Any]:
    ref = ctx.reference.get()
    if visibility_clause(actor) is None:
        return {"region_code": None, "name": "全市"}
    return {"region_code": actor.region_code, "name": ref.region_name(actor.region_code) or ""}


def map_orders(ctx: CityLoop, actor: Actor, limit: int = 2000) -> dict[str, Any]:
    """Open orders with coordinates, newest first, at most `limit` (capped)."""
    limit = max(1, min(limit, MAP_ORDERS_MAX))
    now = ctx.clock.now()
    ref = ctx.reference.get()
    base = _scoped(
        select(
            W.id,
            W.ticket_no,
            W.status,
            W.urgency,
            W.lon,
            W.lat,
            W.title,
            W.category_code,
            W.due_at,
            W.grid_code,
        ).where(W.status.in_(_OPEN), W.lon.is_not(None), W.lat.is_not(None)),
        actor,
    )
    with ctx.uow() as uow:
        total = uow.session.execute(
            _scoped(
                select(func.count())
                .select_from(W)
                .where(W.status.in_(_OPEN), W.lon.is_not(None), W.lat.is_not(None)),
                actor,
            )
        ).scalar_one()
        rows = uow.session.execute(
            base.order_by(W.received_at.desc(), W.id.desc()).limit(limit)
        ).all()
    items = [
        {
            "id": r.id,
            "ticket_no": r.ticket_no,
            "status": r.status,
            "urgency": r.urgency,
            "lon": r.lon,
            "lat": r.lat,
            "title": r.title,
            "category_path": ref.category_paths.get(r.category_code or ""),
            "overdue": bool(r.status in _HELD and r.due_at is not None and r.due_at < now),
        }
        for r in rows
    ]
    return {"items": items, "total": int(total), "truncated": int(total) > len(items)}
