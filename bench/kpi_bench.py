"""KPI benchmark: N work orders on PostgreSQL, the rollup built, month-by-X queries timed.

    python bench/kpi_bench.py [--orders 10000000] [--months 24] [--reuse]

Generates orders with numpy (24 months, weekly and daily rhythm, a growing trend, Zipf-like
categories, grids and departments, lognormal handling times, 5 % returned and re-dispatched,
85 % rated), COPYs them into an UNLOGGED staging table of plain numbers in the dedicated
database `kpi_bench`, then expands them with SQL into `work_orders` and the dispatch / accept /
return `order_events` the KPIs read (the schema comes from the real migrations; secondary
indexes are built after the load). Then it builds the KPI rollup (full, then the trailing
window a periodic refresh recomputes) and times KPI tables for one month by each dimension,
through `cityloop.analytics.kpi.kpi_table` (the API's code path), warm and cold.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine  # noqa: E402

DSN_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "kpi_bench"
TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 500_000
CHANNELS = ["hotline", "wechat", "web", "app", "sms", "mailbox", "grid_patrol", "sensor"]
CHANNEL_P = [0.55, 0.15, 0.10, 0.06, 0.04, 0.03, 0.06, 0.01]


def log(msg: str, t0: float) -> None:
    print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", flush=True)


# -- the synthetic city -------------------------------------------------------------------------
def city(rng: np.random.Generator) -> dict[str, np.ndarray]:
    grids = []
    for d in range(1, 13):
        for s in range(1, rng.integers(8, 14)):
            for c in range(1, rng.integers(4, 8)):
                for g in range(1, rng.integers(5, 11)):
                    grids.append(f"9901{d:02d}{s:03d}{c:03d}{g:03d}")
    cats = []
    for a in range(1, 16):
        for b in range(1, rng.integers(4, 10)):
            for c in range(1, rng.integers(2, 6)):
                cats.append(f"{a:02d}{b:02d}{c:02d}")
    depts = [f"D-{i:02d}" for i in range(1, 61)]
    cat_dept = rng.integers(0, 45, size=len(cats))  # 45 city departments by category
    return {
        "grids": np.array(grids),
        "cats": np.array(cats),
        "depts": np.array(depts),
        "cat_dept": cat_dept,
    }


def zipf_p(n: int, s: float, rng: np.random.Generator) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    rng.shuffle(p)
    return p / p.sum()


def receipt_times(n: int, start: float, days: int, rng: np.random.Generator) -> np.ndarray:
    """Epoch seconds: a growing trend, weekdays busier than weekends, office-hour peaks."""
    day_w = np.linspace(0.8, 1.2, days)
    dow = (np.arange(days) + date.fromtimestamp(start).weekday()) % 7
    day_w = day_w * np.where(dow >= 5, 0.7, 1.0)
    day_w /= day_w.sum()
    day = rng.choice(days, size=n, p=day_w)
    hour_w = np.array(
        [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2.0]
    )
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    secs = rng.integers(0, 3600, size=n)
    return start + day * 86400.0 + hour * 3600.0 + secs


def chunk(
    n: int, first_id: int, start: float, days: int, c: dict, rng: np.random.Generator, now: float
) -> bytes:
    recv = np.sort(receipt_times(n, start, days, rng))
    ch = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)
    cat = rng.choice(len(c["cats"]), size=n, p=c["cat_p"])
    grid = rng.choice(len(c["grids"]), size=n, p=c["grid_p"])
    street_office = rng.random(n) < 0.12
    dept = np.where(street_office, 45 + (grid % 15), c["cat_dept"][cat])
    disp = recv + np.where(ch == 0, rng.random(n) < 0.5, 1) * rng.lognormal(7.5, 1.0, n)
    returned = rng.random(n) < 0.05
    ret_at = disp + rng.lognormal(8.0, 1.0, n)
    wrong = (dept + 1 + rng.integers(0, 40, n)) % 60
    redisp = ret_at + rng.lognormal(7.0, 1.0, n)
    last_disp = np.where(returned, redisp, disp)
    acc = last_disp + rng.lognormal(8.6, 1.1, n)  # median ≈ 1.5 h wall clock
    reply = acc + rng.lognormal(11.8, 0.9, n)  # median ≈ 1.5 days
    due = last_disp + np.where(rng.random(n) < 0.1, 2, 7) * 86400.0
    ext = rng.random(n) < 0.03
    due = due + ext * 5 * 86400.0
    r = rng.random(n)
    rating = np.where(r < 0.64, 1, np.where(r < 0.77, 2, np.where(r < 0.85, 3, 0)))
    reopen = (rating == 3).astype(int)
    urges = np.where(rng.random(n) < 0.04, rng.integers(1, 4, n), 0)
    cancelled = rng.random(n) < 0.015
    # status as of `now`
    st = np.full(n, 6)  # closed
    st = np.where(reply > now, 3, st)  # in progress
    st = np.where(acc > now, 2, st)  # dispatched
    st = np.where(last_disp > now, 1, st)  # pending dispatch
    st = np.where(cancelled & (st == 6), 7, st)
    accepted = acc <= now
    replied = (reply <= now) & ~cancelled
    cols = [
        np.arange(first_id, first_id + n),
        recv.astype(np.int64),
        np.where(last_disp <= now, last_disp, -1).astype(np.int64),
        np.where(accepted, acc, -1).astype(np.int64),
        np.where(replied, reply, -1).astype(np.int64),
        due.astype(np.int64),
        st,
        ch,
        cat,
        grid,
        dept,
        np.where(replied, rating, 0),
        urges,
        np.where(replied, reopen, 0),
        (returned & (ret_at <= now)).astype(int),
        wrong,
        np.where(returned, disp, -1).astype(np.int64),
        np.where(returned, ret_at, -1).astype(np.int64),
    ]
    return binary_rows(cols)


def binary_rows(cols: list[np.ndarray]) -> bytes:
    """Rows of bigints in PostgreSQL's binary COPY format, built with numpy in one go (text
    formatting of 10 M rows × 18 columns in Python took ten minutes)."""
    n = len(cols[0])
    fields = [("count", ">i2")]
    for i in range(len(cols)):
        fields += [(f"len{i}", ">i4"), (f"v{i}", ">i8")]
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(cols)
    for i, col in enumerate(cols):
        rows[f"len{i}"] = 8
        rows[f"v{i}"] = col
    return rows.tobytes()


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


STAGE_COLS = ", ".join(
    f"{name} bigint"
    for name in [
        "id",
        "recv",
        "disp",
        "acc",
        "reply",
        "due",
        "st",
        "ch",
        "cat",
        "grid",
        "dept",
        "rating",
        "urges",
        "reopen",
        "returned",
        "wrong",
        "disp0",
        "ret",
    ]
)
STATUS = [
    "received",
    "pending_dispatch",
    "dispatched",
    "in_progress",
    "replied",
    "reopened",
    "closed",
    "cancelled",
]
RATING = ["", "satisfied", "basically_satisfied", "unsatisfied"]


def load(conn: psycopg.Connection, args: argparse.Namespace, t0: float) -> tuple[datetime, int]:
    rng = np.random.default_rng(20261126)
    c = city(rng)
    c["cat_p"] = zipf_p(len(c["cats"]), 1.0, rng)
    c["grid_p"] = zipf_p(len(c["grids"]), 0.6, rng)
    end = datetime(2026, 11, 1, tzinfo=TZ)
    start_day = (end - timedelta(days=int(args.months * 30.44))).date()
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=TZ).timestamp()
    days = (end.date() - start_day).days
    now = end.timestamp() + 9 * 3600
    log(
        f"city: {len(c['grids'])} grids, {len(c['cats'])} categories, 60 departments; {days} days",
        t0,
    )
    cur = conn.cursor()
    cur.execute(f"DROP TABLE IF EXISTS stage; CREATE UNLOGGED TABLE stage ({STAGE_COLS})")
    done = 0
    per_day = args.orders / days
    while done < args.orders:
        n = min(CHUNK, args.orders - done)
        # chunks cover consecutive slices of the period so ids follow time
        d0 = int(done / per_day)
        d1 = max(d0 + 1, int((done + n) / per_day))
        rows = chunk(n, done + 1, start + d0 * 86400, d1 - d0, c, rng, now)
        with cur.copy("COPY stage FROM STDIN (FORMAT binary)") as cp:
            cp.write(COPY_HEADER + rows + COPY_TRAILER)
        done += n
        log(f"staged {done:,} orders", t0)
    conn.commit()
    # names as SQL arrays (1-based)
    arr = lambda xs: "ARRAY[" + ",".join(f"'{x}'" for x in xs) + "]"  # noqa: E731
    ts = lambda col: f"CASE WHEN {col} >= 0 THEN to_timestamp({col}) END"  # noqa: E731
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('work_orders',"
        "'order_events') AND indexname NOT LIKE '%pkey' AND indexname NOT LIKE '%_key'"
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX IF EXISTS "{name}"')
    cur.execute(
        "ALTER TABLE order_events DROP CONSTRAINT IF EXISTS order_events_work_order_id_fkey"
    )
    cur.execute("ALTER TABLE work_orders DROP CONSTRAINT IF EXISTS work_orders_ticket_no_key")
    # The timeline refuses TRUNCATE (migration t0001) unless the transaction says it purges.
    cur.execute("SET LOCAL cityloop.audit_purge = 'on'")
    cur.execute("TRUNCATE work_orders, order_events, assignments, appeals CASCADE")
    conn.commit()
    for name, values in (("g_grid", c["grids"]), ("g_cat", c["cats"]), ("g_dept", c["depts"])):
        cur.execute(
            f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} (i int PRIMARY KEY, code text)"
        )
        with cur.copy(f"COPY {name} FROM STDIN") as cp:
            cp.write("".join(f"{i}\t{v}\n" for i, v in enumerate(values)).encode())
    # The jurisdictions (city, districts, streets) a supervisor is scoped to; the KPIs read
    # no geometry, so each gets a placeholder square.
    square = """'{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}'::json"""
    cur.execute("TRUNCATE regions")
    cur.execute(
        f"""
        INSERT INTO regions (code, name, level, parent_code, geometry)
        SELECT code, name, level, parent, {square} FROM (
          SELECT '990100' AS code, '基准市' AS name, 'city' AS level, NULL AS parent
          UNION SELECT left(code, 6), '区' || left(code, 6), 'district', '990100' FROM g_grid
          UNION SELECT left(code, 9), '街道' || left(code, 9), 'street', left(code, 6) FROM g_grid
        ) r
        """
    )
    conn.commit()
    log("expanding stage → work_orders", t0)
    cur.execute(
        f"""
        INSERT INTO work_orders (id, ticket_no, status, channel, title, content, category_code,
          urgency, grid_code, community_code, street_code, district_code, lead_department,
          time_limit, received_at, dispatched_at, accepted_at, replied_at, closed_at, due_at,
          reply_text, extension_count, urge_count, reopen_count, return_count, rating,
          cancel_reason, routing, version, updated_at)
        SELECT id, 'B' || id, ({arr(STATUS)})[st + 1], ({arr(CHANNELS)})[ch + 1], '',
          '', gc.code, 'normal', g, left(g, 12), left(g, 9), left(g, 6),
          gd.code, '5d', to_timestamp(recv), {ts("disp")}, {ts("acc")},
          {ts("reply")}, CASE WHEN st IN (6, 7) AND reply >= 0 THEN to_timestamp(reply + 3600) END,
          CASE WHEN disp >= 0 THEN to_timestamp(due) END, '', 0, urges, reopen, returned,
          NULLIF(({arr(RATING)})[rating + 1], ''), '', '{{}}', 1, to_timestamp(recv)
        FROM stage JOIN (SELECT i, code AS g FROM g_grid) x ON x.i = stage.grid
          JOIN g_cat gc ON gc.i = stage.cat JOIN g_dept gd ON gd.i = stage.dept
        """
    )
    conn.commit()
    log("expanding stage → order_events (dispatch, return, accept)", t0)
    actor = "'x', 'dispatcher'"
    cur.execute(
        f"""
        INSERT INTO order_events (work_order_id, action, at, from_status, to_status, actor_name,
          actor_role, note, data)
        SELECT id, 'dispatch', to_timestamp(disp0), 'pending_dispatch', 'dispatched', {actor}, '',
          json_build_object('lead_department', gd.code)
          FROM stage JOIN g_dept gd ON gd.i = stage.wrong WHERE disp0 >= 0
        UNION ALL
        SELECT id, 'return', to_timestamp(ret), 'dispatched', 'returned', {actor},
          '非我单位职责', '{{}}'
          FROM stage WHERE returned = 1
        UNION ALL
        SELECT id, 'dispatch', to_timestamp(disp), 'pending_dispatch', 'dispatched', {actor}, '',
          json_build_object('lead_department', gd.code)
          FROM stage JOIN g_dept gd ON gd.i = stage.dept
          WHERE disp >= 0 AND (disp0 < 0 OR returned = 1)
        UNION ALL
        SELECT id, 'accept', to_timestamp(acc), 'dispatched', 'accepted', {actor}, '', '{{}}'
          FROM stage WHERE acc >= 0
        ORDER BY 1, 3
        """
    )
    conn.commit()
    log("rebuilding indexes", t0)
    cur.execute(
        "ALTER TABLE work_orders ADD CONSTRAINT work_orders_ticket_no_key UNIQUE (ticket_no)"
    )
    for _name, ddl in indexes:
        cur.execute(ddl)
        conn.commit()
    cur.execute(
        "SELECT setval(pg_get_serial_sequence('work_orders', 'id'), max(id)) FROM work_orders"
    )
    cur.execute("DROP TABLE stage, g_grid, g_cat, g_dept")
    conn.commit()
    conn.autocommit = True
    cur.execute("VACUUM ANALYZE work_orders")
    cur.execute("VACUUM ANALYZE order_events")
    conn.autocommit = False
    return datetime.fromtimestamp(now, TZ), days


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--reuse", action="store_true", help="keep the loaded data, rerun the rest")
    ap.add_argument(
        "--keep-rollup", action="store_true", help="with --reuse: do not rebuild the rollup"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    print("machine:", machine())
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"
    with psycopg.connect(DSN_ADMIN, autocommit=True) as admin:
        print(
            "server:",
            admin.execute("SHOW server_version").fetchone()[0],  # type: ignore[index]
            "shared_buffers",
            admin.execute("SHOW shared_buffers").fetchone()[0],  # type: ignore[index]
            "work_mem",
            admin.execute("SHOW work_mem").fetchone()[0],
        )  # type: ignore[index]
        if not args.reuse:
            admin.execute(f"DROP DATABASE IF EXISTS {DB}")
            admin.execute(f"CREATE DATABASE {DB}")

    import cityloop.analytics.store  # noqa: F401
    from cityloop.analytics import kpi, kpi_rollup
    from cityloop.domain.orders import Actor
    from cityloop.domain.statuses import Role
    from cityloop.services.clock import ManualClock
    from cityloop.services.context import build_context
    from cityloop.settings import Settings
    from cityloop.store.db import make_engine
    from cityloop.store.migrate import upgrade

    settings = Settings(database_url=url, secret_key="k" * 40, _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}") as conn:
        if args.reuse:
            now = datetime(2026, 11, 1, 9, tzinfo=TZ)
        else:
            now, _ = load(conn, args, t0)
        n = conn.execute("SELECT count(*) FROM work_orders").fetchone()[0]  # type: ignore[index]
        ne = conn.execute("SELECT count(*) FROM order_events").fetchone()[0]  # type: ignore[index]
        size = conn.execute(f"SELECT pg_size_pretty(pg_database_size('{DB}'))").fetchone()[0]  # type: ignore[index]
    log(f"loaded: {n:,} work orders, {ne:,} order events, database {size}", t0)

    ctx = build_context(settings, clock=ManualClock(now.astimezone(UTC)))
    leader = Actor(1, "leader", Role.LEADER)
    if not (args.reuse and args.keep_rollup):
        t = time.perf_counter()
        info = kpi_rollup.refresh_rollup(ctx, full=True)
        log(f"rollup full build: {time.perf_counter() - t:.1f} s {info}", t0)
        t = time.perf_counter()
        info = kpi_rollup.refresh_rollup(ctx)
        log(f"rollup trailing refresh (62 days): {time.perf_counter() - t:.1f} s {info}", t0)
    month = "2026-10"

    def timed(actor: Actor, by: str) -> tuple[dict, str]:
        """The table (5 runs) and its figures: rows, source, first and median time."""
        times = []
        for _ in range(5):
            t = time.perf_counter()
            table = kpi.kpi_table(ctx, actor, month, by)
            times.append(time.perf_counter() - t)
        return table, (
            f"rows {len(table['rows']):>4}  source {table['source']}  first "
            f"{times[0] * 1000:7.1f} ms  median {statistics.median(times) * 1000:7.1f} ms"
        )

    print(f"\nKPI table for {month}, city-wide (rollup path), end to end through kpi_table:")
    for by in ("department", "district", "street", "category", "channel"):
        table, figures = timed(leader, by)
        print(
            f"  by {by:<11} {figures}  intake {table['total']['intake']:,} "
            f"on-time {table['total']['on_time_rate']}"
        )
    print(f"\nKPI table for {month} within a supervisor's jurisdiction (rollup path):")
    sup = Actor(2, "sup", Role.SUPERVISOR, region_code="990101001")
    district_sup = Actor(3, "district sup", Role.SUPERVISOR, region_code="990101")
    for who, actor in (("street 990101001", sup), ("district 990101", district_sup)):
        for by in ("department", "category", "channel"):
            table, figures = timed(actor, by)
            print(f"  {who:<17} by {by:<11} {figures}  intake {table['total']['intake']:,}")
    print(f"\nLive path (no rollup), {month}:")
    community = Actor(4, "community sup", Role.SUPERVISOR, region_code="990101001001")
    for who, actor, by in (
        ("supervisor of community 990101001001", community, "department"),
        ("supervisor of street 990101001", sup, "department"),
        ("city-wide", leader, "department"),
    ):
        t = time.perf_counter()
        table = kpi.kpi_table(ctx, actor, month, by, source="live")
        print(
            f"  {who:<38} by {by}: {time.perf_counter() - t:7.2f} s, intake "
            f"{table['total']['intake']:,}"
        )
    t = time.perf_counter()
    dd = kpi.drilldown(
        ctx, leader, month, "department", "D-01", "on_time_rate", "missed", limit=100
    )
    print(
        f"\nDrill-down D-01 on-time missed in {month}: {dd['count']:,} orders in "
        f"{time.perf_counter() - t:.2f} s"
    )
    log("done", t0)


if __name__ == "__main__":
    main()
