"""The jobs a city runs, with their default schedules (CITYLOOP_JOBS_SCHEDULE overrides one:
{"kpi-rollup": "*/5 * * * *"} or "off"). Cron has five fields, or six with seconds last, and
is read in UTC (the job engine's clock): 07:30 in Beijing (UTC+8) is "30 23 * * *"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from cityloop.operations.jobs import work
from cityloop.services.context import CityLoop
from cityloop.settings import Settings


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str  # for the admin page and `jobs list`
    cron: str  # "" = only when asked
    run: Callable[[CityLoop], dict[str, Any]]
    max_attempts: int = 5


DEFAULT_JOBS: tuple[JobSpec, ...] = (
    # Every 2 s: the tails publish the live events the screens show (an alarm within ~2 s).
    JobSpec("notify", "通知：读取新事件并投递消息", "* * * * * */2", work.notify),
    JobSpec("deadlines", "时限监控：签收超时、预警、超期", "* * * * *", work.deadlines),
    JobSpec("kpi-rollup", "考核指标汇总刷新", "*/10 * * * *", work.kpi_rollup),
    JobSpec(
        "community-sweep", "社区：纠纷超期升级、随手拍结果告知", "*/15 * * * *", work.community
    ),
    JobSpec(
        "flash-reports", "突发事件快报：首报、续报、终报", "* * * * * */20", work.flash_reports
    ),
    JobSpec("sensing-check", "感知设备离线与无数据检查", "*/5 * * * *", work.sensing),
    JobSpec("briefing-daily", "日报生成与推送", "30 23 * * *", partial(work.briefing, kind="day")),
    JobSpec("briefing-weekly", "周报生成与推送", "0 0 * * 1", partial(work.briefing, kind="week")),
    JobSpec("retention", "数据保留：清理过期任务记录与消息", "15 19 * * *", work.retention),
    JobSpec("model-retrain", "按历史工单重新训练分类模型（按需）", "", work.retrain, 1),
)


def jobs(settings: Settings, specs: tuple[JobSpec, ...] = DEFAULT_JOBS) -> list[JobSpec]:
    """The catalogue with this deployment's schedule overrides; "off" leaves a job runnable
    on request only."""
    out: list[JobSpec] = []
    for spec in specs:
        cron = settings.jobs_schedule.get(spec.name, spec.cron)
        out.append(
            JobSpec(
                spec.name, spec.title, "" if cron == "off" else cron, spec.run, spec.max_attempts
            )
        )
    return out


def unknown_overrides(settings: Settings) -> list[str]:
    names = {s.name for s in DEFAULT_JOBS}
    return sorted(k for k in settings.jobs_schedule if k not in names)
