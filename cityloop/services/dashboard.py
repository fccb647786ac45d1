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
  the period that carry a rating;
- the department league: a composite of on-time rate, satisfaction and overdue
  (`cityloop/domain/league.py`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from cityloop.domain import league as league_rule
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_text
from cityloop.domain.statuses import OPEN, WITH_DEPARTMENT, Rating, Role
from cityloop.services.clock import SystemClock
from cityloop.services.context import CityLoop
from cityloop.services.orders import visibility_clause
from cityloop.store.models import OrderEventRow, WorkOrderRow

log = logging.getLogger("cityloop.dashboard")

W = WorkOrderRow
_OPEN = [s.value for s in OPEN]
_HELD = [s.value for s in WITH_DEPARTMENT]
_GOOD = [Rating.SATISFIED.value, Rating.BASICALLY_SATISFIED.value]
MAP_ORDERS_MAX = 5000


def _scoped(stmt: Any, actor: Actor) -> Any:
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
    """Everything the command-centre screen shows except the map's points, from the per-scope
    cache (`SUMMARY_TTL_SECONDS`), so the SSE streams of several screens in one jurisdiction
    share one computation."""
    return per_scope(
        ctx,
        actor,
        ("summary", days),
        lambda: compute_summary(ctx, actor, days),
        SUMMARY_TTL_SECONDS,
    )


def per_scope(
    ctx: CityLoop,
    actor: Actor,
    what: tuple[Any, ...],
    compute: Callable[[], dict[str, Any]],
    ttl: float,
    serve_stale: bool = True,
    valid: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """`compute()` for `what`, shared by the actors who see the same orders for `ttl` seconds
    (and, with `valid`, only while it says the value still holds).
    On a live server an entry past its life (but younger than `STALE_SERVE_SECONDS`) is answered
    at once while a background thread computes the next one, so no screen waits for the
    computation after the first — unless `serve_stale` is off (a view polled less often than
    that window would otherwise always show the previous poll's figures)."""
    now = ctx.clock.now()
    key = (_scope_key(actor), *what)
    shared = _shared_cache(ctx)
    if shared is not None:  # Redis: one computation for every worker on every machine
        value: dict[str, Any] = shared.get(key, compute, ttl, serve_stale, valid)
        return value
    cache = _cache_for(ctx)
    holds = valid or (lambda _: True)
    with cache.lock:
        entry = cache.entries.get(key)
        if entry is not None and _fresh(entry, now) and holds(entry.value):
            return entry.value
        if serve_stale and entry is not None and _may_serve_stale(ctx, entry):
            if key not in cache.refreshing:
                cache.refreshing.add(key)
                threading.Thread(
                    target=_refresh, args=(ctx, cache, key, compute, ttl), daemon=True
                ).start()
            return entry.value
        key_lock = cache.key_locks.setdefault(key, threading.Lock())
    with key_lock:  # one computation per key at a time; the others wait and reuse it
        with cache.lock:
            entry = cache.entries.get(key)
        if entry is not None and _fresh(entry, now) and holds(entry.value):
            return entry.value
        value = compute()
        with cache.lock:
            cache.entries[key] = _Entry(time.monotonic(), now, value, ttl)
        return value


def compute_summary(ctx: CityLoop, actor: Actor, days: int = 30) -> dict[str, Any]:
    """The summary, computed now. Each aggregate reads only the index window it needs:

    - open orders through the status index (open, urgent, pending dispatch, overdue, and the
      league's open/overdue columns);
    - the period's intake through the received_at index (trend, category and channel mix,
      busiest grids, the league's orders);
    - the period's replies through the replied_at index (on-time and satisfaction rates, the
      replies line of the trend, the league's rates).

    No aggregate scans the whole table: at 100,000 orders the open and period windows are a
    few thousand rows each."""
    now = ctx.clock.now()
    local_now = ctx.local(now)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight - timedelta(days=days - 1)
    ref = ctx.reference.get()
    recent = W.received_at >= since
    with ctx.uow() as uow:
        s = uow.session
        today = s.execute(
            _scoped(select(func.count()).select_from(W).where(W.received_at >= midnight), actor)
        ).scalar_one()

        # Open orders (status index): per status, urgency and lead department.
        open_rows = s.execute(
            _scoped(
                select(
                    W.status,
                    W.urgency,
                    W.lead_department,
                    func.count(),
                    func.sum(case((W.due_at < now, 1), else_=0)),
                    func.sum(case((recent, 1), else_=0)),
                ).where(W.status.in_(_OPEN)),
                actor,
            ).group_by(W.status, W.urgency, W.lead_department)
        ).all()

        # The period's intake (received_at index): per local day, channel and top category.
        day_r = _local_day(s, W.received_at, ctx).label("day")
        top = func.substr(W.category_code, 1, 2).label("top")
        intake_rows = s.execute(
            _scoped(select(day_r, W.channel, top, func.count()).where(recent), actor).group_by(
                day_r, W.channel, top
            )
        ).all()
        # `|| ''` keeps SQLite on the received_at window rather than walking the whole
        # lead_department index to save sorting a few dozen groups.
        lead_key = (W.lead_department + literal_column("''")).label("lead")
        intake_by_dept = s.execute(
            _scoped(select(lead_key, func.count()).where(recent), actor).group_by(lead_key)
        ).all()

        # The period's replies (replied_at index): per local day and lead department.
        day_p = _local_day(s, W.replied_at, ctx).label("day")
        replied_rows = s.execute(
            _scoped(
                select(
                    day_p,
                    W.lead_department,
                    func.count(),
                    func.sum(case((W.replied_at <= W.due_at, 1), else_=0)),
                    func.sum(case((W.rating.is_not(None), 1), else_=0)),
                    func.sum(case((W.rating.in_(_GOOD), 1), else_=0)),
                    # counted in the league's orders only here: neither recent nor open
                    func.sum(
                        case((and_(W.received_at < since, W.status.not_in(_OPEN)), 1), else_=0)
                    ),
                ).where(W.replied_at >= since, W.handled_on_spot.is_(False)),
                actor,
            ).group_by(day_p, W.lead_department)
        ).all()
        # 就地处置 of the period (closed at intake, no department's reply): counted apart.
        on_spot = s.execute(
            _scoped(
                select(func.count()).select_from(W).where(recent, W.handled_on_spot.is_(True)),
                actor,
            )
        ).scalar_one()

        # Busiest grids of the period (received_at index; `|| ''` as above, for the grid index).
        grid_key = (W.grid_code + literal_column("''")).label("g")
        grids = s.execute(
            _scoped(
                select(
                    grid_key,
                    func.count().label("n"),
                    func.sum(case((W.status.in_(_OPEN), 1), else_=0)),
                ).where(recent, W.grid_code.is_not(None)),
                actor,
            )
            .group_by(grid_key)
            .order_by(literal_column("n").desc(), grid_key)
            .limit(10)
        ).all()

    kpi = dict.fromkeys(
        ("open", "overdue", "pending", "urgent", "replied", "on_time", "rated", "good"), 0
    )
    dept: dict[str, dict[str, int]] = {}

    def d(code: str) -> dict[str, int]:
        return dept.setdefault(
            code,
            dict.fromkeys(
                ("n", "open", "held", "overdue", "replied", "on_time", "rated", "good"), 0
            ),
        )

    for status, urgency, lead, n, late, rec in open_rows:
        n, late, rec = int(n), int(late or 0), int(rec or 0)
        held = status in _HELD
        kpi["open"] += n
        kpi["overdue"] += late if held else 0
        kpi["pending"] += n if status == "pending_dispatch" else 0
        kpi["urgent"] += n if urgency == "urgent" else 0
        if lead is not None:
            row = d(lead)
            row["n"] += n - rec  # the recent ones are counted with the period's intake
            row["open"] += n
            row["held"] += n if held else 0
            row["overdue"] += late if held else 0

    received_by_day: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    by_top: dict[str | None, int] = {}
    for day, channel, code, n in intake_rows:
        n = int(n)
        received_by_day[day] = received_by_day.get(day, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
        by_top[code] = by_top.get(code, 0) + n
    for lead, n in intake_by_dept:
        if lead is not None:
            d(lead)["n"] += int(n)

    replied_by_day: dict[str, int] = {}
    for day, lead, n, on_time, rated, good, older in replied_rows:
        n, on_time, rated, good = int(n), int(on_time or 0), int(rated or 0), int(good or 0)
        replied_by_day[day] = replied_by_day.get(day, 0) + n
        kpi["replied"] += n
        kpi["on_time"] += on_time
        kpi["rated"] += rated
        kpi["good"] += good
        if lead is not None:
            row = d(lead)
            row["n"] += int(older or 0)
            row["replied"] += n
            row["on_time"] += on_time
            row["rated"] += rated
            row["good"] += good

    trend = []
    for i in range(days):
        day_text = (since + timedelta(days=i)).date().isoformat()
        trend.append(
            {
                "day": day_text,
                "received": received_by_day.get(day_text, 0),
                "replied": replied_by_day.get(day_text, 0),
            }
        )
    category_mix = [
        {
            "code": code,
            "name": (ref.categories[code].name if code in ref.categories else "未分类"),
            "count": n,
        }
        for code, n in sorted(by_top.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    ]
    channel_mix = [
        {"channel": c, "count": n}
        for c, n in sorted(by_channel.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    league = league_rule.league(
        [
            league_rule.DepartmentFigures(
                department=code,
                name=ref.departments.get(code, code),
                orders=v["n"],
                open=v["open"],
                held=v["held"],
                overdue=v["overdue"],
                replied=v["replied"],
                on_time=v["on_time"],
                rated=v["rated"],
                good=v["good"],
            )
            for code, v in dept.items()
            if v["n"]
        ]
    )
    busiest = [
        {"grid_code": g, "name": _grid_name(ref, g), "count": int(n), "open": int(o or 0)}
        for g, n, o in grids
    ]
    period_total = sum(received_by_day.values())
    return {
        "generated_at": now,
        "period_days": days,
        "period_start": since,
        "scope": _scope_label(ctx, actor),
        "kpi": {
            "today_intake": int(today),
            "open": kpi["open"],
            "overdue": kpi["overdue"],
            "pending_dispatch": kpi["pending"],
            "urgent_open": kpi["urgent"],
            "period_intake": period_total,
            "handled_on_spot": int(on_spot),
            "replied": kpi["replied"],
            "replied_on_time": kpi["on_time"],
            "on_time_rate": _ratio(kpi["on_time"], kpi["replied"]),
            "rated": kpi["rated"],
            "satisfied": kpi["good"],
            "satisfaction_rate": _ratio(kpi["good"], kpi["rated"]),
        },
        "trend": trend,
        "category_mix": category_mix,
        "channel_mix": channel_mix,
        "department_league": league,
        "league_rule": {"weights": league_rule.WEIGHTS, "min_replied": league_rule.MIN_REPLIED},
        "busiest_grids": busiest,
    }


# -- the per-scope cache ----------------------------------------------------------------------
SUMMARY_TTL_SECONDS = 5.0
MAP_ORDERS_TTL_SECONDS = 60.0  # a bound only: a change or a deadline ends an entry first
STALE_SERVE_SECONDS = 60.0


@dataclass
class _Entry:
    at: float  # time.monotonic() when computed
    now: datetime  # the context clock's reading it was computed for
    value: dict[str, Any]
    ttl: float


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: dict[tuple[Any, ...], _Entry] = field(default_factory=dict)
    key_locks: dict[tuple[Any, ...], threading.Lock] = field(default_factory=dict)
    refreshing: set[tuple[Any, ...]] = field(default_factory=set)


_CACHES: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_CACHE_BY_CTX: dict[int, _Cache] = {}
_CACHES_LOCK = threading.Lock()


def _cache_for(ctx: CityLoop) -> _Cache:
    """One cache per context (tests build many contexts; a server has one)."""
    ident = id(ctx)
    with _CACHES_LOCK:
        if _CACHES.get(ident) is not ctx:
            _CACHES[ident] = ctx
            _CACHE_BY_CTX[ident] = _Cache()
            weakref.finalize(ctx, _CACHE_BY_CTX.pop, ident, None)
        return _CACHE_BY_CTX[ident]


def _shared_cache(ctx: CityLoop) -> Any:
    """The Redis-backed cache (services/shared_cache.py) on a live server with Redis; None
    otherwise. A manual clock (tests, replays) keeps the in-process cache, which follows it."""
    if not ctx.settings.redis_url or not isinstance(ctx.clock, SystemClock):
        return None
    from cityloop.services.shared_cache import SharedScopeCache
    from cityloop.store.redis import get_redis

    client = get_redis(ctx.settings)
    return SharedScopeCache(client, STALE_SERVE_SECONDS) if client is not None else None


def _may_serve_stale(ctx: CityLoop, entry: _Entry) -> bool:
    # Only on the system clock: a manual clock means a test or a replay, whose figures must
    # follow the clock exactly.
    return isinstance(ctx.clock, SystemClock) and time.monotonic() - entry.at < STALE_SERVE_SECONDS


def _refresh(
    ctx: CityLoop,
    cache: _Cache,
    key: tuple[Any, ...],
    compute: Callable[[], dict[str, Any]],
    ttl: float,
) -> None:
    try:
        now = ctx.clock.now()
        value = compute()
        with cache.lock:
            cache.entries[key] = _Entry(time.monotonic(), now, value, ttl)
    except Exception:  # the next request past the stale window computes it in the open
        log.exception("refreshing %s failed", key)
    finally:
        with cache.lock:
            cache.refreshing.discard(key)


def _fresh(entry: _Entry, now: datetime) -> bool:
    # Both clocks must agree: wall time for a running server, the context's clock for a
    # manual one (tests move it and expect fresh figures).
    return (
        time.monotonic() - entry.at < entry.ttl
        and abs((now - entry.now).total_seconds()) < entry.ttl
    )


def _scope_key(actor: Actor) -> tuple[Any, ...]:
    """Actors who see the same orders share a key (the whole city, or one region)."""
    if visibility_clause(actor) is None:
        return ("city",)
    return (
        actor.role.value,
        actor.region_code,
        actor.department_code,
        actor.user_id if actor.role not in (Role.SUPERVISOR, Role.GRID_WORKER) else None,
    )


def clear_cache(ctx: CityLoop) -> None:
    with _CACHES_LOCK:
        cache = _CACHE_BY_CTX.get(id(ctx))
    if cache is not None:
        with cache.lock:
            cache.entries.clear()


def _grid_name(ref: Any, code: str) -> str:
    info = ref.regions.get(code)
    if info is None:
        return code
    parent = ref.regions.get(info.parent_code or "")
    if parent is None or info.name.startswith(parent.name):
        return str(info.name)
    return f"{parent.name}·{info.name}"


def _scope_label(ctx: CityLoop, actor: Actor) -> dict[str, Any]:
    ref = ctx.reference.get()
    if visibility_clause(actor) is None:
        return {"region_code": None, "name": "全市"}
    return {"region_code": actor.region_code, "name": ref.region_name(actor.region_code) or ""}


@functools.lru_cache(maxsize=20_000)
def _masked_title(title: str | None) -> str | None:
    """Titles masked once each: a screen re-reads the same few thousand every minute."""
    return mask_text(title)


def map_orders(ctx: CityLoop, actor: Actor, limit: int = 2000) -> dict[str, Any]:
    """The map's open orders, shared by every screen of a jurisdiction (at 100 k orders reading
    them takes ~60 ms) for as long as they are exact: until an order is received or changes
    (every change adds an order event; one indexed read tells: orders_version) or an order on
    the map falls overdue, and at most `MAP_ORDERS_TTL_SECONDS`. Never stale, never computed
    twice for nothing: a screen's first paint usually finds them ready."""
    limit = max(1, min(limit, MAP_ORDERS_MAX))
    version = list(orders_version(ctx))
    at = ctx.clock.now().timestamp()

    def exact(value: dict[str, Any]) -> bool:
        until = value.get("_until")
        return value.get("_version") == version and (until is None or at < until)

    value = per_scope(
        ctx,
        actor,
        ("map-orders", limit),
        lambda: {**compute_map_orders(ctx, actor, limit), "_version": version},
        MAP_ORDERS_TTL_SECONDS,
        serve_stale=False,
        valid=exact,
    )
    return {k: v for k, v in value.items() if k not in ("_version", "_until")}


# How far back a late commit is looked for (see orders_version).
VERSION_WINDOW = 2_000  # ids: a few seconds of writes at the busiest hour


def orders_version(ctx: CityLoop) -> tuple[int, ...]:
    """The newest order's and order event's ids, and how many of the newest `VERSION_WINDOW`
    ids of each are taken: every change an order goes through (received, dispatched, moved on,
    closed, merged, cancelled) adds an event, so these change whenever what the map shows may
    have — also when a transaction that was handed a smaller id (PostgreSQL hands out ids
    before commit) commits after a larger one."""

    def newest(table: Any) -> tuple[Any, Any]:
        top = select(func.max(table.id)).scalar_subquery()
        taken = select(func.count()).where(table.id > top - VERSION_WINDOW).scalar_subquery()
        return top, taken

    with ctx.uow() as uow:
        row = uow.session.connection().execute(select(*newest(W), *newest(OrderEventRow))).one()
    return tuple(int(v or 0) for v in row)


def compute_map_orders(ctx: CityLoop, actor: Actor, limit: int) -> dict[str, Any]:
    """Open orders with coordinates, newest first, at most `limit`, with the counts of all open
    orders and of those without a location (`unlocated`: not on the map)."""
    now = ctx.clock.now()
    ref = ctx.reference.get()
    # Read through Core with the times raw (sortable as stored) and 超时 decided in SQL: at
    # 100 k orders the ORM's row objects and time conversions were a third of this read.
    received = type_coerce(W.received_at, NullType()).label("received")
    overdue = case((and_(W.status.in_(_HELD), W.due_at < now), 1), else_=0).label("overdue")
    cols = (W.id, W.ticket_no, W.status, W.urgency, W.lon, W.lat, W.title, W.category_code)
    located = (W.lon.is_not(None), W.lat.is_not(None))
    with ctx.uow() as uow:
        conn = uow.session.connection()
        # Per status (an equality on the status index each): with the whole IN list SQLite's
        # planner walks the received_at index through every closed order, or scans the table.
        # Every open order, and how many of them carry a location, in one pass: the screen says
        # how many open orders the map cannot show.
        counts = conn.execute(
            _scoped(
                select(
                    W.status,
                    func.count(),
                    func.sum(case((and_(*located), 1), else_=0)),
                ).where(W.status.in_(_OPEN)),
                actor,
            ).group_by(W.status)
        ).all()
        open_total = sum(int(n) for _, n, _ in counts)
        total = sum(int(m or 0) for _, _, m in counts)
        found: list[Any] = []
        for status, _, with_place in counts:
            if not with_place:
                continue
            found.extend(
                conn.execute(
                    _scoped(
                        select(*cols, received, overdue).where(W.status == status, *located), actor
                    )
                    # coalesce(x, x) = x, but not the received_at index: sort the status's few
                    # rows rather than walk every order newest first.
                    .order_by(func.coalesce(W.received_at, W.received_at).desc(), W.id.desc())
                    .limit(limit)
                ).all()
            )
        # When the next held order falls overdue: the points are exact until then.
        next_due = conn.execute(
            _scoped(
                select(func.min(W.due_at)).where(W.status.in_(_HELD), W.due_at >= now, *located),
                actor,
            )
        ).scalar()
    found.sort(key=lambda r: (r.received, r.id), reverse=True)
    paths = ref.category_paths
    items = [
        {
            "id": r.id,
            "ticket_no": r.ticket_no,
            "status": r.status,
            "urgency": r.urgency,
            "lon": r.lon,
            "lat": r.lat,
            "title": _masked_title(r.title),  # the screen is shown to many: personal data masked
            "category_path": paths.get(r.category_code or ""),
            "overdue": bool(r.overdue),
        }
        for r in found[:limit]
    ]
    return {
        "items": items,
        "total": int(total),  # open orders with a location (the map's points before the cap)
        "truncated": int(total) > len(items),
        "open_total": open_total,  # every open order in the caller's jurisdiction
        "unlocated": open_total - int(total),  # open orders without a location: not on the map
        "_until": next_due.timestamp() if next_due else None,  # see map_orders
    }
