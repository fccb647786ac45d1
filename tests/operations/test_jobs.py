"""Jobs on procrastinate: recorded runs, one run per period, retries with backoff, and (on
PostgreSQL) two worker processes that share the schedule without running a period twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from cityloop.operations.jobs.catalogue import JobSpec, jobs
from cityloop.operations.jobs.engine import make_app, run_job, run_worker
from cityloop.operations.jobs.status import job_status
from cityloop.operations.store import JobRunRow


def _runs(ctx, job):
    with ctx.uow() as uow:
        return list(
            uow.session.scalars(
                select(JobRunRow).where(JobRunRow.job == job).order_by(JobRunRow.id)
            )
        )


def _ok(ctx):
    return {"done": 1}


def _boom(ctx):
    raise RuntimeError("gateway down")


def test_a_run_is_recorded_with_its_result_or_error(ctx):
    run_job(ctx, JobSpec("probe", "探针", "", _ok), "p1")
    with pytest.raises(RuntimeError):
        run_job(ctx, JobSpec("boom", "失败", "", _boom), "p1", attempt=2)
    [ok] = _runs(ctx, "probe")
    assert ok.status == "succeeded" and ok.result["done"] == 1 and ok.finished_at is not None
    [bad] = _runs(ctx, "boom")
    assert bad.status == "failed" and bad.attempt == 2 and bad.error == "RuntimeError: gateway down"


def test_jobs_list_shows_schedule_last_run_and_next_run(ctx, client, users):
    ctx.settings.jobs_schedule = {"kpi-rollup": "*/5 * * * *", "retention": "off"}
    try:
        run_job(ctx, next(s for s in jobs(ctx.settings) if s.name == "community-sweep"), "p")
        rows = {r["name"]: r for r in job_status(ctx)}
        assert rows["kpi-rollup"]["schedule"] == "*/5 * * * *"
        assert (
            rows["retention"]["schedule"] == "on request" and rows["retention"]["next_run"] is None
        )
        sweep = rows["community-sweep"]
        assert sweep["last_run"]["status"] == "succeeded"
        assert set(sweep["last_run"]["result"]) >= {"disputes_escalated", "reporters_told"}
        assert sweep["next_run"] is not None
        r = client.get("/api/v1/jobs", headers=users.headers("admin"))
        assert r.status_code == 200 and {j["name"] for j in r.json()["jobs"]} >= {
            "notify",
            "deadlines",
        }
        assert client.get("/api/v1/jobs", headers=users.headers("leader")).status_code == 403
    finally:
        ctx.settings.jobs_schedule = {}


def test_the_worker_runs_each_period_once(ctx):
    specs = (JobSpec("probe", "探针", "* * * * * *", _ok),)  # every second
    app = make_app(ctx, specs)

    async def run_for(seconds: float) -> None:
        task = asyncio.ensure_future(run_worker(app, ctx, install_signal_handlers=False))
        await asyncio.sleep(seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run_for(3.6))
    runs = _runs(ctx, "probe")
    periods = Counter(r.period for r in runs)
    assert len(periods) >= 2 and set(periods.values()) == {1}
    assert all(r.status == "succeeded" for r in runs)


def test_a_failed_job_is_retried_with_backoff(ctx):
    app = make_app(ctx, (JobSpec("boom", "失败", "", _boom, max_attempts=3),))

    async def once() -> None:
        async with app.open_async():
            await app.tasks["boom"].defer_async(timestamp=1_790_000_000)
        await run_worker(app, ctx, wait=False, install_signal_handlers=False)

    started = time.time()
    asyncio.run(once())
    [run] = _runs(ctx, "boom")
    assert run.status == "failed" and run.attempt == 1
    jobs_left = asyncio.run(_todo(app))
    [(status, attempts, scheduled_at)] = jobs_left
    assert status == "todo" and attempts == 1
    # 30 s + 4^1 s after the failure, not at once
    assert scheduled_at.timestamp() - started >= 30


async def _todo(app):
    async with app.open_async():
        rows = await app.job_manager.list_jobs_async(task="boom")
        return [(j.status, j.attempts, j.scheduled_at) for j in rows]


@pytest.mark.skipif(
    not os.environ.get("CITYLOOP_TEST_DATABASE_URL"), reason="several workers need PostgreSQL"
)
def test_two_worker_processes_run_each_period_exactly_once(ctx, tmp_path):
    env = {
        **os.environ,
        "CITYLOOP_DATABASE_URL": ctx.settings.sqlalchemy_url,
        "CITYLOOP_DATA_DIR": str(tmp_path),
        "CITYLOOP_JOBS_SCHEDULE": json.dumps(
            {**{s.name: "off" for s in jobs(ctx.settings)}, "community-sweep": "* * * * * */2"}
        ),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cityloop.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        # Both workers schedule every 2 s; wait (start-up is slow on a busy machine) until
        # runs of at least four periods are recorded.
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline
            and len({r.period for r in _runs(ctx, "community-sweep")}) < 4
        ):
            time.sleep(1)
        time.sleep(3)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
    runs = _runs(ctx, "community-sweep")
    periods = Counter(r.period for r in runs)
    assert len(periods) >= 3, [p.stderr.read()[-2000:] for p in procs]
    assert set(periods.values()) == {1}  # each period once, though both workers schedule it
    assert all(r.status == "succeeded" for r in runs)
