"""Chinese message templates per event (派单, 签收超时, 预警, 超期, 督办, 退单, 重办, 答复群众,
告警, 受理): the ticket, the place and what to do. Pure functions of a Notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    DISPATCH = "dispatch"  # 派单
    ACCEPT_TIMEOUT = "accept_timeout"  # 签收超时
    WARNING = "warning"  # 预警
    OVERDUE = "overdue"  # 超期
    URGE = "urge"  # 督办
    RETURN = "return"  # 退单
    REOPEN = "reopen"  # 重办
    REPLY = "reply"  # 答复群众 (to the resident)
    INTAKE = "intake"  # 受理告知 (to the resident)
    ALARM = "alarm"  # 告警 (a sensor incident)
    BRIEFING = "briefing"  # 日报/周报
    JOB_FAILED = "job_failed"  # a scheduled job gave up (to admins)


EVENT_LABELS: dict[Event, str] = {
    Event.DISPATCH: "派单",
    Event.ACCEPT_TIMEOUT: "签收超时",
    Event.WARNING: "预警",
    Event.OVERDUE: "超期",
    Event.URGE: "督办",
    Event.RETURN: "退单",
    Event.REOPEN: "重办",
    Event.REPLY: "答复群众",
    Event.INTAKE: "受理告知",
    Event.ALARM: "告警",
    Event.BRIEFING: "简报",
    Event.JOB_FAILED: "任务失败",
}

# Events that go out whatever the hour and whatever the user muted.
ALWAYS_URGENT = frozenset({Event.ALARM})


@dataclass(frozen=True)
class Notice:
    """What happened, with everything a message needs; recipients are resolved elsewhere."""

    event: Event
    key: str  # unique per happening: the same happening tailed twice makes no new message
    ticket_no: str | None = None
    order_id: int | None = None
    title: str = ""  # the order's title
    place: str = ""
    category: str = ""
    department: str = ""  # the department's name
    due: str = ""  # the deadline in city time, "10月8日 18:00"
    note: str = ""  # the urge, the return reason, the reply …
    urgent: bool = False
    # Who hears it: department codes (their handlers and group robots), supervisors over a
    # region, dispatchers, named users, a resident's phone.
    departments: tuple[str, ...] = ()
    region_code: str | None = None
    to_dispatchers: bool = False
    to_roles: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()
    resident_phone: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _excerpt(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text[:n] + ("…" if len(text) > n else "")


def _where(n: Notice) -> str:
    return n.place or "（地点未识别）"


def render(n: Notice) -> tuple[str, str]:
    """(title, body) of the message for staff and robots."""
    t, where = n.ticket_no or "", _where(n)
    label = EVENT_LABELS[n.event]
    head = f"【{label}】{t} {n.title}".strip()
    urgent = "【紧急】" if n.urgent else ""
    match n.event:
        case Event.DISPATCH:
            body = (
                f"{urgent}工单{t}（{n.category or '未分类'}）已派至{n.department or '贵单位'}。"
                f"地点：{where}。诉求：{_excerpt(n.note)}。"
                f"请及时签收，并在{n.due or '时限'}前办结答复。"
            )
        case Event.ACCEPT_TIMEOUT:
            body = (
                f"{urgent}工单{t}派至{n.department or '贵单位'}后超时未签收。地点：{where}。"
                "请立即签收；不属职责范围的，请退单并写明理由。"
            )
        case Event.WARNING:
            body = (
                f"{urgent}工单{t}即将超期（时限{n.due}）。地点：{where}。"
                "请抓紧办理并答复群众；确需延期的，请在到期前申请。"
            )
        case Event.OVERDUE:
            body = (
                f"{urgent}工单{t}已超期（时限{n.due}），承办单位：{n.department or '—'}。"
                f"地点：{where}。请立即办理并答复，督办人员请跟进。"
            )
        case Event.URGE:
            body = (
                f"{urgent}工单{t}被督办：{_excerpt(n.note) or '请加快办理'}。地点：{where}。"
                "请优先办理并反馈进展。"
            )
        case Event.RETURN:
            body = (
                f"工单{t}被{n.department or '承办单位'}退单：{_excerpt(n.note) or '未写理由'}。"
                f"地点：{where}。请核实后重新派单。"
            )
        case Event.REOPEN:
            body = (
                f"{urgent}工单{t}需重办：{_excerpt(n.note) or '群众不满意'}。地点：{where}。"
                "请重新办理，并再次答复群众。"
            )
        case Event.ALARM:
            body = (
                f"【紧急】{n.title}。地点：{where}。已生成工单{t or '（生成中）'}，"
                "请立即核实处置，处置后在工单中答复。"
            )
        case Event.BRIEFING:
            body = n.note
        case Event.JOB_FAILED:
            body = f"后台任务「{n.title}」多次重试后仍失败：{n.note}。请查看 管理 → 后台任务。"
        case Event.REPLY | Event.INTAKE:
            _title, body = render_resident(n)
    return head, body


def render_resident(n: Notice) -> tuple[str, str]:
    """The SMS to a resident: the ticket on intake, the answer on reply (12345 style)."""
    t = n.ticket_no or ""
    if n.event is Event.INTAKE:
        return (
            "诉求已受理",
            f"【12345】您的诉求已受理，受理编号{t}。可凭受理编号和本手机号查询办理进度。",
        )
    # The order service wrote the closing text into its outbox; it is sent as written.
    text = n.data.get("text") or f"【12345】您反映的问题（受理编号{t}）已办结。{_excerpt(n.note)}"
    return "诉求已办结", str(text)


def render_markdown(n: Notice) -> str:
    """The group-robot form (企业微信/钉钉 markdown): bold head, then the body."""
    title, body = render(n)
    return f"**{title}**\n\n{body}"
