"""Residents follow their appeal by ticket number and phone (进度查询), in plain language,
and rate the answer without an account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name
from cityloop.domain.statuses import STATUS_LABELS, Action, OrderStatus, Role
from cityloop.services.context import CityLoop
from cityloop.services.orders import ActionInput, NotFound, perform
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow

# What the resident reads for each step of their appeal.
_PUBLIC_STEPS = {
    Action.RECEIVE: "您的诉求已受理",
    Action.SUBMIT: "正在确定承办单位",
    Action.DISPATCH: "已派发给承办单位",
    Action.ACCEPT: "承办单位已签收",
    Action.START: "承办单位正在办理",
    Action.RETURN: "承办单位申请退回，正在重新派单",
    Action.APPROVE_EXTENSION: "办理期限已延长",
    Action.REPLY: "承办单位已答复",
    Action.URGE: "已对办理情况进行督办",
    Action.RATE: "已收到您的评价",
    Action.REJECT_REPLY: "答复未通过审核，已要求重新办理",
    Action.CLOSE: "诉求已办结",
    Action.HANDLE_ON_SPOT: "网格员已现场处置并办结",
    Action.ANSWER: "已当场答复并办结",
    Action.MERGE: "与同一事件的其他诉求合并办理",
    Action.CANCEL: "诉求已撤销",
    Action.LINK: "有其他市民反映了同一问题",
    Action.SPLIT: "已按不同事项分开办理",
    Action.ESCALATE: "已按紧急情况加快处置",
    Action.HANDOFF: "已联动应急部门处置",
}


# Urgent and life-safety matters are handled now: the caller never hears a date days away.
_URGENT_STEPS = {
    OrderStatus.RECEIVED: "您反映的紧急情况已受理，值班人员正在立即处置，请保持电话畅通。",
    OrderStatus.PENDING_DISPATCH: "您反映的紧急情况已受理，值班人员正在立即处置，请保持电话畅通。",
    OrderStatus.RETURNED: "您反映的紧急情况正在立即重新安排处置，请保持电话畅通。",
}
_LIFE_SAFETY_NOTE = "如有人身危险，请立即远离危险区域，并拨打110/119/120。"


def next_step(
    status: OrderStatus,
    department: str | None,
    due: datetime | None,
    *,
    urgent: bool = False,
    life_safety: bool = False,
) -> str:
    dept = department or "承办单位"
    if urgent or life_safety:
        held = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS)
        text = _URGENT_STEPS.get(status)
        if status in held or status is OrderStatus.REOPENED:
            text = f"您反映的紧急情况已转{dept}，正在立即处置，请保持电话畅通。"
        if text is not None:
            return text + (_LIFE_SAFETY_NOTE if life_safety else "")
    when = due.strftime("%Y年%m月%d日%H:%M") if due else "规定时限"
    return {
        OrderStatus.RECEIVED: "您的诉求已受理，正在分派给承办单位。",
        OrderStatus.PENDING_DISPATCH: "您的诉求已受理，工作人员正在确定承办单位，请耐心等待。",
        OrderStatus.DISPATCHED: f"已派给{dept}，{dept}将于{when}前答复您。",
        OrderStatus.ACCEPTED: f"{dept}已签收，将于{when}前答复您。",
        OrderStatus.IN_PROGRESS: f"{dept}正在办理，将于{when}前答复您。",
        OrderStatus.REOPENED: f"已要求{dept}重新办理，将于{when}前再次答复您。",
        OrderStatus.RETURNED: "正在重新确定承办单位，请耐心等待。",
        OrderStatus.REPLIED: f"{dept}已答复，请您对办理结果进行评价（满意/基本满意/不满意）。",
        OrderStatus.CLOSED: "诉求已办结，感谢您的参与。",
        OrderStatus.MERGED: "您的诉求与同一事件的其他诉求合并办理，进展会一并告知您。",
        OrderStatus.CANCELLED: "诉求已撤销。如有疑问请拨打12345。",
    }[status]


def _find(ctx: CityLoop, ticket_no: str, phone: str) -> tuple[AppealRow, WorkOrderRow]:
    with ctx.uow() as uow:
        found = uow.session.execute(
            select(AppealRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(AppealRow.ticket_no == ticket_no.strip())
        ).first()
    # The phone must match, and a wrong phone answers like a wrong ticket: nothing leaks.
    if found is None or not phone or found[0].reporter_phone != phone.strip():
        raise NotFound(ticket_no)
    return found[0], found[1]


MINE_LIMIT = 50


def track(ctx: CityLoop, ticket_no: str, phone: str) -> dict[str, Any]:
    appeal, order = _find(ctx, ticket_no, phone)
    return _view(ctx, appeal, order, _steps(ctx, [order.id])[order.id])


def mine(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    """我的诉求: the signed-in resident's appeals (newest first, at most MINE_LIMIT)."""
    with ctx.uow() as uow:
        found = uow.session.execute(
            select(AppealRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
            .where(AppealRow.reporter_user_id == actor.user_id)
            .order_by(AppealRow.received_at.desc(), AppealRow.id.desc())
            .limit(MINE_LIMIT)
        ).all()
    steps = _steps(ctx, [o.id for _, o in found])
    return [
        {**_view(ctx, a, o, steps[o.id]), "work_order_id": o.id, "address": a.address}
        for a, o in found
    ]


def _steps(ctx: CityLoop, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    with ctx.uow() as uow:
        events = uow.session.execute(
            select(OrderEventRow)
            .where(OrderEventRow.work_order_id.in_(order_ids))
            .order_by(OrderEventRow.id)
        ).scalars()
        for e in events:
            if Action(e.action) in _PUBLIC_STEPS:
                out[e.work_order_id].append(
                    {"at": e.at, "step": _PUBLIC_STEPS[Action(e.action)], "action": e.action}
                )
    return out


def _view(
    ctx: CityLoop, appeal: AppealRow, order: WorkOrderRow, steps: list[dict[str, Any]]
) -> dict[str, Any]:
    # A merged order is followed through the order it joined.
    ref = ctx.reference.get()
    status = OrderStatus(order.status)
    dept = ref.departments.get(order.lead_department or "")
    due = ctx.local(order.due_at) if order.due_at else None
    return {
        "ticket_no": appeal.ticket_no,
        "status": status.value,
        "status_label": STATUS_LABELS[status][0],
        "content": appeal.content,
        "received_at": appeal.received_at,
        "department": dept,
        "due_at": order.due_at,
        "reply": order.reply_text or None,
        "rating": order.rating,
        "can_rate": status is OrderStatus.REPLIED,
        "next_step": next_step(
            status,
            dept,
            due,
            urgent=order.urgency == "urgent",
            life_safety=bool(order.life_safety),
        ),
        "steps": steps,
    }


def rate(ctx: CityLoop, ticket_no: str, phone: str, data: ActionInput) -> dict[str, Any]:
    appeal, order = _find(ctx, ticket_no, phone)
    resident = Actor(
        user_id=appeal.reporter_user_id,
        name=mask_name(appeal.reporter_name) or "来电人",
        role=Role.RESIDENT,
    )
    perform(ctx, order.id, Action.RATE, data, resident, authorized=True)
    return track(ctx, ticket_no, phone)
