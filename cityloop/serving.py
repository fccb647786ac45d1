"""Run the API in several worker processes, each listening on its own SO_REUSEPORT socket.

With one shared listening socket (uvicorn's --workers), whichever worker wakes first accepts a
whole burst of new connections: 16 keep-alive clients connecting together were seen landing all
on one worker, which then served them on one core at two thirds of the throughput and with
double the latency. With a socket per worker in one SO_REUSEPORT group the kernel spreads new
connections across the workers. The supervisor restarts a worker that dies, and stops them all
on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("cityloop.serving")

QUICK_EXIT_SECONDS = 10.0  # a worker that dies sooner after starting could not start at all


def can_share_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build its server (picklable: workers are spawned)."""

    app: str  # "module:factory"
    host: str
    port: int
    uvicorn_options: dict[str, Any]


def _worker(spec: WorkerSpec) -> None:
    import uvicorn

    from cityloop.operations.lifecycle import die_with_parent

    die_with_parent()  # a supervisor killed with SIGKILL leaves no worker behind

    sock = reuseport_socket(spec.host, spec.port)
    sock.listen(2048)
    config = uvicorn.Config(spec.app, factory=True, **spec.uvicorn_options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(
    spec: WorkerSpec,
    workers: int,
    target: Callable[[WorkerSpec], None] = _worker,
    quick_exit_seconds: float = QUICK_EXIT_SECONDS,
    on_stop: Callable[[], None] | None = None,
) -> int:
    """Run `workers` processes until SIGINT/SIGTERM; the exit status for the command."""
    # Bind (without listening) first: a port taken by another program fails here, once, with
    # a clear error, instead of in every worker; a socket that does not listen gets no
    # connections from the group.
    probe = reuseport_socket(spec.host, spec.port)
    mp = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def start() -> tuple[BaseProcess, float]:
        p = mp.Process(target=target, args=(spec,), name="cityloop-worker", daemon=False)
        p.start()
        return p, time.monotonic()

    procs = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (p, started) in enumerate(procs):
                if p.is_alive() or stopping:
                    continue
                if time.monotonic() - started < quick_exit_seconds:
                    log.error("worker %s exited with %s at start; stopping", p.pid, p.exitcode)
                    stopping, status = True, 1
                    break
                log.warning("worker %s exited with %s; starting another", p.pid, p.exitcode)
                procs[i] = start()
    finally:
        if on_stop is not None:
            on_stop()  # the caller's own children stop alongside the workers, not after
        for p, _ in procs:
            if p.is_alive():
                p.terminate()  # uvicorn finishes the requests in flight on SIGTERM
        for p, _ in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
        probe.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return status
