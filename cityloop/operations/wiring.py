"""What the operations package adds to the API application: request metrics, and the jobs
running inside the API process when serve/demo run a single process (the embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from cityloop.operations import metrics
from cityloop.services.context import CityLoop

log = logging.getLogger("cityloop.jobs")

# Set by `serve`/`demo` for the one process that should run the jobs in its event loop.
IN_PROCESS_ENV = "CITYLOOP_JOBS_IN_PROCESS"


class RequestMetrics:
    """Pure ASGI middleware: latency per route template (not per URL: ids would make a new
    series per order) and status class."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            if path != "/api/v1/events/stream":  # a stream's "latency" is its lifetime
                metrics.REQUEST_SECONDS.labels(
                    scope.get("method", ""), path, f"{status[0] // 100}xx"
                ).observe(time.perf_counter() - started)
            if status[0] >= 500:
                metrics.UNEXPECTED_ERRORS.inc()


def install(app: FastAPI, ctx: CityLoop) -> None:
    app.add_middleware(RequestMetrics)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            task = _start_jobs(ctx) if os.environ.get(IN_PROCESS_ENV) == "1" else None
            try:
                yield state
            finally:
                if task is not None:
                    task.cancel()  # procrastinate finishes or aborts running jobs on cancel
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await asyncio.wait_for(task, 9.0)

    app.router.lifespan_context = lifespan


def _start_jobs(ctx: CityLoop) -> asyncio.Task[None]:
    from cityloop.operations.jobs.engine import make_app, run_worker

    log.info("jobs run inside the API process (embedded)")
    return asyncio.ensure_future(run_worker(make_app(ctx), ctx, install_signal_handlers=False))
