"""Learning from the city's own history: labelled examples from closed orders (including every
dispatcher correction) and the auto-dispatch figures the KPIs report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select

from cityloop.services.context import CityLoop
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow


def training_examples(ctx: CityLoop, level: int = 3) -> tuple[list[str], list[str]]:
    """(texts, labels) from closed orders: the category an order was closed under is the one a
    department accepted, after any dispatcher correction (纠错) — the label to learn."""
    ref = ctx.reference.get()
    texts: list[str] = []
    labels: list[str] = []
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(AppealRow.title, AppealRow.content, WorkOrderRow.category_code)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(WorkOrderRow.status == "closed", WorkOrderRow.category_code.is_not(None))
        ).all()
    for title, content, code in rows:
        path = ref.category_paths.get(code or "")
        if not path:
            continue
        texts.append(f"{title}。{content}" if title else content)
        labels.append("/".join(path.split("/")[:level]))
    return texts, labels


def corrections(ctx: CityLoop) -> int:
    """How many dispatcher category corrections history holds."""
    with ctx.uow() as uow:
        return int(
            uow.session.execute(
                select(func.count()).where(
                    OrderEventRow.action == "dispatch",
                    OrderEventRow.data["category_to"].as_string().is_not(None),
                )
            ).scalar_one()
        )


def auto_dispatch_stats(ctx: CityLoop, since: datetime, until: datetime) -> dict[str, Any]:
    """Share of appeals the model routed without a human, and how many of those were right:
    right = never returned by the department and never re-categorised by a dispatcher."""
    window = and_(AppealRow.received_at >= since, AppealRow.received_at <= until)
    returned = exists().where(
        OrderEventRow.work_order_id == AppealRow.work_order_id, OrderEventRow.action == "return"
    )
    with ctx.uow() as uow:
        total = uow.session.execute(select(func.count()).where(window)).scalar_one()
        auto = uow.session.execute(
            select(func.count()).where(window, AppealRow.category_source == "model")
        ).scalar_one()
        wrong = uow.session.execute(
            select(func.count())
            .select_from(AppealRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(
                window,
                AppealRow.category_source == "model",
                (WorkOrderRow.category_code != AppealRow.category_code) | returned,
            )
        ).scalar_one()
    return {
        "appeals": total,
        "auto_dispatched": auto,
        "auto_dispatch_rate": round(auto / total, 4) if total else None,
        "auto_dispatch_accuracy": round((auto - wrong) / auto, 4) if auto else None,
        "formula": "rate = model-routed / all appeals; accuracy = 1 − (returned or "
        "re-categorised) / model-routed",
    }
