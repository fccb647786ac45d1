"""Incident flash reports (突发事件快报) written from an order's data and timeline — pure.

For an urgent or life-safety order the command centre sends its leaders a first report (首报)
as soon as it is known, a follow-up (续报) at each significant step, and a final report (终报)
when the order closes, in the fixed shape of a government 快报: what, where, when, who
reported, casualties and road status if the reports say so, which departments were sent and
when, what happens next. Every sentence is built from recorded facts; where a fact is not
known the report says so rather than guessing. Personal data in the reporters' words is
masked before it is quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cityloop.domain.privacy import mask_text


class ReportKind(StrEnum):
    FIRST = "first"  # 首报
    FOLLOW_UP = "follow_up"  # 续报
    FINAL = "final"  # 终报


KIND_LABELS = {ReportKind.FIRST: "首报", ReportKind.FOLLOW_UP: "续报", ReportKind.FINAL: "终报"}

# Timeline actions that change what a leader must know (each makes a 续报); closing makes the
# 终报. Comments, ratings and co-department notes do not.
SIGNIFICANT = frozenset(
    {
        "dispatch",
        "accept",
        "return",
        "handoff",
        "escalate",
        "approve_extension",
        "urge",
        "reply",
        "reject_reply",
        "link",
    }
)
FINAL_STATUSES = frozenset({"closed", "cancelled", "merged"})

CHANNEL_WORDS = {
    "hotline": "市12345热线接群众来电",
    "web": "市民通过网站",
    "wechat": "市民通过微信小程序",
    "sms": "市民通过短信",
    "mailbox": "市长信箱收到来信",
    "app": "市民通过手机应用",
    "grid": "网格员巡查",
    "sensor": "智能感知设备告警",
    "open311": "第三方平台转来",
}

_CN_NUM = "零一二两三四五六七八九十"
_COUNT = rf"(\d+|[{_CN_NUM}]+|多|数|几)"
_CASUALTIES = re.compile(
    rf"{_COUNT}\s*(?:名|个|位)?\s*(?:人|群众|居民|老人|小孩|儿童|乘客|行人)?\s*"
    r"(受伤|伤亡|死亡|身亡|被困|困在|昏迷|倒地|晕倒|摔倒)"
)
_NO_CASUALTIES = re.compile(r"(无|没有|未见|暂无)(人员)?(伤亡|受伤|被困)")
_ROAD = re.compile(
    r"(道路|路面|车道|路口|主干道|桥|隧道)[^，。；,;]{0,6}?"
    r"(中断|封闭|封路|拥堵|堵塞|堵死|单向通行|无法通行|积水|塌陷)"
)


@dataclass(frozen=True)
class Step:
    """One timeline event, as the report needs it."""

    action: str
    at: datetime  # city time
    actor: str
    note: str = ""
    department: str | None = None  # the department's name, for dispatch/accept/return
    agency: str | None = None  # 110/119/120/122 for a hand-off
    to_status: str = ""  # the order's status after the step
    status_label: str = ""  # …in words
    co_departments: tuple[str, ...] = ()  # names, for a dispatch


@dataclass(frozen=True)
class Incident:
    ticket_no: str
    title: str
    content: str
    category: str  # the category path (城乡建设/燃气安全/燃气泄漏) or ""
    place: str  # street / community names and the place read from the text, or ""
    channel: str
    received_at: datetime  # city time
    urgency: str  # "urgent" or "life_safety"
    status_label: str
    due_text: str  # the completion deadline in words, "" if none
    reporters: int = 1  # appeals linked into the order
    departments: tuple[str, ...] = ()
    steps: tuple[Step, ...] = field(default_factory=tuple)
    reply: str = ""
    region_code: str | None = None  # the street, for who hears of it


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    seq: int  # 续报 number (1, 2, …); 0 for 首报 and 终报
    heading: str
    issued_at: datetime
    paragraphs: tuple[str, ...]
    ticket_no: str = ""
    region_code: str | None = None

    @property
    def text(self) -> str:
        return "\n".join((self.heading, *self.paragraphs))


def _clock(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日{at.hour}时{at.minute:02d}分"


def _hm(at: datetime) -> str:
    return f"{at.hour}时{at.minute:02d}分"


def casualties(text: str) -> str | None:
    """What the reports say about people hurt or trapped, or None when they say nothing."""
    if _NO_CASUALTIES.search(text):
        return "据报告暂无人员伤亡"
    found = [m.group(0) for m in _CASUALTIES.finditer(text)]
    if found:
        return "据报告" + "、".join(dict.fromkeys(found))
    return None


def road_status(text: str) -> str | None:
    found = [m.group(0) for m in _ROAD.finditer(text)]
    return ("据报告" + "、".join(dict.fromkeys(found))) if found else None


def _what_where_when(i: Incident) -> str:
    source = CHANNEL_WORDS.get(i.channel, "接报")
    where = i.place or "（具体地点待核实）"
    kind = f"（{i.category.split('/')[-1]}）" if i.category else ""
    quoted = (mask_text(" ".join(i.content.split())) or "")[:160].rstrip("。.！!；; ") or i.title
    more = f"，此后又有 {i.reporters - 1} 起诉求反映同一事件" if i.reporters > 1 else ""
    return f"{_clock(i.received_at)}，{source}反映：{where}{kind}，“{quoted}”{more}。"


def _facts(i: Incident) -> str:
    text = i.content
    hurt = casualties(text) or "人员伤亡情况暂未报告"
    road = road_status(text)
    danger = "经研判为涉及生命安全的突发事件" if i.urgency == "life_safety" else "经研判为紧急事件"
    return f"{danger}。{hurt}" + (f"；{road}" if road else "") + "。"


def _response(i: Incident, until: datetime) -> str:
    parts: list[str] = []
    for s in i.steps:
        if s.at > until:
            break
        if s.action == "dispatch" and s.department:
            co = f"，{'、'.join(s.co_departments)}协办" if s.co_departments else ""
            parts.append(f"{_hm(s.at)}派至{s.department}{co}")
        elif s.action == "handoff" and s.agency:
            parts.append(f"{_hm(s.at)}通报{s.agency}")
        elif s.action == "accept" and s.department:
            parts.append(f"{_hm(s.at)}{s.department}签收")
        elif s.action == "return" and s.department:
            parts.append(f"{_hm(s.at)}{s.department}退回（{mask_text(s.note) or '未说明原因'}）")
        elif s.action == "escalate":
            parts.append(f"{_hm(s.at)}升级为紧急事件")
        elif s.action == "urge":
            parts.append(f"{_hm(s.at)}督办")
        elif s.action == "approve_extension":
            parts.append(f"{_hm(s.at)}同意延期")
        elif s.action == "reply":
            parts.append(f"{_hm(s.at)}承办单位答复")
    if not parts:
        return "接报后，指挥中心正在调度处置力量，尚未派出承办单位。"
    return "接报后，" + "，".join(parts) + "。"


def _next(i: Incident, kind: ReportKind, at: datetime) -> str:
    if kind is ReportKind.FINAL:
        return "本事件处置完毕，本报为终报。"
    # The status as it stood when the report was due, not as it is now.
    label = next(
        (s.status_label for s in reversed(i.steps) if s.at <= at and s.status_label),
        i.status_label,
    )
    due = f"，办结时限{i.due_text}" if i.due_text else ""
    return (
        f"截至报送时，工单状态为“{label}”{due}。下一步，指挥中心将持续跟踪处置进展，"
        "重要情况及时续报。"
    )


def compose(i: Incident, kind: ReportKind, seq: int, issued_at: datetime, centre: str) -> Report:
    """One report as it stands at `issued_at` (steps after it are not yet known)."""
    label = KIND_LABELS[kind] + (f"（第{seq}次）" if kind is ReportKind.FOLLOW_UP else "")
    heading = f"{centre}突发事件信息{label}"
    paragraphs = [
        f"【{i.title}】受理编号 {i.ticket_no}",
        _what_where_when(i),
        _facts(i),
        _response(i, issued_at),
    ]
    if kind is ReportKind.FINAL:
        outcome = (mask_text(" ".join(i.reply.split())) or "").rstrip("。.！!；; ")
        took = issued_at - i.received_at
        hours = took.total_seconds() / 3600
        span = f"{hours:.1f}小时" if hours < 48 else f"{hours / 24:.1f}天"
        paragraphs.append(f"处置结果：{outcome or '承办单位未填写答复'}。自接报至办结历时{span}。")
    paragraphs.append(_next(i, kind, issued_at))
    paragraphs.append(f"（{_clock(issued_at)}报送）")
    return Report(kind, seq, heading, issued_at, tuple(paragraphs), i.ticket_no, i.region_code)


def due_reports(
    i: Incident, already: set[tuple[str, int]], now: datetime
) -> list[tuple[ReportKind, int, datetime]]:
    """Which reports an order should have by `now`: the first at receipt, one follow-up per
    significant step, the final at closing — minus those already written (kind, seq)."""
    wanted: list[tuple[ReportKind, int, datetime]] = [(ReportKind.FIRST, 0, i.received_at)]
    n = 0
    for s in i.steps:
        if s.at > now:
            break
        if s.at <= i.received_at:  # what happened at receipt (auto-dispatch) is in the 首报
            continue
        if s.to_status in FINAL_STATUSES:
            wanted.append((ReportKind.FINAL, 0, s.at))
            break
        if s.action in SIGNIFICANT:
            n += 1
            wanted.append((ReportKind.FOLLOW_UP, n, s.at))
    return [(k, q, at) for k, q, at in wanted if (k.value, q) not in already]
