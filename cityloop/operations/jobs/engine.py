"""The job engine: procrastinate.

On PostgreSQL the queue is procrastinate's tables (migration o0001): any number of
`cityloop worker` processes on any number of machines share it. Each periodic run is
deferred once per period however many workers try (a unique (task, period) row in
procrastinate_periodic_defers), each job is fetched by one worker (FOR UPDATE SKIP LOCKED),
and a failed job is retried with exponential backoff. On SQLite (the single-machine default)
the same tasks run on procrastinate's in-memory connector inside the one process that runs
jobs: periodic runs resume at the next period after a restart, pending retries do not."""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from sqlalchemy import update
from sqlalchemy.engine import make_url

from cityloop.operations.jobs.catalogue import DEFAULT_JOBS, JobSpec, jobs
from cityloop.operations.store import JobRunRow
from cityloop.services.context import CityLoop

log = logging.getLogger("cityloop.jobs")

QUEUE = "cityloop"
# 30 s + 4^attempt s: 34 s, 46 s, 1.6 min, 4.8 min, 17 min …
RETRY_WAIT, RETRY_EXP = 30, 4


def uses_postgres(ctx: CityLoop) -> bool:
    return ctx.engine.dialect.name == "postgresql"


def conninfo(ctx: CityLoop) -> str:
    url = make_url(ctx.settings.sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _record_start(ctx: CityLoop, spec: JobSpec, period: str, attempt: int, worker: str) -> int:
    with ctx.uow() as uow:
        row = JobRunRow(
            job=spec.name,
            period=period,
            attempt=attempt,
            status="running",
            started_at=ctx.clock.now(),
            result={},
            error="",
            worker=worker,
        )
        uow.session.add(row)
        uow.commit()
        return int(row.id)


def _record_end(
    ctx: CityLoop, run_id: int, status: str, result: dict[str, Any], error: str = ""
) -> None:
    with ctx.uow() as uow:
        uow.session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id)
            .values(status=status, finished_at=ctx.clock.now(), result=result, error=error[:300])
        )
        uow.commit()


def run_job(ctx: CityLoop, spec: JobSpec, period: str, attempt: int = 1) -> dict[str, Any]:
    """Run one job body and record it; re-raises a failure (the engine retries it)."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    run_id = _record_start(ctx, spec, period, attempt, worker)
    started = time.monotonic()
    try:
        result = spec.run(ctx)
    except Exception as exc:
        # The run's record keeps the kind and message for admins; the log keeps the trace.
        _record_end(ctx, run_id, "failed", {}, f"{type(exc).__name__}: {exc}")
        log.error(
            "job %s (%s, attempt %s) failed:\n%s",
            spec.name,
            period,
            attempt,
            traceback.format_exc(),
        )
        if attempt >= spec.max_attempts:
            _tell_admins(ctx, spec, period, exc)
        raise
    result = {**(result or {}), "seconds": round(time.monotonic() - started, 3)}
    _record_end(ctx, run_id, "succeeded", result)
    return result


def _tell_admins(ctx: CityLoop, spec: JobSpec, period: str, exc: Exception) -> None:
    from cityloop.domain.statuses import Role
    from cityloop.operations.notify.service import emit
    from cityloop.operations.notify.templates import Event, Notice

    try:
        emit(
            ctx,
            [
                Notice(
                    event=Event.JOB_FAILED,
                    key=f"job:{spec.name}:{period}",
                    title=spec.title,
                    note=type(exc).__name__,
                    to_roles=(Role.ADMIN.value,),
                )
            ],
        )
    except Exception:  # telling admins must not hide the job's own failure
        log.exception("could not tell admins that %s failed", spec.name)


def period_of(timestamp: int | None) -> str:
    if timestamp is None:
        return "manual:" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_app(ctx: CityLoop, specs: tuple[JobSpec, ...] = DEFAULT_JOBS) -> procrastinate.App:
    connector: Any = (
        procrastinate.PsycopgConnector(conninfo=conninfo(ctx))
        if uses_postgres(ctx)
        else InMemoryConnector()
    )
    app = procrastinate.App(connector=connector)
    for spec in jobs(ctx.settings, specs):
        _register(app, ctx, spec)
    return app


def _register(app: procrastinate.App, ctx: CityLoop, spec: JobSpec) -> None:
    def body(context: procrastinate.JobContext, timestamp: int | None = None) -> dict[str, Any]:
        attempt = (context.job.attempts or 0) + 1
        return run_job(ctx, spec, period_of(timestamp), attempt)

    body.__name__ = spec.name.replace("-", "_")
    task = app.task(
        name=spec.name,
        queue=QUEUE,
        pass_context=True,
        # procrastinate counts retries after the first run; 0 would mean "retry forever".
        retry=procrastinate.RetryStrategy(
            max_attempts=spec.max_attempts - 1, wait=RETRY_WAIT, exponential_wait=RETRY_EXP
        )
        if spec.max_attempts > 1
        else False,
    )(body)
    if spec.cron:
        app.periodic(cron=spec.cron, periodic_id=spec.name)(task)


async def run_worker(
    app: procrastinate.App, ctx: CityLoop, wait: bool = True, install_signal_handlers: bool = True
) -> None:
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE],
            name=f"cityloop-{socket.gethostname()}-{os.getpid()}",
            concurrency=max(ctx.settings.jobs_concurrency, 1),
            wait=wait,
            delete_jobs="successful",  # run history is in job_runs; failures stay to be seen
            shutdown_graceful_timeout=6.0,  # serve/demo stop within 10 s
            install_signal_handlers=install_signal_handlers,
        )


async def defer(app: procrastinate.App, name: str) -> int:
    async with app.open_async():
        return int(await app.tasks[name].defer_async())
