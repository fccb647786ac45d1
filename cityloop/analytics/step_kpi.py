"""Step timeliness (环节及时率): 派单及时率, 签收及时率, 按时办结率 and 协办反馈及时率 from the step
timers (`order_step_deadlines`), per department, within the caller's jurisdiction.

A step counts once its outcome is known: it finished (on time, late, or — for a co-handler —
missed, when the lead replied without its feedback), or it is still open past its due time
(late). Open steps not yet due are not judged yet; cancelled steps (a return, a merge) never
are. Steps are anchored on their due time, as 按时办结率 is in `kpi.py`: the steps falling due in
the period. Each rate is on-time over judged, traceable to the step rows behind it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from cityloop.analytics.kpi import parse_period
from cityloop.domain.orders import Actor
from cityloop.domain.steps import STEP_LABELS, Step, StepState
from cityloop.services.context import CityLoop
from cityloop.services.order_scope import visibility_clause
from cityloop.store.models import WorkOrderRow
from cityloop.store.steps import STEPS

# kpi name → step; the names the console and docs/EVALUATION.md use.
STEP_KPIS: dict[str, Step] = {
    "dispatch_on_time_rate": Step.DISPATCH,  # 派单及时率
    "respond_on_time_rate": Step.RESPOND,  # 签收及时率
    "complete_on_time_rate": Step.COMPLETE,  # 按时办结率 (by step timers)
    "co_feedback_on_time_rate": Step.CO_FEEDBACK,  # 协办反馈及时率
}
KPI_LABELS: dict[str, str] = {
    "dispatch_on_time_rate": "派单及时率",
    "respond_on_time_rate": "签收及时率",
    "complete_on_time_rate": "按时办结率",
    "co_feedback_on_time_rate": "协办反馈及时率",
}


def timeliness(on_time: int, judged: int) -> float | None:
    """On-time share of the judged steps; None when none was judged (not 0 %, not 100 %)."""
    if judged < 0 or not 0 <= on_time <= judged:
        raise ValueError(f"on-time {on_time} of {judged} judged steps is not a count")
    return round(on_time / judged, 4) if judged else None


def step_kpis(ctx: CityLoop, actor: Actor, period: str) -> dict[str, Any]:
    """The four rates per department (dispatch steps belong to the dispatch centre, shown as
    department None) and for the whole scope, for steps falling due in `period`."""
    p = parse_period(period)
    tz = ctx.settings.tz
    start = datetime.combine(p.start, time(), tzinfo=tz)
    end = datetime.combine(p.end, time(), tzinfo=tz)
    now = ctx.clock.now()
    s = STEPS.c
    finished = s.finished_at.is_not(None)
    judged = or_(finished, s.due_at < now)
    on_time = and_(finished, s.finished_at <= s.due_at, s.state != StepState.MISSED.value)
    missed = s.state == StepState.MISSED.value

    def total(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = (
        select(
            s.step,
            s.department_code,
            total(judged).label("judged"),
            total(and_(judged, on_time)).label("on_time"),
            total(missed).label("missed"),
        )
        .join(WorkOrderRow, WorkOrderRow.id == s.work_order_id)
        .where(s.due_at >= start, s.due_at < end, s.state != StepState.CANCELLED.value)
        .group_by(s.step, s.department_code)
    )
    visible = visibility_clause(actor)
    if visible is not None:
        stmt = stmt.where(visible)
    cells: dict[str | None, dict[str, dict[str, int]]] = defaultdict(dict)
    whole: dict[str, dict[str, int]] = {}
    with ctx.uow() as uow:
        for step, dept, n_judged, n_on_time, n_missed in uow.session.execute(stmt):
            counts = {"judged": int(n_judged), "on_time": int(n_on_time), "missed": int(n_missed)}
            cells[dept][step] = counts
            acc = whole.setdefault(step, {"judged": 0, "on_time": 0, "missed": 0})
            for k, v in counts.items():
                acc[k] += v
    names = ctx.reference.get().departments

    def figures(by_step: dict[str, dict[str, int]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kpi, step in STEP_KPIS.items():
            c = by_step.get(step.value, {"judged": 0, "on_time": 0, "missed": 0})
            out[kpi] = {**c, "rate": timeliness(c["on_time"], c["judged"])}
        return out

    rows = [
        {
            "department": dept,
            "department_name": names.get(dept or "", "派单中心" if dept is None else dept),
            **figures(by_step),
        }
        for dept, by_step in sorted(cells.items(), key=lambda kv: (kv[0] is not None, kv[0]))
    ]
    return {
        "period": p.label,
        "kpis": {
            k: {"label": KPI_LABELS[k], "step": STEP_LABELS[v][0]} for k, v in STEP_KPIS.items()
        },
        "rows": rows,
        "total": figures(whole),
    }
