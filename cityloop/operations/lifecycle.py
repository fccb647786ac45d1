"""Child processes of `serve`/`demo` (the sensing consumer, a jobs worker) that never outlive
their parent.

Two holes closed: uvicorn, after a graceful stop on SIGTERM, raises the signal again with
the default handler, which killed the parent before its `finally` could stop the children
(the orphaned consumer); and a parent killed with SIGKILL runs no code at all. So SIGTERM
becomes SystemExit in the parent (its cleanup runs), and on Linux each child asks the
kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cityloop.settings import Settings

log = logging.getLogger("cityloop.serving")

PR_SET_PDEATHSIG = 1
STOP_SECONDS = 8.0  # children get this long after SIGTERM, then SIGKILL: all gone in < 10 s


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux; elsewhere nothing). Called in
    a child: between fork and exec for commands, first thing in a spawned worker."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before the request: nobody will signal
            os.kill(os.getpid(), signal.SIGTERM)


class Children:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        p = subprocess.Popen(argv, preexec_fn=die_with_parent, env=env)  # noqa: PLW1509
        log.info("started %s (pid %s)", name, p.pid)
        self.procs.append((name, p))

    def terminate(self) -> None:
        """Ask every child to stop (SIGTERM) without waiting."""
        for _name, p in self.procs:
            if p.poll() is None:
                p.terminate()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        self.terminate()
        deadline = time.monotonic() + timeout
        for name, p in self.procs:
            try:
                p.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %s) did not stop in %.0f s; killed", name, p.pid, timeout)
                p.kill()
                p.wait(5)
        self.procs.clear()


def python_command(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def exit_on_sigterm() -> None:
    """SIGTERM → SystemExit in this process, so `finally` blocks (stopping children) run even
    when uvicorn re-raises the signal after its own graceful stop."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def prepare_metrics_dir(settings: Settings) -> None:
    """Several API processes: prometheus_client's multiprocess mode, files under data_dir,
    emptied at start (the counters of a previous run are not this run's)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = Path(settings.ensure_data_dir()) / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path.resolve())
