"""The daily KPI rollup (`analytics_kpi_daily` / `_hist`): the fact selections aggregated by
day and each dimension, city-wide and within each district and street, so city-wide and
supervisors' tables over millions of orders answer in milliseconds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
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
)
from cityloop.analytics.kpi_facts import (
    FAR_FUTURE_DAYS,
    ROLLUP_DIMS,
    SCOPED_ROLLUP_DIMS,
    Cells,
    FactQuery,
    W,
    add_hist,
    bucket_sql,
    fact_query,
    fact_rows,
)
from cityloop.analytics.store import AnalyticsStateRow, KpiDailyRow, KpiHistRow
from cityloop.services.context import CityLoop


def rollup_cells(s: Session, dim: str, scope: str, start_day: date, end_day: date) -> Cells:
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
        add_hist(cells, str(member), str(kind), int(bucket), int(n))
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
        q = fact_query(
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


def _insert_rollup(q: FactQuery, pg: bool) -> None:
    """Materialise the facts of the window once in a temporary table (the working-time
    expressions are computed once per row), then aggregate it by day and each dimension:
    with GROUPING SETS in one pass on PostgreSQL, one GROUP BY per dimension elsewhere."""
    s = q.session
    facts = fact_rows(q)
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
        case((facts.c.accept_ws.is_not(None), bucket_sql(s, facts.c.accept_ws))).label("a"),
        case((facts.c.reply_ws.is_not(None), bucket_sql(s, facts.c.reply_ws))).label("r"),
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
