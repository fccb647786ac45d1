"""Sensing throughput and delivery: MQTT broker → consumer (rules) → PostgreSQL.

1. Load: simulated devices publish telemetry, heartbeats and injected incidents (QoS 1) for
   `--duration` seconds at `--rate` messages/s; prints the consumer's sustained rate (all
   messages committed) and p50/p99 from an incident's publication to its order being created.
2. Crash: a second stream; the consumer is killed with SIGKILL mid-stream and restarted; then
   every incident must have exactly one order and every message exactly one processed row.

A private Mosquitto (persistent sessions, no queue limit) runs on a free port for the run; the
consumer is `python -m cityloop.sensing run` against a fresh database `sensing_bench`.

    python bench/sensing_bench.py [--devices 2000] [--rate 2500] [--duration 60] [--redis URL]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, os.path.dirname(__file__))
from _common import ROOT, free_port, machine  # noqa: E402

ADMIN_DSN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "sensing_bench"
TENANT = "bench"


def fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    return ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}"


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\n"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)
    return proc, port


def start_consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cityloop.sensing", "run"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(log: Path, count: int, timeout: float = 120) -> None:
    """Until the consumer has started `count` times (it prints a line once subscribed)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if log.exists() and log.read_text(errors="replace").count("sensing consumer on") >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"consumer did not start; see {log}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processed(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM sensing_processed").fetchone()[0])  # type: ignore[index]


