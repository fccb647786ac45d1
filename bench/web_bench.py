"""Console benchmark: the command-centre's first meaningful paint (headless Chromium through
tests/e2e/paint.mjs) and the work-order list API's response time, at 3,000 and at 100,000 orders.

    python bench/web_bench.py [--sizes 3000,100000] [--requests 30]

For each size it builds a throwaway demo city (`cityloop demo --no-serve --appeals 3000`),
bulk-inserts synthetic copies of its orders (and their assignments) in SQL up to the size,
serves it on a free port in 8100–8199 and measures. Prints the figures and the machine.
Target: < 1 s for both. Needs the built console (npm --prefix web run build) and Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from _common import ROOT, machine, wait_http  # noqa: E402

PASSWORD = "cityloop-demo"


def free_port() -> int:
    for port in range(8150, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 8150–8199")


def build(data: Path, size: int) -> None:
    env = {**os.environ, "CITYLOOP_DATA_DIR": str(data)}
    env.pop("CITYLOOP_DATABASE_URL", None)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from cityloop.cli import app; app()",
            "demo",
            "--no-serve",
            "--appeals",
            str(min(size, 3000)),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    db = sqlite3.connect(data / "cityloop.db")
    have = db.execute("SELECT count(*) FROM work_orders").fetchone()[0]
    if size > have:
        cols = [r[1] for r in db.execute("PRAGMA table_info(work_orders)")]
        acols = [r[1] for r in db.execute("PRAGMA table_info(assignments)")]
        tcols = [r[1] for r in db.execute("PRAGMA table_info(order_step_deadlines)")]
        base_max = db.execute("SELECT max(id) FROM work_orders").fetchone()[0]
        copies = -(-(size - have) // have)
        with db:
            for k in range(1, copies + 1):
                limit = min(have, size - have * k)
                if limit <= 0:
                    break
                off = base_max * k
                sel = ", ".join(
                    f"id + {off}"
                    if c == "id"
                    else f"'S{k:03d}' || ticket_no"
                    if c == "ticket_no"
                    else "NULL"
                    if c == "merged_into"
                    else c
                    for c in cols
                )
                db.execute(
                    f"INSERT INTO work_orders ({', '.join(cols)}) SELECT {sel} FROM work_orders "
                    f"WHERE id <= {base_max} ORDER BY id LIMIT {limit}"
                )
                asel = ", ".join(
                    "NULL" if c == "id" else f"work_order_id + {off}" if c == "work_order_id" else c
                    for c in acols
                )
                copied = (
                    f"WHERE work_order_id IN (SELECT id - {off} FROM work_orders WHERE id > {off} "
                    f"AND id <= {off + base_max})"
                )
                db.execute(
                    f"INSERT INTO assignments ({', '.join(acols)}) SELECT {asel} FROM assignments "
                    + copied
                )
                # Their step timers too, as every real order has: without them the server's
                # step sweep starts ~100 k timers in the background while the bench measures.
                tsel = ", ".join(
                    "NULL" if c == "id" else f"work_order_id + {off}" if c == "work_order_id" else c
                    for c in tcols
                )
                db.execute(
                    f"INSERT INTO order_step_deadlines ({', '.join(tcols)}) SELECT {tsel} "
                    "FROM order_step_deadlines " + copied
                )
        db.execute("ANALYZE")
    db.close()


def get(url: str, token: str) -> tuple[float, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = r.read()
    return (time.perf_counter() - t0) * 1000, body


def measure(size: int, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cityloop-bench-") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        build(data, size)
        built = time.perf_counter() - t0
        port = free_port()
        # The scheduled jobs run in `cityloop worker` as in production, not beside this server:
        # at 100 k orders the 10-minutely KPI rollup takes ~5 s of CPU, and landing in the
        # measurement it would time the rollup, not the screen (docs/PERFORMANCE.md).
        env = {
            **os.environ,
            "CITYLOOP_DATA_DIR": str(data),
            "CITYLOOP_LOG_LEVEL": "WARNING",
            "CITYLOOP_JOBS_EMBEDDED": "false",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "cityloop.cli", "serve", "--port", str(port)], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(port, "/api/v1/health")
            body = urllib.parse.urlencode({"username": "leader", "password": PASSWORD}).encode()
            token = json.loads(urllib.request.urlopen(f"{base}/api/v1/auth/token", body).read())[
                "access_token"
            ]
            results: dict[str, object] = {"orders": size, "build_s": round(built, 1)}
            # Filter values that exist in the demo city: the busiest lead department, the first
            # top-level category, the first street.
            db = sqlite3.connect(data / "cityloop.db")
            dept = db.execute(
                "SELECT lead_department FROM work_orders WHERE lead_department IS NOT NULL "
                "GROUP BY lead_department ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]
            cat = db.execute("SELECT code FROM categories WHERE level = 1 LIMIT 1").fetchone()[0]
            street = db.execute(
                "SELECT code FROM regions WHERE level = 'street' LIMIT 1"
            ).fetchone()[0]
            db.close()
            queries = {
                "list_default": "/api/v1/work-orders?page=1&page_size=20",
                "list_filtered": "/api/v1/work-orders?status=dispatched&status=accepted"
                "&overdue=false&sort=due_at&page=3&page_size=50",
                "list_text": "/api/v1/work-orders?q=%E8%B7%AF%E7%81%AF&page_size=20",
                "list_department": f"/api/v1/work-orders?department={dept}&page_size=20",
                "list_category": f"/api/v1/work-orders?category={cat}&page_size=20",
                "list_region": f"/api/v1/work-orders?region={street}&page_size=20",
                "list_channel_dates": "/api/v1/work-orders?channel=web"
                "&received_from=2026-01-01T00:00:00Z&received_to=2027-01-01T00:00:00Z&page_size=20",
                "list_overdue": "/api/v1/work-orders?overdue=true&sort=due_at&page_size=20",
                "dashboard_summary": "/api/v1/dashboard/summary",
                "dashboard_map": "/api/v1/dashboard/map-orders",
            }
            for name, path in queries.items():
                get(base + path, token)  # warm
                times = sorted(get(base + path, token)[0] for _ in range(requests))
                results[name] = {
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                }
            total = json.loads(get(base + queries["list_default"], token)[1])["total"]
            results["orders_in_db"] = total
            # The screen's secondary panels (hot issues, warnings, flash reports) are asked for
            # once its first view is drawn; clustering a month of appeals for hot issues takes
            # seconds the first time and is then shared for five minutes. Warm them as a server
            # that has shown the screen before, so one run's clustering does not run on the
            # cores during the next run's paint.
            started = time.perf_counter()
            for path in (
                "/api/v1/analytics/hot-issues?days=30&top=5",
                "/api/v1/analytics/warnings?days=1",
                "/api/v1/analytics/flash-reports?page_size=3",
            ):
                get(base + path, token)
            results["secondary_warm_ms"] = round((time.perf_counter() - started) * 1000)
            paint = subprocess.run(
                ["node", str(ROOT / "tests/e2e/paint.mjs"), base, "5"],
                capture_output=True,
                text=True,
                check=False,
            )
            results["first_meaningful_paint"] = (
                json.loads(paint.stdout.strip().splitlines()[-1])
                if paint.returncode == 0
                else {"error": paint.stderr[-400:]}
            )
            return results
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="3000,100000")
    p.add_argument("--requests", type=int, default=30)
    args = p.parse_args()
    print(f"machine: {machine()}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.requests)
        fmp: dict[str, Any] = r["first_meaningful_paint"]  # type: ignore[assignment]
        print(f"\n== {r['orders_in_db']:,} orders (built in {r['build_s']} s)")
        for name in (
            "list_default",
            "list_filtered",
            "list_text",
            "list_department",
            "list_category",
            "list_region",
            "list_channel_dates",
            "list_overdue",
            "dashboard_summary",
            "dashboard_map",
        ):
            v: dict[str, float] = r[name]  # type: ignore[assignment]
            print(f"  {name:<19} median {v['median_ms']:>7.1f} ms   p95 {v['p95_ms']:>7.1f} ms")
        if "error" in fmp:
            print(f"  first meaningful paint: failed: {fmp['error']}")
        else:
            print(f"  secondary panels warmed in {r['secondary_warm_ms']} ms (hot issues …)")
            print(
                f"  command-centre first meaningful paint: cold {fmp['cold_ms']} ms, "
                f"median {fmp['median_ms']} ms  (runs {fmp['runs']})"
            )


if __name__ == "__main__":
    main()
