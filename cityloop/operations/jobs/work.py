"""The bodies of the jobs: each calls the service that does the work and returns a small
summary (kept as the run's result)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from cityloop.services.context import CityLoop


def _system_actor() -> Any:
    from cityloop.domain.orders import Actor
    from cityloop.domain.statuses import Role

    return Actor(None, "cityloop worker", Role.ADMIN)


def deadlines(ctx: CityLoop) -> dict[str, Any]:
    """签收超时, 预警, 超期: the per-step timers swept (services/step_sweeper.py) and each
    step that entered warning or overdue in this sweep told once (operations/step_notices)."""
    from cityloop.operations.notify.service import emit
    from cityloop.operations.step_notices import publish_overdue, step_notices
    from cityloop.services.step_sweeper import sweep_steps

    swept = sweep_steps(ctx)
    notices, live = step_notices(ctx, swept.warned, swept.overdue)
    told = emit(ctx, notices)
    publish_overdue(ctx, live)
    return {**swept.as_dict(), "messages": told}


def notify(ctx: CityLoop) -> dict[str, Any]:
    """Read what happened since the last run, make the messages, deliver what is due."""
    from cityloop.operations.notify.channels import configured_channels
    from cityloop.operations.notify.delivery import deliver_due
    from cityloop.operations.tails import tail_incidents, tail_order_events, tail_residents

    out: dict[str, Any] = {
        "orders": tail_order_events(ctx).as_dict(),
        "alarms": tail_incidents(ctx).as_dict(),
        "residents": tail_residents(ctx).as_dict(),
    }
    out["delivery"] = deliver_due(ctx, configured_channels(ctx.settings)).as_dict()
    return out


def kpi_rollup(ctx: CityLoop) -> dict[str, Any]:
    from cityloop.analytics.kpi_rollup import refresh_rollup

    return dict(refresh_rollup(ctx))


def community(ctx: CityLoop) -> dict[str, Any]:
    """Disputes past their step's deadline escalate; snap reporters hear the outcome."""
    from cityloop.community.mediation.service import sweep as escalate
    from cityloop.community.snaps.service import sync_outcomes

    return {"disputes_escalated": escalate(ctx), "reporters_told": sync_outcomes(ctx)}


def flash_reports(ctx: CityLoop) -> dict[str, Any]:
    """Flash reports (突发事件快报) urgent orders are due, told to the leaders at once."""
    from cityloop.analytics.flash.service import job

    return job(ctx)


def sensing(ctx: CityLoop) -> dict[str, Any]:
    """Offline and absence checks when no consumer runs them (it ticks every few seconds
    itself; a second ticker would judge the same windows twice)."""
    from cityloop.sensing.config import sensing_config

    cfg = sensing_config(ctx.settings)
    if cfg.sensing_enabled:
        return {"skipped": "the sensing consumer runs these checks"}
    from cityloop.operations.events import ScreenAlarms
    from cityloop.sensing.pipeline import Pipeline
    from cityloop.sensing.ports import LoggingNotifier
    from cityloop.sensing.service import ruleset

    pipeline = Pipeline(ctx, cfg, ruleset(cfg), LoggingNotifier(), live=ScreenAlarms(ctx.settings))
    pipeline.start()
    outcome = pipeline.tick()
    return {"orders_opened": len(outcome.orders), "recovered": len(outcome.recovered)}


def briefing(ctx: CityLoop, kind: str) -> dict[str, Any]:
    """Write the daily (weekly) briefing for yesterday (last week) and tell the leaders."""
    from cityloop.analytics.briefing import write_briefing
    from cityloop.domain.statuses import Role
    from cityloop.operations.notify.service import emit
    from cityloop.operations.notify.templates import Event, Notice

    day = ctx.now_local().date() - timedelta(days=1)
    out = ctx.settings.data_dir / "briefings"
    paths = write_briefing(ctx, _system_actor(), kind, day, out)
    label = "日报" if kind == "day" else "周报"
    notice = Notice(
        event=Event.BRIEFING,
        key=f"briefing:{kind}:{day.isoformat()}",
        title=f"{day.isoformat()} {label}",
        note=f"{day.isoformat()} {label}已生成：{', '.join(Path(p).name for p in paths)}。"
        "请在 分析 → 简报 查看。",
        to_roles=(Role.LEADER.value, Role.SUPERVISOR.value),
        region_code=None,
    )
    return {"files": [str(p) for p in paths], "messages": emit(ctx, [notice])}


def retention(ctx: CityLoop) -> dict[str, Any]:
    """The audit trail's records past their retention archived (signed files) then purged,
    where the audit package is installed; job runs after 90 days and delivered messages after
    180 days deleted."""
    from cityloop.operations.store import JobRunRow, MessageRow

    out: dict[str, Any] = {}
    try:
        from cityloop.audit.archive import archive_and_purge
    except ImportError:  # a build without the audit package
        archive_and_purge = None  # type: ignore[assignment]
    if archive_and_purge is not None:
        archived = archive_and_purge(ctx)
        out["audit_archived"] = archived.records
        out["audit_file"] = str(archived.file) if archived.file else None

    now = ctx.clock.now()
    with ctx.uow() as uow:
        runs = uow.session.execute(
            delete(JobRunRow).where(JobRunRow.started_at < now - timedelta(days=90))
        ).rowcount  # type: ignore[attr-defined]
        msgs = uow.session.execute(
            delete(MessageRow).where(
                MessageRow.created_at < now - timedelta(days=180),
                MessageRow.status.in_(("sent", "given_up")),
            )
        ).rowcount  # type: ignore[attr-defined]
        uow.commit()
    from cityloop.community.groups.chats import purge as purge_group_messages

    out["group_messages_deleted"] = purge_group_messages(
        ctx, ctx.settings.community_groups_retention_days
    )
    return {**out, "job_runs_deleted": int(runs or 0), "messages_deleted": int(msgs or 0)}


def retrain(ctx: CityLoop) -> dict[str, Any]:
    """Retrain the classifier on the city's closed orders (with dispatchers' corrections);
    run when asked (`cityloop jobs run model-retrain`), never on a schedule."""
    from cityloop.nlp.training import train_and_register
    from cityloop.services.learning import corrections, training_examples

    texts, labels = training_examples(ctx, level=3)
    if len(set(labels)) < 2:
        raise RuntimeError("need closed orders in at least two categories")
    version, report, _legend = train_and_register(texts, labels, ctx.settings.models_dir)
    # Every worker picks the new active version up within its model cache's TTL (30 s).
    return {
        "version": version,
        "examples": len(texts),
        "corrections": corrections(ctx),
        "metrics": {k: v for k, v in report.metrics().items() if isinstance(v, int | float)},
    }