def wait_drained(conn: psycopg.Connection, target: int, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if processed(conn) >= target:
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"consumer processed {processed(conn)} of {target} in {timeout} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=2500.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--crash-duration", type=float, default=20.0)
    ap.add_argument("--incident-every", type=float, default=0.5)
    ap.add_argument(
        "--redis",
        metavar="URL",
        default="",
        help="shared state and live events on this Redis (e.g. redis://127.0.0.1:6379/9), as "
        "in a deployment of several machines",
    )
    args = ap.parse_args()

    print(f"machine: {machine()}")
    print(f"redis: {args.redis or 'none (in-process live events)'}")
    url = fresh_database()
    work = Path(tempfile.mkdtemp(prefix="sensing-bench-"))
    broker, port = start_broker(work)
    env = {
        "CITYLOOP_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
        "CITYLOOP_DATA_DIR": str(work),
        "CITYLOOP_MQTT_PORT": str(port),
        "CITYLOOP_MQTT_TENANT": TENANT,
        "CITYLOOP_MQTT_CLIENT_ID": "cityloop-bench",
        "CITYLOOP_SENSING_TICK_SECONDS": "5",
        "CITYLOOP_REDIS_URL": args.redis,
    }
    os.environ.update(env)
    import cityloop.sensing.store  # noqa: F401
    from cityloop.demo.load import load_reference_city
    from cityloop.sensing.config import sensing_config
    from cityloop.sensing.mqtt import MqttPublisher
    from cityloop.sensing.registry import upsert_devices
    from cityloop.sensing.simulate import READING_INCIDENTS, Injected, Simulator, plan_devices
    from cityloop.services.admin import regions_geojson
    from cityloop.services.context import build_context
    from cityloop.settings import Settings
    from cityloop.store.migrate import upgrade

    ctx = build_context(Settings())
    upgrade(ctx.engine)
    load_reference_city(ctx)
    grids = regions_geojson(ctx, level="grid")["features"]
    plan = plan_devices(ctx.reference.get(), grids, args.devices, TENANT)
    upsert_devices(ctx, plan)
    ctx.engine.dispose()
    cfg = sensing_config()
    log = work / "consumer.log"
    consumer = start_consumer(env, log)
    conn = psycopg.connect(url, autocommit=True)
    incidents: list[tuple[Injected, float]] = []  # with the end of their run
    try:
        wait_ready(log, 1)
        pub = MqttPublisher(cfg)

        # -- 1. sustained load --------------------------------------------------------------
        sim = Simulator(
            cfg,
            plan,
            lambda t, p: pub.publish(t, p, wait=None),
            seed=1,
            incident_every=args.incident_every,
        )
        t0 = time.monotonic()
        cpu0 = cpu_seconds(consumer.pid)
        res = sim.run(args.rate, args.duration)
        end1 = time.time()
        done = wait_drained(conn, res.published, 300)
        cpu1 = cpu_seconds(consumer.pid)
        incidents += [(i, end1) for i in res.incidents]
        elapsed = done - t0
        print(
            f"load: {res.published} messages from {len(plan)} devices published in "
            f"{res.seconds:.1f} s ({res.rate:.0f}/s); all committed after {elapsed:.1f} s: "
            f"sustained {res.published / elapsed:.0f} messages/s"
        )
        per_msg = (cpu1 - cpu0) / res.published
        print(
            f"consumer CPU: {cpu1 - cpu0:.1f} s for {res.published} messages = "
            f"{per_msg * 1e6:.0f} µs/message, i.e. {1 / per_msg:.0f} messages/s per fully "
            f"available core (load average during the run: {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores)"
        )
        time.sleep(1)
        published_at = {
            i.message_id: i.published_at
            for i in res.incidents
            if i.device_type not in READING_INCIDENTS
        }
        rows = conn.execute(
            "SELECT a.external_id, extract(epoch FROM w.received_at) FROM appeals a "
            "JOIN work_orders w ON w.id = a.work_order_id WHERE a.channel = 'sensor'"
        ).fetchall()
        lats = sorted(
            float(created) - published_at[ext.rsplit("/", 1)[1]]
            for ext, created in rows
            if ext.rsplit("/", 1)[1] in published_at
        )
        if lats:
            print(
                f"publish → order created ({len(lats)} event incidents): "
                f"p50 {lats[len(lats) // 2] * 1000:.0f} ms, "
                f"p99 {lats[min(len(lats) - 1, int(len(lats) * 0.99))] * 1000:.0f} ms"
            )

        # -- 2. kill -9 mid-stream ---------------------------------------------------------------
        base = processed(conn)
        sim2 = Simulator(
            cfg,
            plan,
            lambda t, p: pub.publish(t, p, wait=None),
            seed=2,
            incident_every=args.incident_every,
        )
        sim2._used = set(sim._used)  # fresh devices for the new incidents
        import threading

        box: dict[str, object] = {}
        ends: list[float] = []

        def stream() -> None:
            box["r"] = sim2.run(args.rate, args.crash_duration)
            ends.append(time.time())

        th = threading.Thread(target=stream)
        th.start()
        time.sleep(args.crash_duration * 0.4)
        before_kill = processed(conn) - base
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait()
        time.sleep(2)
        consumer = start_consumer(env, log)
        th.join()
        res2 = box["r"]
        assert isinstance(res2, type(res))
        wait_drained(conn, base + res2.published, 180)
        incidents += [(i, ends[0]) for i in res2.incidents]
        time.sleep(2)
        print(
            f"crash: {res2.published} messages; consumer killed (SIGKILL) after {before_kill} "
            f"were committed, restarted 2 s later; all committed after restart"
        )
        # -- verdict ---------------------------------------------------------------------------
        total = res.published + res2.published
        n_processed = processed(conn)
        per_device = dict(
            conn.execute(
                "SELECT split_part(external_id, '/', 2), count(*) FROM appeals "
                "WHERE channel = 'sensor' GROUP BY 1"
            ).fetchall()
        )
        # A sustained-reading incident injected in its run's last 45 s may not last long
        # enough (30 s of gas, 10 s of tilt) to fire: it is not expected to.
        expected = [
            i
            for i, end in incidents
            if i.device_type not in READING_INCIDENTS or i.published_at < end - 45
        ]
        lost = [i.device_id for i in expected if per_device.get(i.device_id, 0) == 0]
        dup = {d: n for d, n in per_device.items() if n > 1}
        print(
            f"verdict: {n_processed} processed rows for {total} published messages "
            f"({total - n_processed} missing); {len(expected)} incidents expected "
            f"({len(incidents)} injected) → {sum(per_device.values())} orders; "
            f"incidents lost: {len(lost)}; devices with duplicate orders: {len(dup)}"
        )
        if lost:
            kinds: dict[str, int] = {}
            for i in expected:
                if i.device_id in lost:
                    kinds[i.device_type] = kinds.get(i.device_type, 0) + 1
            print(f"lost by device type: {kinds}")
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT (device_pk, message_id)) FROM sensing_processed"
        ).fetchone()
        print(f"duplicate processed keys: {dupes[0] if dupes else '?'}")
        pub.close()
    finally:
        try:
            os.killpg(consumer.pid, signal.SIGTERM)
            consumer.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(consumer.pid, signal.SIGKILL)
        broker.terminate()
        conn.close()
    print(f"consumer log: {log}")


if __name__ == "__main__":
    main()
