"""Work-order statuses and actions with their Chinese labels — the one place they are named.

The console reads these through the API (`GET /api/v1/meta/choices`) so both always agree.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    RECEIVED = "received"
    PENDING_DISPATCH = "pending_dispatch"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    REOPENED = "reopened"
    RETURNED = "returned"
    CLOSED = "closed"
    MERGED = "merged"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[OrderStatus, tuple[str, str]] = {
    # status: (Chinese label, colour for the console)
    OrderStatus.RECEIVED: ("已受理", "#909399"),
    OrderStatus.PENDING_DISPATCH: ("待派单", "#e6a23c"),
    OrderStatus.DISPATCHED: ("已派单", "#409eff"),
    OrderStatus.ACCEPTED: ("已签收", "#409eff"),
    OrderStatus.IN_PROGRESS: ("办理中", "#1f6feb"),
    OrderStatus.REPLIED: ("已答复", "#67c23a"),
    OrderStatus.REOPENED: ("重办", "#f56c6c"),
    OrderStatus.RETURNED: ("已退单", "#e6a23c"),
    OrderStatus.CLOSED: ("已办结", "#2e7d32"),
    OrderStatus.MERGED: ("已合并", "#909399"),
    OrderStatus.CANCELLED: ("已撤销", "#606266"),
}

TERMINAL = frozenset({OrderStatus.CLOSED, OrderStatus.MERGED, OrderStatus.CANCELLED})
# Statuses in which a department holds the order and its deadline runs.
WITH_DEPARTMENT = frozenset(
    {
        OrderStatus.DISPATCHED,
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.REOPENED,
    }
)
OPEN = frozenset(OrderStatus) - TERMINAL


class Action(StrEnum):
    RECEIVE = "receive"  # the order's first event; not an action anyone can take later
    LINK = "link"  # another appeal about the same incident joined the order
    SPLIT = "split"  # a dispatcher took a wrongly linked appeal out into its own order
    ESCALATE = "escalate"  # urgency raised (an urgent appeal joined); step limits recomputed
    HANDOFF = "handoff"  # handed off to an emergency service (110/119/120/122 联动)
    SUBMIT = "submit"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    START = "start"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    CO_REPLY = "co_reply"
    REPLY = "reply"
    URGE = "urge"
    RATE = "rate"
    REJECT_REPLY = "reject_reply"
    CLOSE = "close"
    # 就地处置: a grid worker reports a problem they already fixed; received and closed at once.
    HANDLE_ON_SPOT = "handle_on_spot"
    MERGE = "merge"
    CANCEL = "cancel"
    COMMENT = "comment"
    # 直接办结: a consultation answered on the call (knowledge base), closed at intake
    ANSWER = "answer"


ACTION_LABELS: dict[Action, str] = {
    Action.RECEIVE: "受理",
    Action.LINK: "关联诉求",
    Action.SPLIT: "拆分诉求",
    Action.ESCALATE: "升级为紧急",
    Action.HANDOFF: "应急联动",
    Action.SUBMIT: "转派单队列",
    Action.DISPATCH: "派单",
    Action.ACCEPT: "签收",
    Action.RETURN: "退单",
    Action.START: "开始办理",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.DENY_EXTENSION: "驳回延期",
    Action.CO_REPLY: "协办反馈",
    Action.REPLY: "答复",
    Action.URGE: "督办",
    Action.RATE: "评价",
    Action.REJECT_REPLY: "退回重办",
    Action.CLOSE: "办结",
    Action.HANDLE_ON_SPOT: "就地处置",
    Action.MERGE: "合并",
    Action.CANCEL: "撤销",
    Action.COMMENT: "备注",
    Action.ANSWER: "直接办结",
}


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


RATING_LABELS: dict[Rating, str] = {
    Rating.SATISFIED: "满意",
    Rating.BASICALLY_SATISFIED: "基本满意",
    Rating.UNSATISFIED: "不满意",
}


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


URGENCY_LABELS: dict[Urgency, str] = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急"}


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    WECHAT = "wechat"
    SMS = "sms"
    MAILBOX = "mailbox"
    APP = "app"
    GRID_PATROL = "grid_patrol"
    SENSOR = "sensor"
    OPEN311 = "open311"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.HOTLINE: "12345热线",
    Channel.WEB: "网站",
    Channel.WECHAT: "微信小程序",
    Channel.SMS: "短信",
    Channel.MAILBOX: "市长信箱",
    Channel.APP: "APP",
    Channel.GRID_PATROL: "网格巡查",
    Channel.SENSOR: "智能感知",
    Channel.OPEN311: "Open311",
}


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    OPERATOR = "operator"
    DEPARTMENT_HANDLER = "department_handler"
    GRID_WORKER = "grid_worker"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    RESIDENT = "resident"
    # Separation of duties (三权分立): beside the system administrator, one role holds the
    # security policy and permissions, another only reads the audit trail.
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.DISPATCHER: "派单员",
    Role.OPERATOR: "话务员",
    Role.DEPARTMENT_HANDLER: "承办单位",
    Role.GRID_WORKER: "网格员",
    Role.SUPERVISOR: "督办人员",
    Role.LEADER: "领导/指挥中心",
    Role.RESIDENT: "群众",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDITOR: "安全审计员",
}
