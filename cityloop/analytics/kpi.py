"""Evaluation (考核评价): KPIs per department, region, category, channel and period.

Each KPI is a ratio of two order counts (formulas in `formulas.py`, docs/EVALUATION.md). The
counts come from four SQL "fact" selections, one per anchor date, each one row per order (or
per dispatch) with 0/1 flags:

- intake   — orders received in the period (intake, valid, completed, urges);
- dispatch — dispatch events in the period, paired with the next accept/return of the same
             order (dispatch accuracy, response rate, time to accept);
- due      — orders falling due in the period (on-time completion, 按期办结);
- reply    — orders replied in the period (satisfaction, rework, time to reply).

Working time is measured in SQL with the calendar table of `workhours.py`. The same selections
serve three purposes: live figures for any scope (a supervisor's region), the drill-down to the
orders behind a figure, and the daily rollup (`analytics_kpi_daily` / `_hist`) that answers
city-wide queries over 10 million orders in milliseconds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from cityloop.analytics import workhours as wh
from cityloop.analytics.config import AnalyticsConfig, limit_seconds
from cityloop.analytics.formulas import (
    COUNTS,
    FLOAT_COUNTS,
    LAST_BUCKET,
    GradeScale,
    ScoreWeights,
    composite_score,
    figures,
)
from cityloop.analytics.store import AnalyticsStateRow, KpiDailyRow, KpiHistRow
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import CHANNEL_LABELS, Channel, Role
from cityloop.services.context import CityLoop
from cityloop.services.orders import visibility_clause
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
KPIS: dict[str, tuple[str, str]] = {
    # kpi: (numerator flag, denominator flag) — what a drill-down lists
    "intake": ("intake", "intake"),
    "dispatch_accuracy": ("kept", "dispatched"),
    "response_rate": ("accepted_in_limit", "judged"),
    "on_time_rate": ("on_time", "due"),
    "completion_rate": ("completed", "valid"),
    "satisfaction_rate": ("good", "rated"),
    "rework_rate": ("reworked", "replied"),
    "urges": ("urged_orders", "intake"),
    "on_spot": ("on_spot", "intake"),
    "accept_hours": ("accepted", "accepted"),
    "reply_hours": ("replied", "replied"),
}
_GROUP_OF = {
    "intake": "intake",
    "valid": "intake",
    "completed": "intake",
    "urged_orders": "intake",
    "on_spot": "intake",
    "kept": "dispatch",
    "dispatched": "dispatch",
    "accepted_in_limit": "dispatch",
    "judged": "dispatch",
    "accepted": "dispatch",
    "returned": "dispatch",
    "on_time": "due",
    "due": "due",
    "good": "reply",
    "rated": "reply",
    "reworked": "reply",
    "replied": "reply",
}
_DONE = ("replied", "closed")
_GONE = ("merged", "cancelled")
FAR_FUTURE_DAYS = 400
DRILL_MAX = 5000


class UnknownDimension(ValueError):
    pass


# -- periods ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days


# The years a period may cover, and its longest span: a report on ten years is a long one; a
# period from year 1 to 9999 is a typo or an attack (and 9999-12-31 has no next day).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
LONGEST_PERIOD_DAYS = 3660


def parse_period(text: str) -> Period:
    """'2026-10' (month), '2026-W43' (ISO week), '2026-Q4', '2026', '2026-10-05' (day) or
    '2026-10-01..2026-10-15' (inclusive range), within 1900–2199 and at most ten years."""
    period = _parse_period(text)
    if period.start < FIRST_DAY or period.end > LAST_DAY + timedelta(days=1):
        raise ValueError(f"period {text!r} is outside {FIRST_DAY.year}–{LAST_DAY.year}")
    if period.days > LONGEST_PERIOD_DAYS:
        raise ValueError(f"period {text!r} is longer than {LONGEST_PERIOD_DAYS} days")
    return period


def _parse_period(text: str) -> Period:
    t = text.strip()
    try:
        if ".." in t:
            a, b = t.split("..", 1)
            start, last = date.fromisoformat(a), date.fromisoformat(b)
            if last < start:
                raise ValueError
            return Period(start, last + timedelta(days=1), t)
        if "-W" in t.upper():
            y, w = t.upper().split("-W")
            start = date.fromisocalendar(int(y), int(w), 1)
            return Period(start, start + timedelta(days=7), t.upper())
        if "-Q" in t.upper():
            y, q = t.upper().split("-Q")
            m = 3 * (int(q) - 1) + 1
            if not 1 <= int(q) <= 4:
                raise ValueError
            start = date(int(y), m, 1)
            return Period(start, _add_months(start, 3), t.upper())
        if len(t) == 4:
            return Period(date(int(t), 1, 1), date(int(t) + 1, 1, 1), t)
        if len(t) == 7:
            start = date(int(t[:4]), int(t[5:7]), 1)
            return Period(start, _add_months(start, 1), t)
        day = date.fromisoformat(t)
        return Period(day, day + timedelta(days=1), t)
    except (ValueError, OverflowError):
        raise ValueError(
            f"period {text!r} is not like 2026-10, 2026-W43, 2026-Q4, 2026, 2026-10-05 "
            "or 2026-10-01..2026-10-15"
        ) from None


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def normalise_dim(by: str) -> str:
    dim = ALIASES.get(by, by)
    if dim not in DIMS:
        raise UnknownDimension(f"unknown dimension {by!r}; one of {', '.join(DIMS)}, category")
    return dim


# -- the fact selections ----------------------------------------------------------------------
@dataclass
class _Q:
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


def _columns(q: _Q, day: Any, dept: Any, values: dict[str, Any]) -> list[Any]:
    """The common column list of every fact selection, in one order (for UNION ALL)."""
    cols: list[Any] = [W.id.label("oid"), W.ticket_no.label("ticket_no"), day.label("dayno")]
    cols += [_member(d, dept).label(f"m_{d}") for d in q.dims]
    for name in (*COUNTS, "kept", "judged"):
        v = values.get(name)
        if v is None:
            v = cast(null(), Float) if name in ("accept_ws", "reply_ws") else literal_column("0")
        cols.append(v.label(name))
    return cols


def _where(q: _Q, *conds: Any) -> list[Any]:
    out = list(conds)
    if q.scope is not None:
        out.append(q.scope)
    return out


def _intake(q: _Q) -> Select[Any]:
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


def _dispatch(q: _Q) -> Select[Any]:
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


def _due(q: _Q) -> Select[Any]:
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


def _reply(q: _Q) -> Select[Any]:
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


_BUILDERS = {"intake": _intake, "dispatch": _dispatch, "due": _due, "reply": _reply}


def _facts(q: _Q) -> Any:
    return union_all(*(b(q) for b in _BUILDERS.values())).subquery("facts")


def _bucket_sql(s: Session, ws: Any) -> Any:
    h = ws / 3600.0
    f = wh.floor_int
    return case(
        (h < 8.0, f(s, h * 4.0)),
        (h < 96.0, 32 + f(s, h - 8.0)),
        (h < 960.0, 120 + f(s, (h - 96.0) / 8.0)),
        else_=LAST_BUCKET,
    )


def _hist_source(q: _Q) -> Any:
    """(dayno, members…, kind, ws) of accepted dispatches and replied orders."""
    parts = []
    for name, kind, col in (("dispatch", "accept", "accept_ws"), ("reply", "reply", "reply_ws")):
        sq = _BUILDERS[name](q).subquery()
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
def _query(
    ctx: CityLoop,
    session: Session,
    start_day: date,
    end_day: date,
    dims: tuple[str, ...],
    scope: Any,
    limit_s: float,
) -> _Q:
    wh.ensure_calendar(ctx, session, end_day)
    now = ctx.clock.now()
    tz = ctx.settings.tz
    return _Q(
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


def _live_cells(q: _Q, dim: str) -> Cells:
    s = q.session
    facts = _facts(q)
    m = facts.c[f"m_{dim}"]
    rows = s.execute(select(m, *(func.sum(facts.c[c]) for c in COUNTS)).group_by(m)).all()
    cells: Cells = {}
    for r in rows:
        cells[str(r[0])] = ({c: float(v or 0) for c, v in zip(COUNTS, r[1:], strict=True)}, {}, {})
    dur = _hist_source(q)
    b = _bucket_sql(s, dur.c.ws)
    hist_rows = s.execute(
        select(dur.c[f"m_{dim}"], dur.c.kind, b, func.count()).group_by(
            dur.c[f"m_{dim}"], dur.c.kind, b
        )
    ).all()
    for member, kind, bucket, n in hist_rows:
        _add_hist(cells, str(member), str(kind), int(bucket), int(n))
    return cells


def _add_hist(cells: Cells, member: str, kind: str, bucket: int, n: int) -> None:
    cell = cells.setdefault(member, ({c: 0.0 for c in COUNTS}, {}, {}))
    hist = cell[1] if kind == "accept" else cell[2]
    hist[bucket] = hist.get(bucket, 0) + n


def _rollup_cells(s: Session, dim: str, scope: str, start_day: date, end_day: date) -> Cells:
    d0, d1 = wh.dayno(start_day), wh.dayno(end_day)
    K = KpiDailyRow
    rows = s.execute(
        select(K.member, *(func.sum(getattr(K, c)) for c in COUNTS))
        .where(K.dim == dim, K.scope == scope, K.dayno >= d0, K.dayno < d1)
        .group_by(K.member)
    ).all()
    cells: Cells = {
        str(r[0]): ({c: float(v or 0) for c, v in zip(COUNTS, r[1:], strict=True)}, {}, {})
        for r in rows
    }
    H = KpiHistRow
    for member, kind, bucket, n in s.execute(
        select(H.member, H.kind, H.bucket, func.sum(H.n))
        .where(H.dim == dim, H.scope == scope, H.dayno >= d0, H.dayno < d1)  # whole months
        .group_by(H.member, H.kind, H.bucket)
    ).all():
        _add_hist(cells, str(member), str(kind), int(bucket), int(n))
    return cells


# -- the rollup -------------------------------------------------------------------------------
def rollup_state(session: Session) -> dict[str, Any] | None:
    row = session.get(AnalyticsStateRow, "kpi_rollup")
    return json.loads(row.value) if row is not None else None


def refresh_rollup(
    ctx: CityLoop, full: bool = False, days: int | None = None, progress: Any = None
) -> dict[str, Any]:
    """Recompute the rollup from `days` ago (default: the configured trailing window) or,
    with `full`, from the first order. Days before the window keep their settled figures."""
    cfg = AnalyticsConfig.of(ctx.settings)
    today = ctx.now_local().date()
    with ctx.uow() as uow:
        s = uow.session
        state = rollup_state(s)
        if state is not None and state.get("accept_limit") != cfg.accept_limit:
            full = True  # figures under another acceptance limit cannot be mixed
        if full or state is None:
            first = s.execute(select(func.min(W.received_at))).scalar_one()
            start_day = ctx.local(first).date() if first is not None else today
        else:
            start_day = today - timedelta(days=days or cfg.refresh_days)
        start_day = start_day.replace(day=1)  # histograms are per month
        end_day = today + timedelta(days=FAR_FUTURE_DAYS)
        q = _query(
            ctx,
            s,
            start_day,
            end_day,
            ROLLUP_DIMS,
            None,
            limit_seconds(cfg.accept_limit, ctx.sla.office_hours),
        )
        d0 = wh.dayno(start_day)
        if wh.is_pg(s):
            # GROUPING SETS hash all sets in one pass when they fit in memory.
            s.execute(text("SET LOCAL work_mem = '256MB'"))
        s.execute(delete(KpiDailyRow).where(KpiDailyRow.dayno >= d0))
        s.execute(delete(KpiHistRow).where(KpiHistRow.dayno >= d0))
        if progress:
            progress(f"rollup {', '.join(ROLLUP_DIMS)} from {start_day}")
        _insert_rollup(q, wh.is_pg(s))
        from_dayno = d0 if state is None or full else min(d0, int(state["from_dayno"]))
        value = json.dumps(
            {
                "from_dayno": from_dayno,
                "refreshed_at": q.now.isoformat(),
                "accept_limit": cfg.accept_limit,
            }
        )
        row = s.get(AnalyticsStateRow, "kpi_rollup")
        if row is None:
            s.add(AnalyticsStateRow(name="kpi_rollup", value=value, updated_at=q.now))
        else:
            row.value, row.updated_at = value, q.now
        n_daily = s.execute(select(func.count()).select_from(KpiDailyRow)).scalar_one()
        n_hist = s.execute(select(func.count()).select_from(KpiHistRow)).scalar_one()
        uow.commit()
    return {"from": start_day.isoformat(), "daily_rows": n_daily, "hist_rows": n_hist}


def _insert_rollup(q: _Q, pg: bool) -> None:
    """Materialise the facts of the window once in a temporary table (the working-time
    expressions are computed once per row), then aggregate it by day and each dimension:
    with GROUPING SETS in one pass on PostgreSQL, one GROUP BY per dimension elsewhere."""
    s = q.session
    facts = _facts(q)
    md = MetaData()
    tmp = Table(
        "tmp_kpi_facts",
        md,
        Column("dayno", Integer),
        *(Column(f"m_{d}", String(40)) for d in q.dims),
        *(Column(c, Float if c in FLOAT_COUNTS else Integer) for c in COUNTS),
        Column("accept_b", Integer),
        Column("reply_b", Integer),
        prefixes=["TEMPORARY"],
    )
    conn = s.connection()
    tmp.drop(conn, checkfirst=True)
    tmp.create(conn)
    cols = [facts.c.dayno, *(facts.c[f"m_{d}"] for d in q.dims), *(facts.c[c] for c in COUNTS)]
    src = select(
        *cols,
        case((facts.c.accept_ws.is_not(None), _bucket_sql(s, facts.c.accept_ws))).label("a"),
        case((facts.c.reply_ws.is_not(None), _bucket_sql(s, facts.c.reply_ws))).label("r"),
    )
    s.execute(insert(tmp).from_select([c.name for c in tmp.columns], src))
    t = tmp.c
    sums = [func.coalesce(func.sum(t[c]), 0) for c in COUNTS]
    cal = wh.calendar_alias()
    hist = union_all(
        *(
            select(
                cal.month_start.label("dayno"),
                *(t[f"m_{d}"] for d in q.dims),
                literal(kind).label("kind"),
                t[col].label("bucket"),
            )
            .join_from(tmp, cal, cal.dayno == t.dayno)
            .where(t[col].is_not(None))
            for kind, col in (("accept", "accept_b"), ("reply", "reply_b"))
        )
    ).subquery("h")
    for keys, group, having in _grouping(lambda d: t[f"m_{d}"], q.dims, [t.dayno], [], pg):
        stmt = select(*keys, t.dayno, *sums).group_by(*group).having(having)
        s.execute(
            insert(KpiDailyRow).from_select(["dim", "scope", "member", "dayno", *COUNTS], stmt)
        )
    htail = [hist.c.kind, hist.c.bucket]
    for keys, group, having in _grouping(
        lambda d: hist.c[f"m_{d}"], q.dims, [hist.c.dayno], htail, pg
    ):
        hstmt = select(*keys, hist.c.dayno, *htail, func.count()).group_by(*group).having(having)
        s.execute(
            insert(KpiHistRow).from_select(
                ["dim", "scope", "member", "dayno", "kind", "bucket", "n"], hstmt
            )
        )
    tmp.drop(conn)


def _rollup_sets() -> list[tuple[str | None, str]]:
    """(scope level, dimension) of every rollup grouping: city-wide, then per jurisdiction."""
    return [(None, d) for d in ROLLUP_DIMS] + [
        (level, d) for level, dims in SCOPED_ROLLUP_DIMS.items() for d in dims
    ]


def _grouping(
    col: Callable[[str], Any], dims: tuple[str, ...], lead: list[Any], tail: list[Any], pg: bool
) -> Iterator[tuple[list[Any], list[Any], Any]]:
    """The (dim, scope, member) select columns, the GROUP BY and the HAVING of each rollup
    statement: one statement with GROUPING SETS on PostgreSQL, where GROUPING()'s bit mask over
    the member columns tells the sets apart; one statement per set elsewhere. An order outside
    every jurisdiction of a level (member '') belongs to no scope of it: kept, its '' scope
    would collide with the city-wide rows."""
    sets = _rollup_sets()

    def members(level: str | None, dim: str) -> list[Any]:
        return [col(level), col(dim)] if level else [col(dim)]

    if not pg:
        for level, dim in sets:
            scope = col(level) if level else literal("")
            having = col(level) != "" if level else true()
            yield [literal(dim), scope, col(dim)], [*lead, *members(level, dim), *tail], having
        return
    g = func.grouping(*(col(d) for d in dims))

    def mask(level: str | None, dim: str) -> int:  # 1 bits: columns not grouped by
        n = len(dims)
        return sum(1 << (n - 1 - i) for i, d in enumerate(dims) if d not in (level, dim))

    keys = [
        case(*((g == mask(lv, d), d) for lv, d in sets)),
        case(*((g == mask(lv, d), col(lv)) for lv, d in sets if lv), else_=literal("")),
        case(*((g == mask(lv, d), col(d)) for lv, d in sets)),
    ]
    unscoped = [and_(g == mask(lv, d), col(lv) == "") for lv, d in sets if lv]
    yield (
        keys,
        [func.grouping_sets(*(tuple_(*lead, *members(lv, d), *tail) for lv, d in sets))],
        ~or_(*unscoped) if unscoped else true(),
    )


# -- the public reads -------------------------------------------------------------------------
def _names(ctx: CityLoop, dim: str) -> dict[str, str]:
    ref = ctx.reference.get()
    if dim == "department":
        return dict(ref.departments)
    if dim.startswith("category"):
        return {c: ref.category_paths.get(c, c) for c in ref.categories}
    if dim == "channel":
        return {c.value: CHANNEL_LABELS[c] for c in Channel}
    if dim == "city":
        return {"all": "全市"}
    return {c: r.name for c, r in ref.regions.items()}


def _rollup_scope(ctx: CityLoop, actor: Actor, dim: str, visible: Any) -> str | None:
    """The rollup scope that holds exactly what `actor` may see by `dim` ('' = the whole
    city), or None when only the live query can answer. `visible`: the actor's
    `visibility_clause`."""
    if visible is None:
        return "" if dim in ROLLUP_DIMS else None
    if actor.role not in (Role.SUPERVISOR, Role.GRID_WORKER) or not actor.region_code:
        return None  # a department's or a resident's orders are not a region
    region = ctx.reference.get().regions.get(actor.region_code)
    level = region.level if region is not None else None
    if level in SCOPED_ROLLUP_DIMS and dim in SCOPED_ROLLUP_DIMS[level]:
        return actor.region_code
    return None


def kpi_table(
    ctx: CityLoop,
    actor: Actor,
    period: str,
    by: str = "department",
    accept_limit: str | None = None,
    weights: ScoreWeights | None = None,
    source: str = "auto",
) -> dict[str, Any]:
    """The KPI table of one period by one dimension, with a composite score, grade and rank
    per row and a total row, within what the actor may see."""
    dim = normalise_dim(by)
    p = parse_period(period)
    cfg = AnalyticsConfig.of(ctx.settings)
    limit = accept_limit or cfg.accept_limit
    limit_s = limit_seconds(limit, ctx.sla.office_hours)
    weights = weights or cfg.weights()
    scope = visibility_clause(actor)
    rollup_scope = _rollup_scope(ctx, actor, dim, scope)
    with ctx.uow() as uow:
        s = uow.session
        state = rollup_state(s)
        use_rollup = source == "rollup" or (
            source == "auto"
            and rollup_scope is not None
            and state is not None
            and state.get("accept_limit") == limit
            and wh.dayno(p.start) >= int(state["from_dayno"])
            and p.start.day == 1
            and p.end.day == 1  # duration histograms are kept per month
        )
        if use_rollup and (state is None or rollup_scope is None):
            raise ValueError("the rollup cannot answer this query (scope, dimension or none)")
        if use_rollup:
            assert rollup_scope is not None and state is not None
            cells = _rollup_cells(s, dim, rollup_scope, p.start, p.end)
            as_of = state["refreshed_at"]
        else:
            q = _query(ctx, s, p.start, p.end, (dim,), scope, limit_s)
            cells = _live_cells(q, dim)
            as_of = q.now.isoformat()
    names = _names(ctx, dim)
    grades = GradeScale()
    rows = []
    total_counts: dict[str, float] = defaultdict(float)
    total_a: dict[int, int] = defaultdict(int)
    total_r: dict[int, int] = defaultdict(int)
    for member, (counts, ah, rh) in cells.items():
        f = figures(counts, ah, rh)
        score = composite_score(f.response_rate, f.on_time_rate, f.satisfaction_rate, weights)
        rows.append(
            {
                "member": member,
                "name": names.get(member, member or "（未分派）"),
                **asdict(f),
                "score": score,
                "grade": grades.grade(score),
                "counts": {k: round(v, 1) for k, v in counts.items()},
            }
        )
        for k, v in counts.items():
            total_counts[k] += v
        for b, n in ah.items():
            total_a[b] += n
        for b, n in rh.items():
            total_r[b] += n
    rows.sort(key=lambda r: (-(r["score"] if r["score"] is not None else -1), r["member"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i if r["score"] is not None else None
    tf = figures(total_counts, total_a, total_r)
    tscore = composite_score(tf.response_rate, tf.on_time_rate, tf.satisfaction_rate, weights)
    return {
        "period": p.label,
        "start": p.start.isoformat(),
        "end": (p.end - timedelta(days=1)).isoformat(),
        "by": dim,
        "accept_limit": limit,
        "weights": asdict(weights),
        "source": "rollup" if use_rollup else "live",
        "as_of": as_of,
        "rows": rows,
        "total": {
            **asdict(tf),
            "score": tscore,
            "grade": grades.grade(tscore),
            "counts": {k: round(v, 1) for k, v in total_counts.items()},
        },
    }


def league(
    ctx: CityLoop, actor: Actor, month: str, weights: ScoreWeights | None = None
) -> dict[str, Any]:
    """Monthly league table (月度排名) of departments by composite score."""
    table = kpi_table(ctx, actor, month, "department", weights=weights)
    table["rows"] = [r for r in table["rows"] if r["member"]]
    return table


def drilldown(
    ctx: CityLoop,
    actor: Actor,
    period: str,
    by: str,
    member: str,
    kpi: str,
    part: str = "denominator",
    accept_limit: str | None = None,
    limit: int = 1000,
) -> dict[str, Any]:
    """The orders behind one KPI cell: those counted in its numerator or denominator (or the
    denominator's orders missing from the numerator: part='missed'), within the actor's view."""
    dim = normalise_dim(by)
    if kpi not in KPIS:
        raise ValueError(f"unknown kpi {kpi!r}; one of {', '.join(KPIS)}")
    if part not in ("numerator", "denominator", "missed"):
        raise ValueError("part is numerator, denominator or missed")
    p = parse_period(period)
    cfg = AnalyticsConfig.of(ctx.settings)
    limit_s = limit_seconds(accept_limit or cfg.accept_limit, ctx.sla.office_hours)
    num, den = KPIS[kpi]
    limit = max(1, min(limit, DRILL_MAX))
    with ctx.uow() as uow:
        s = uow.session
        q = _query(ctx, s, p.start, p.end, (dim,), visibility_clause(actor), limit_s)
        sq = _BUILDERS[_GROUP_OF[den]](q).subquery()
        cond = [sq.c[f"m_{dim}"] == member]
        if part == "numerator":
            cond.append(sq.c[num] == 1)
        elif part == "denominator":
            cond.append(sq.c[den] == 1)
        else:
            cond += [sq.c[den] == 1, sq.c[num] == 0]
        total = s.execute(select(func.count()).select_from(sq).where(*cond)).scalar_one()
        rows = s.execute(
            select(sq.c.oid, sq.c.ticket_no).where(*cond).order_by(sq.c.oid).limit(limit)
        ).all()
    return {
        "period": p.label,
        "by": dim,
        "member": member,
        "kpi": kpi,
        "part": part,
        "flag": {"numerator": num, "denominator": den, "missed": f"{den} − {num}"}[part],
        "count": int(total),
        "orders": [{"id": r.oid, "ticket_no": r.ticket_no} for r in rows],
        "truncated": int(total) > len(rows),
    }
