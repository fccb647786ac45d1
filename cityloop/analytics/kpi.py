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

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    func,
    select,
)

from cityloop.analytics import workhours as wh
from cityloop.analytics.config import AnalyticsConfig, limit_seconds
from cityloop.analytics.formulas import (
    GradeScale,
    ScoreWeights,
    composite_score,
    figures,
)
from cityloop.analytics.kpi_facts import (
    ALIASES,
    BUILDERS,
    DIMS,
    DRILL_MAX,
    ROLLUP_DIMS,
    SCOPED_ROLLUP_DIMS,
    fact_query,
    live_cells,
)
from cityloop.analytics.kpi_rollup import rollup_cells, rollup_state
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import CHANNEL_LABELS, Channel, Role
from cityloop.services.context import CityLoop
from cityloop.services.orders import visibility_clause

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
            cells = rollup_cells(s, dim, rollup_scope, p.start, p.end)
            as_of = state["refreshed_at"]
        else:
            q = fact_query(ctx, s, p.start, p.end, (dim,), scope, limit_s)
            cells = live_cells(q, dim)
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
        q = fact_query(ctx, s, p.start, p.end, (dim,), visibility_clause(actor), limit_s)
        sq = BUILDERS[_GROUP_OF[den]](q).subquery()
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
