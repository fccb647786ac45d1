"""What each job did and will do: schedule, last run, result, next run, pending retry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from sqlalchemy import func, select, text

from cityloop.operations.jobs.catalogue import jobs
from cityloop.operations.store import JobRunRow
from cityloop.services.context import CityLoop


def next_run(cron: str, after: datetime) -> datetime | None:
    """The next tick, read in UTC as the job engine reads it."""
    if not cron:
        return None
    return datetime.fromtimestamp(croniter(cron, after.timestamp()).get_next(float), UTC)


def _pending_retries(ctx: CityLoop) -> dict[str, dict[str, Any]]:
    if ctx.engine.dialect.name != "postgresql":
        return {}
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT task_name, min(scheduled_at), max(attempts) FROM procrastinate_jobs "
                "WHERE status = 'todo' AND attempts > 0 GROUP BY task_name"
            )
        ).all()
    return {
        name: {"retry_at": at.astimezone(UTC).isoformat() if at else None, "attempts": n}
        for name, at, n in rows
    }


def job_status(ctx: CityLoop) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    specs = jobs(ctx.settings)
    retries = _pending_retries(ctx)
    with ctx.uow() as uow:
        s = uow.session
        latest = (
            select(JobRunRow.job, func.max(JobRunRow.id).label("id"))
            .group_by(JobRunRow.job)
            .subquery()
        )
        last = {
            r.job: r for r in s.scalars(select(JobRunRow).join(latest, JobRunRow.id == latest.c.id))
        }
        failures = dict(
            s.execute(
                select(JobRunRow.job, func.count())
                .where(JobRunRow.status == "failed")
                .group_by(JobRunRow.job)
            ).all()
        )
    out = []
    for spec in specs:
        r = last.get(spec.name)
        nxt = next_run(spec.cron, now)
        out.append(
            {
                "name": spec.name,
                "title": spec.title,
                "schedule": spec.cron or "on request",
                "last_run": None
                if r is None
                else {
                    "period": r.period,
                    "status": r.status,
                    "attempt": r.attempt,
                    "started_at": r.started_at.isoformat(),
                    "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                    "result": r.result,
                    "error": r.error,
                    "worker": r.worker,
                },
                "failures": int(failures.get(spec.name, 0)),
                "next_run": nxt.isoformat() if nxt else None,
                "retry": retries.get(spec.name),
            }
        )
    return out


def recent_runs(ctx: CityLoop, job: str | None, limit: int = 50) -> list[dict[str, Any]]:
    stmt = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRunRow.job == job)
    with ctx.uow() as uow:
        return [
            {
                "id": r.id,
                "job": r.job,
                "period": r.period,
                "attempt": r.attempt,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "result": r.result,
                "error": r.error,
                "worker": r.worker,
            }
            for r in uow.session.scalars(stmt)
        ]
