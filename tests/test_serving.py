"""Worker processes on SO_REUSEPORT sockets (cityloop.serving): connections spread over the
workers, a taken port is a clear error, SIGTERM stops everything."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from cityloop.serving import WorkerSpec, can_share_port, serve_workers

pytestmark = pytest.mark.skipif(not can_share_port(), reason="needs SO_REUSEPORT (Linux, BSD)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_over_new_connection(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        return int(conn.getresponse().read())
    finally:
        conn.close()


def _supervisor(port: int) -> subprocess.Popen[bytes]:
    code = (
        "from cityloop.serving import WorkerSpec, serve_workers; "
        f"raise SystemExit(serve_workers(WorkerSpec('tests.pid_app:make_app', '127.0.0.1', "
        f"{port}, {{'log_level': 'warning'}}), 3, quick_exit_seconds=1))"
    )
    return subprocess.Popen([sys.executable, "-c", code])


def _answering_pids(port: int, want: int, exclude: frozenset[int] = frozenset()) -> set[int]:
    """Pids seen over new connections until `want` distinct ones (not in `exclude`) answered."""
    pids: set[int] = set()
    deadline = time.monotonic() + 60
    while len(pids - exclude) < want and time.monotonic() < deadline:
        try:
            pids.add(_pid_over_new_connection(port))
        except OSError:
            time.sleep(0.2)  # workers still starting
    return pids


def test_connections_spread_over_workers_which_are_restarted_and_stopped() -> None:
    port = _free_port()
    supervisor = _supervisor(port)
    try:
        # The kernel hashes each new connection to one of the three sockets, so all three
        # workers answer within a few connections.
        pids = _answering_pids(port, 3)
        assert len(pids) == 3 and supervisor.pid not in pids
        time.sleep(1.5)  # past the start-up window: a death now is a crash, not a failed start
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        after = _answering_pids(port, 1, exclude=frozenset(pids))
        assert after - pids, "a new worker took the dead one's place"
        assert victim not in after
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(60) == 0
    for pid in pids | after:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_port_taken_by_another_program_is_refused_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            serve_workers(WorkerSpec("tests.pid_app:make_app", "127.0.0.1", port, {}), 2)
