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

# What the resident reads for each step of their appeal, in Chinese and in English (the portal
# and the answers carry both: the resident's words are the server's, in either language).
_PUBLIC_STEPS: dict[Action, tuple[str, str]] = {
    Action.RECEIVE: ("您的诉求已受理", "Your appeal was received"),
    Action.SUBMIT: ("正在确定承办单位", "Finding the department to handle it"),
    Action.DISPATCH: ("已派发给承办单位", "Sent to the department that handles it"),
    Action.ACCEPT: ("承办单位已签收", "The department accepted it"),
    Action.START: ("承办单位正在办理", "The department is working on it"),
    Action.RETURN: (
        "承办单位申请退回，正在重新派单",
        "Sent back by a department; being reassigned",
    ),
    Action.APPROVE_EXTENSION: ("办理期限已延长", "The time limit was extended"),
    Action.REPLY: ("承办单位已答复", "The department replied"),
    Action.URGE: ("已对办理情况进行督办", "A supervisor urged the department on"),
    Action.RATE: ("已收到您的评价", "Your rating was received"),
    Action.REJECT_REPLY: (
        "答复未通过审核，已要求重新办理",
        "The reply was not accepted; handling again",
    ),
    Action.CLOSE: ("诉求已办结", "Your appeal was closed"),
    Action.HANDLE_ON_SPOT: ("网格员已现场处置并办结", "A grid worker dealt with it on the spot"),
    Action.ANSWER: ("已当场答复并办结", "Answered on the call and closed"),
    Action.MERGE: ("与同一事件的其他诉求合并办理", "Handled together with other appeals about it"),
    Action.CANCEL: ("诉求已撤销", "Your appeal was withdrawn"),
    Action.LINK: ("有其他市民反映了同一问题", "Other residents reported the same problem"),
    Action.SPLIT: ("已按不同事项分开办理", "Split into separate matters"),
    Action.ESCALATE: ("已按紧急情况加快处置", "Handled faster as an emergency"),
    Action.HANDOFF: ("已联动应急部门处置", "Handed to the emergency services"),
}


# Urgent and life-safety matters are handled now: the caller never hears a date days away.
_URGENT_NOW = (
    "您反映的紧急情况已受理，值班人员正在立即处置，请保持电话畅通。",
    "Your emergency was received and the duty team is dealing with it now; keep your phone on.",
)
_URGENT_STEPS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.RECEIVED: _URGENT_NOW,
    OrderStatus.PENDING_DISPATCH: _URGENT_NOW,
    OrderStatus.RETURNED: (
        "您反映的紧急情况正在立即重新安排处置，请保持电话畅通。",
        "Your emergency is being reassigned now; keep your phone on.",
    ),
}
_URGENT_HELD = (
    "您反映的紧急情况已转{dept}，正在立即处置，请保持电话畅通。",
    "Your emergency is with {dept}, who are dealing with it now; keep your phone on.",
)
_LIFE_SAFETY_NOTE = (
    "如有人身危险，请立即远离危险区域，并拨打110/119/120。",
    " If anyone is in danger, move away from it at once and call 110/119/120.",
)
_NEXT: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.RECEIVED: (
        "您的诉求已受理，正在分派给承办单位。",
        "Your appeal was received and is being assigned to a department.",
    ),
    OrderStatus.PENDING_DISPATCH: (
        "您的诉求已受理，工作人员正在确定承办单位，请耐心等待。",
        "Your appeal was received; staff are choosing the department to handle it.",
    ),
    OrderStatus.DISPATCHED: (
        "已派给{dept}，{dept}将于{when}前答复您。",
        "Sent to {dept}, who will reply by {when}.",
    ),
    OrderStatus.ACCEPTED: (
        "{dept}已签收，将于{when}前答复您。",
        "{dept} accepted it and will reply by {when}.",
    ),
    OrderStatus.IN_PROGRESS: (
        "{dept}正在办理，将于{when}前答复您。",
        "{dept} is working on it and will reply by {when}.",
    ),
    OrderStatus.REOPENED: (
        "已要求{dept}重新办理，将于{when}前再次答复您。",
        "{dept} was asked to handle it again and will reply by {when}.",
    ),
    OrderStatus.RETURNED: (
        "正在重新确定承办单位，请耐心等待。",
        "A department is being chosen again; please bear with us.",
    ),
    OrderStatus.REPLIED: (
        "{dept}已答复，请您对办理结果进行评价（满意/基本满意/不满意）。",
        "{dept} replied; please rate the result (satisfied / basically satisfied / unsatisfied).",
    ),
    OrderStatus.CLOSED: (
        "诉求已办结，感谢您的参与。",
        "Your appeal is closed. Thank you for taking part.",
    ),
    OrderStatus.MERGED: (
        "您的诉求与同一事件的其他诉求合并办理，进展会一并告知您。",
        "Your appeal is handled together with others about the same problem; you will hear of "
        "its progress with them.",
    ),
    OrderStatus.CANCELLED: (
        "诉求已撤销。如有疑问请拨打12345。",
        "Your appeal was withdrawn. Call 12345 with any questions.",
    ),
}
_LANGS = {"zh": 0, "en": 1}


def next_step(
    status: OrderStatus,
    department: str | None,
    due: datetime | None,
    *,
    urgent: bool = False,
    life_safety: bool = False,
    lang: str = "zh",
) -> str:
    """What happens next, in the resident's words (`lang` zh or en)."""
    i = _LANGS[lang]
    dept = department or ("承办单位", "the department")[i]
    if urgent or life_safety:
        held = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS)
        pair = _URGENT_STEPS.get(status)
        if status in held or status is OrderStatus.REOPENED:
            pair = _URGENT_HELD
        if pair is not None:
            return pair[i].format(dept=dept) + (_LIFE_SAFETY_NOTE[i] if life_safety else "")
    fmt = ("%Y年%m月%d日%H:%M", "%Y-%m-%d %H:%M")[i]
    when = due.strftime(fmt) if due else ("规定时限", "the time limit")[i]
    text = _NEXT[status][i].format(dept=dept, when=when)
    return text[:1].upper() + text[1:]  # "The department …" when none is named yet


def next_steps(
    status: OrderStatus,
    department: str | None,
    due: datetime | None,
    *,
    urgent: bool = False,
    life_safety: bool = False,
) -> dict[str, str]:
    """`next_step` (Chinese) and `next_step_en` of an answer to the resident."""
    words = {
        lang: next_step(status, department, due, urgent=urgent, life_safety=life_safety, lang=lang)
        for lang in _LANGS
    }
    return {"next_step": words["zh"], "next_step_en": words["en"]}


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
                zh, en = _PUBLIC_STEPS[Action(e.action)]
                out[e.work_order_id].append(
                    {"at": e.at, "step": zh, "step_en": en, "action": e.action}
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
        **next_steps(
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
