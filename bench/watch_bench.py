"""Watch lists at 100 000 orders on PostgreSQL: the menu counts and one list page.

Builds a fresh database (`cityloop_bench_watch`) through the migrations, writes N orders
spread over grids, statuses and months with their step timers (a finished history and a few
thousand open steps, some warning, some overdue), then times `watch_counts` and a page of
`watch=overdue` for a dispatcher (the city), a street supervisor and a department handler.

    python bench/watch_bench.py [--orders 100000] [--repeat 5]

Prints the median and slowest of the repeats per query, and the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine  # noqa: E402

ADMIN_DSN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "cityloop_bench_watch"


def fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    return "postgresql+psycopg://" + ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0] + f"/{DB}"


def populate(ctx: Any, n: int, now: datetime) -> None:
    from sqlalchemy import insert

    from cityloop.store.models import WorkOrderRow
    from cityloop.store.steps import STEPS

    rng = random.Random(7)
    grids = [
        f"3301020{s:02d}{c:03d}{g:03d}" for s in range(1, 7) for c in range(1, 4) for g in (1, 2)
    ]
    depts = [f"D-{i:02d}" for i in range(30)]
    orders: list[dict[str, Any]] = []
    for i in range(n):
        received = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
        open_ = rng.random() < 0.06
        status = (
            rng.choice(["pending_dispatch", "dispatched", "in_progress", "replied", "reopened"])
            if open_
            else "closed"
        )
        orders.append(
            {
                "ticket_no": f"B{i:09d}",
                "status": status,
                "channel": "hotline",
                "title": "路灯不亮",
                "content": "路灯不亮",
                "urgency": "urgent" if rng.random() < 0.05 else "normal",
                "life_safety": rng.random() < 0.01,
                "grid_code": rng.choice(grids),
                "lead_department": rng.choice(depts),
                "received_at": received,
                "due_at": received + timedelta(days=5),
                "warn_at": received + timedelta(days=4),
                "urge_count": 1 if rng.random() < 0.03 else 0,
                "pending_extension": "3d"
                if status == "in_progress" and rng.random() < 0.1
                else None,
                "routing": {},
                "reply_text": "",
                "cancel_reason": "",
                "extension_count": 0,
                "reopen_count": 0,
                "return_count": 0,
                "version": 1,
                "updated_at": received,
            }
        )
    with ctx.engine.begin() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                insert(WorkOrderRow.__table__).returning(WorkOrderRow.__table__.c.id), orders
            ).all()
        ]
        steps: list[dict[str, Any]] = []
        for oid, o in zip(ids, orders, strict=True):
            start = o["received_at"]
            for step in ("dispatch", "respond", "complete"):
                due = start + timedelta(hours={"dispatch": 2, "respond": 24, "complete": 120}[step])
                is_open = o["status"] != "closed" and (
                    step == "complete" or (step == "dispatch" and o["status"] == "pending_dispatch")
                )
                finished = None if is_open else min(due - timedelta(minutes=5), now)
                steps.append(
                    {
                        "work_order_id": oid,
                        "step": step,
                        "department_code": None if step == "dispatch" else o["lead_department"],
                        "limit_text": "2h",
                        "clock": "working",
                        "started_at": start,
                        "due_at": due,
                        "warn_at": start + (due - start) * 0.8,
                        "finished_at": finished,
                        "state": "running" if is_open else "done",
                    }
                )
        for k in range(0, len(steps), 20000):
            conn.execute(insert(STEPS), steps[k : k + 20000])
        conn.exec_driver_sql("ANALYZE")


def timed(fn: Any, repeat: int) -> tuple[float, float]:
    fn()  # warm
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from cityloop.domain.orders import Actor
    from cityloop.domain.statuses import Role
    from cityloop.services.clock import ManualClock
    from cityloop.services.context import build_context
    from cityloop.services.order_views import OrderFilters, list_orders
    from cityloop.services.watch import Watch, watch_counts
    from cityloop.settings import Settings
    from cityloop.store.db import make_engine
    from cityloop.store.migrate import upgrade

    url = fresh_database()
    settings = Settings(database_url=url, secret_key="x" * 40, _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    ctx = build_context(settings, clock=ManualClock(now))
    t = time.perf_counter()
    populate(ctx, args.orders, now)
    print(f"populated {args.orders} orders with step timers in {time.perf_counter() - t:.1f} s")
    actors = {
        "dispatcher (city)": Actor(1, "派单员", Role.DISPATCHER),
        "supervisor (street)": Actor(2, "督办", Role.SUPERVISOR, region_code="330102001"),
        "department handler": Actor(3, "承办", Role.DEPARTMENT_HANDLER, department_code="D-07"),
    }
    print(f"machine: {machine()}")
    for name, actor in actors.items():
        med, worst = timed(lambda a=actor: watch_counts(ctx, a), args.repeat)
        print(f"watch-counts  {name:22s} median {med:7.1f} ms  slowest {worst:7.1f} ms")
        f = OrderFilters(watch=Watch.OVERDUE)
        med, worst = timed(lambda a=actor, f=f: list_orders(ctx, a, f, 1, 20), args.repeat)
        print(f"watch=overdue {name:22s} median {med:7.1f} ms  slowest {worst:7.1f} ms")
    print(watch_counts(ctx, actors["dispatcher (city)"]))


if __name__ == "__main__":
    main()
