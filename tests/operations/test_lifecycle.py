"""Stopping `serve` stops every process it started (web workers, the sensing consumer, the
jobs worker) within 10 s; killing it with SIGKILL leaves none behind either."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cityloop.serving import can_share_port
from tests.conftest import free_port

PORT = free_port()

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not can_share_port(),
    reason="Linux /proc and SO_REUSEPORT",
)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _serve(tmp_path: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp_path),
        "CITYLOOP_DATABASE_URL": "",
        "CITYLOOP_SECRET_KEY": "lifecycle-test-secret-0123456789abcdef",
        "CITYLOOP_SENSING_ENABLED": "true",
        "CITYLOOP_MQTT_CLIENT_ID": "cityloop-lifecycle-test",
        "CITYLOOP_LOG_LEVEL": "WARNING",
    }
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cityloop.cli",
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=2):
                break
        except OSError:
            assert p.poll() is None, "serve exited at start"
            time.sleep(0.5)
    # the consumer and the jobs worker import for a while; wait until they are all there
    expected = _expected(workers)
    while time.monotonic() < deadline and len(_descendants(p.pid)) < expected:
        time.sleep(0.3)
    return p


@pytest.fixture
def cleanup():
    """Whatever a failed assertion leaves running is stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def keep(p: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        started.append(p)
        return p

    yield keep
    for p in started:
        for pid in [*_descendants(p.pid), p.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _job_ran(db: Path, job: str, seconds: float = 60) -> bool:
    import sqlite3

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db) as conn:
                n = conn.execute(
                    "SELECT count(*) FROM job_runs WHERE job = ? AND status = 'succeeded'", (job,)
                ).fetchone()[0]
            if n:
                return True
        except sqlite3.Error:
            pass
        time.sleep(0.5)
    return False


def _expected(workers: int) -> int:
    """One process serves in the parent itself; several are children, with a jobs worker
    beside them. The sensing consumer is always a child."""
    return 1 + (workers + 1 if workers > 1 else 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_stops_every_child_within_10_s(tmp_path, workers, cleanup):
    p = cleanup(_serve(tmp_path, workers))
    kids = _descendants(p.pid)
    assert len(kids) >= _expected(workers)
    # the jobs run (in the server's own process, or its worker child): notify every 2 s
    assert _job_ran(tmp_path / "cityloop.db", "notify")
    p.send_signal(signal.SIGTERM)
    started = time.monotonic()
    p.wait(15)
    while time.monotonic() - started < 10 and any(_alive(k) for k in kids):
        time.sleep(0.1)
    assert not [k for k in kids if _alive(k)], "orphans left behind"


def test_sigkill_of_serve_leaves_no_orphan(tmp_path, cleanup):
    p = cleanup(_serve(tmp_path, 2))
    kids = _descendants(p.pid)
    assert len(kids) >= _expected(2)
    p.kill()
    p.wait(5)
    started = time.monotonic()
    # SIGKILL runs no cleanup: each child hears of it from the kernel (SIGTERM) and stops;
    # a web worker still loading its app (25 s at a load of 20 on two cores) stops once loaded.
    while time.monotonic() - started < 60 and any(_alive(k) for k in kids):
        time.sleep(0.1)
    assert not [k for k in kids if _alive(k)], "orphans left behind"
