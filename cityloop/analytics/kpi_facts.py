"""The four fact selections of the KPIs (intake, dispatch, due, reply) and the query context
they share: one row per order (or per dispatch) with 0/1 flags, working time measured in SQL
with the calendar table of `workhours.py` (see kpi.py for what each selection counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from cityloop.analytics import workhours as wh
from cityloop.analytics.formulas import (
    COUNTS,
    LAST_BUCKET,
)
from cityloop.services.context import CityLoop
from cityloop.store.models import OrderEventRow, WorkOrderRow

W = WorkOrderRow
E = OrderEventRow
DIMS: tuple[str, ...] = (
    "city",
    "department",
    "district",
    "street",
    "community",
    "grid",
    "category1",
    "category2",
    "category3",
    "channel",
)
ALIASES = {"category": "category1", "dept": "department"}
ROLLUP_DIMS: tuple[str, ...] = (
    "city",
    "department",
    "district",
    "street",
    "category1",
    "category2",
    "channel",
)
# Rolled up within each district and street as well, so a supervisor's tables come from the
# rollup too (rows keyed by the jurisdiction's code in `scope`).
SCOPED_ROLLUP_DIMS: dict[str, tuple[str, ...]] = {
    "district": ("city", "department", "street", "category1", "channel"),
    "street": ("city", "department", "category1", "channel"),
}
_DONE = ("replied", "closed")
_GONE = ("merged", "cancelled")
FAR_FUTURE_DAYS = 400
DRILL_MAX = 5000


# -- the fact selections ----------------------------------------------------------------------
@dataclass
class FactQuery:
    """What the fact selections need besides the session."""

    ctx: CityLoop
    session: Session
    start: datetime
    end: datetime
    dims: tuple[str, ...]
    scope: Any
    limit_s: float
    now: datetime
    now_pos: float


def _member(dim: str, dept: Any) -> Any:
    col: Any
    if dim == "city":
        return literal_column("'all'")
    if dim == "department":
        col = dept
    elif dim == "category1":
        col = func.substr(W.category_code, 1, 2)
    elif dim == "category2":
        col = func.substr(W.category_code, 1, 4)
    elif dim == "category3":
        col = W.category_code
    elif dim == "channel":
        col = W.channel
    else:
        col = getattr(W, f"{dim}_code")
    return func.coalesce(col, "")


def _flag(cond: Any) -> Any:
    return case((cond, 1), else_=0)


def _columns(q: FactQuery, day: Any, dept: Any, values: dict[str, Any]) -> list[Any]:
    """The common column list of every fact selection, in one order (for UNION ALL)."""
    cols: list[Any] = [W.id.label("oid"), W.ticket_no.label("ticket_no"), day.label("dayno")]
    cols += [_member(d, dept).label(f"m_{d}") for d in q.dims]
    for name in (*COUNTS, "kept", "judged"):
        v = values.get(name)
        if v is None:
            v = cast(null(), Float) if name in ("accept_ws", "reply_ws") else literal_column("0")
        cols.append(v.label(name))
    return cols


def _where(q: FactQuery, *conds: Any) -> list[Any]:
    out = list(conds)
    if q.scope is not None:
        out.append(q.scope)
    return out


def _intake(q: FactQuery) -> Select[Any]:
    s, ctx = q.session, q.ctx
    valid = W.status.not_in(_GONE)
    values = {
        "intake": literal(1),
        "valid": _flag(valid),
        "completed": _flag(W.status.in_(_DONE)),
        "urges": W.urge_count,
        "urged_orders": _flag(W.urge_count > 0),
        "on_spot": _flag(W.handled_on_spot),
    }
    return select(
        *_columns(q, wh.day_expr(s, ctx, W.received_at), W.lead_department, values)
    ).where(*_where(q, W.received_at >= q.start, W.received_at < q.end))


def _dispatch(q: FactQuery) -> Select[Any]:
    s, ctx = q.session, q.ctx
    seq = (
        select(
            E.work_order_id.label("oid"),
            E.action.label("action"),
            E.at.label("at"),
            E.data["lead_department"].as_string().label("dept"),
            func.lead(E.action).over(partition_by=E.work_order_id, order_by=E.id).label("next"),
            func.lead(E.at).over(partition_by=E.work_order_id, order_by=E.id).label("next_at"),
        )
        .where(
            E.action.in_(("dispatch", "accept", "return")),
            E.at >= q.start,
            # The window runs per order, so leaving out orders outside the scope first changes
            # nothing for those inside, and spares numbering every event of the month.
            *([E.work_order_id.in_(select(W.id).where(q.scope))] if q.scope is not None else []),
        )
        .subquery("seq")
    )
    c1, c2 = wh.calendar_alias(), wh.calendar_alias()
    pos_at = wh.working_position(s, ctx, seq.c.at, c1)
    pos_next = wh.working_position(s, ctx, seq.c.next_at, c2)
    accepted = seq.c.next == "accept"
    returned = seq.c.next == "return"
    waiting = seq.c.next.is_(None)
    pending = and_(waiting, or_(W.status.in_(_GONE), (q.now_pos - pos_at) <= q.limit_s))
    ws = wh_nonneg(s, pos_next - pos_at)
    values = {
        "dispatched": literal(1),
        "returned": _flag(returned),
        "kept": _flag(~returned),
        "accepted": _flag(accepted),
        "accepted_in_limit": _flag(and_(accepted, ws <= q.limit_s)),
        "pending": _flag(pending),
        "judged": _flag(~pending),
        "accept_ws": case((accepted, ws), else_=cast(null(), Float)),
    }
    return (
        select(*_columns(q, c1.dayno, seq.c.dept, values))
        .select_from(seq)
        .join(W, W.id == seq.c.oid)
        .join(c1, wh.join_on(s, ctx, c1, seq.c.at))
        .outerjoin(c2, wh.join_on(s, ctx, c2, seq.c.next_at))
        .where(*_where(q, seq.c.action == "dispatch", seq.c.at < q.end))
    )


def wh_nonneg(s: Session, expr: Any) -> Any:
    return func.greatest(expr, 0.0) if wh.is_pg(s) else func.max(expr, 0.0)


def _due(q: FactQuery) -> Select[Any]:
    s, ctx = q.session, q.ctx
    done = W.status.in_(_DONE)
    values = {"due": literal(1), "on_time": _flag(and_(done, W.replied_at <= W.due_at))}
    return select(*_columns(q, wh.day_expr(s, ctx, W.due_at), W.lead_department, values)).where(
        *_where(
            q,
            W.due_at >= q.start,
            W.due_at < q.end,
            W.status.not_in(_GONE),
            or_(W.due_at <= q.now, done),
        )
    )


def _reply(q: FactQuery) -> Select[Any]:
    s, ctx = q.session, q.ctx
    c1, c2 = wh.calendar_alias(), wh.calendar_alias()
    ws = wh_nonneg(
        s,
        wh.working_position(s, ctx, W.replied_at, c2)
        - wh.working_position(s, ctx, W.received_at, c1),
    )
    good = W.rating.in_(("satisfied", "basically_satisfied"))
    values = {
        "replied": literal(1),
        "rated": _flag(W.rating.is_not(None)),
        "good": _flag(good),
        "reworked": _flag(W.reopen_count > 0),
        "reply_ws": ws,
    }
    return (
        select(*_columns(q, c2.dayno, W.lead_department, values))
        .select_from(W)
        .join(c1, wh.join_on(s, ctx, c1, W.received_at))
        .join(c2, wh.join_on(s, ctx, c2, W.replied_at))
        .where(
            *_where(
                q,
                W.replied_at >= q.start,
                W.replied_at < q.end,
                # 就地处置 is counted apart (on_spot): no department replied to it.
                W.handled_on_spot.is_(False),
            )
        )
    )


BUILDERS = {"intake": _intake, "dispatch": _dispatch, "due": _due, "reply": _reply}


def fact_rows(q: FactQuery) -> Any:
    return union_all(*(b(q) for b in BUILDERS.values())).subquery("facts")


def bucket_sql(s: Session, ws: Any) -> Any:
    h = ws / 3600.0
    f = wh.floor_int
    return case(
        (h < 8.0, f(s, h * 4.0)),
        (h < 96.0, 32 + f(s, h - 8.0)),
        (h < 960.0, 120 + f(s, (h - 96.0) / 8.0)),
        else_=LAST_BUCKET,
    )


def _hist_source(q: FactQuery) -> Any:
    """(dayno, members…, kind, ws) of accepted dispatches and replied orders."""
    parts = []
    for name, kind, col in (("dispatch", "accept", "accept_ws"), ("reply", "reply", "reply_ws")):
        sq = BUILDERS[name](q).subquery()
        parts.append(
            select(
                sq.c.dayno,
                *(sq.c[f"m_{d}"] for d in q.dims),
                literal(kind).label("kind"),
                sq.c[col].label("ws"),
            ).where(sq.c[col].is_not(None))
        )
    return union_all(*parts).subquery("durations")


# -- context ----------------------------------------------------------------------------------
def fact_query(
    ctx: CityLoop,
    session: Session,
    start_day: date,
    end_day: date,
    dims: tuple[str, ...],
    scope: Any,
    limit_s: float,
) -> FactQuery:
    wh.ensure_calendar(ctx, session, end_day)
    now = ctx.clock.now()
    tz = ctx.settings.tz
    return FactQuery(
        ctx=ctx,
        session=session,
        start=datetime.combine(start_day, time(0), tzinfo=tz),
        end=datetime.combine(end_day, time(0), tzinfo=tz),
        dims=dims,
        scope=scope,
        limit_s=limit_s,
        now=now,
        now_pos=wh.position_at(ctx, session, now),
    )


Cells = dict[str, tuple[dict[str, float], dict[int, int], dict[int, int]]]


def live_cells(q: FactQuery, dim: str) -> Cells:
    s = q.session
    facts = fact_rows(q)
    m = facts.c[f"m_{dim}"]
    rows = s.execute(select(m, *(func.sum(facts.c[c]) for c in COUNTS)).group_by(m)).all()
    cells: Cells = {}
    for r in rows:
        cells[str(r[0])] = ({c: float(v or 0) for c, v in zip(COUNTS, r[1:], strict=True)}, {}, {})
    dur = _hist_source(q)
    b = bucket_sql(s, dur.c.ws)
    hist_rows = s.execute(
        select(dur.c[f"m_{dim}"], dur.c.kind, b, func.count()).group_by(
            dur.c[f"m_{dim}"], dur.c.kind, b
        )
    ).all()
    for member, kind, bucket, n in hist_rows:
        add_hist(cells, str(member), str(kind), int(bucket), int(n))
    return cells


def add_hist(cells: Cells, member: str, kind: str, bucket: int, n: int) -> None:
    cell = cells.setdefault(member, ({c: 0.0 for c in COUNTS}, {}, {}))
    hist = cell[1] if kind == "accept" else cell[2]
    hist[bucket] = hist.get(bucket, 0) + n
