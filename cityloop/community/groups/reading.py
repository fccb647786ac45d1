"""Reading a building group's messages (微网格群消息) — pure rules, no I/O.

Each message is one of five kinds:

* 诉求 `appeal`: a concrete problem someone should act on (a broken lift, a smell, a blocked
  fire lane) — whatever the tone, and even when asked as a question ("垃圾满了有人管吗");
* 咨询 `question`: a question without a problem ("物业费怎么交");
* 通知 `notice`: an announcement (停水通知, 温馨提示, 倡议);
* 闲聊 `chat`: greetings, thanks, group buys, jokes, pictures;
* 情绪 `emotion`: a complaint without a concrete problem ("什么破物业", "心累").

Besides the kind, a message yields the *objects* it is about (canonical names: a street lamp,
a lift, a manhole…) and the *places* it names (buildings, gates, zones), which the topic
gathering uses: the same object at the same place is the same matter; a different building or
gate is evidence of a different one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    APPEAL = "appeal"
    QUESTION = "question"
    NOTICE = "notice"
    CHAT = "chat"
    EMOTION = "emotion"


KIND_LABELS = {
    Kind.APPEAL: "诉求",
    Kind.QUESTION: "咨询",
    Kind.NOTICE: "通知",
    Kind.CHAT: "闲聊",
    Kind.EMOTION: "情绪",
}

# Objects, most specific first: the first pattern that matches a span claims it, so 楼道灯 is
# a corridor light and not a street lamp. Each canonical name is one kind of matter.
_OBJECTS: tuple[tuple[str, str], ...] = (
    ("elevator_light", r"电梯(里|内)的?(照明)?灯"),
    ("corridor_light", r"楼道(的)?(声控)?灯|声控灯|楼梯灯"),
    ("street_lamp", r"路灯|灯(又|还|一直|也)?(不亮|坏|黑)|灯还是黑|(一半|全|都)不亮"),
    ("elevator", r"电梯|轿厢|困在(\d+|[一二三四五六七八九十]+)楼"),
    ("manhole", r"井盖|窨井|下水井"),
    ("sewer", r"下水道|排污|化粪池|返臭"),
    ("garbage_station", r"垃圾站|垃圾房|中转站"),
    ("garbage", r"垃圾桶|垃圾箱|垃圾(?!分类|站|房|中转|积分|袋|下来|定时)"),
    ("clutter", r"杂物|纸箱|旧家具|堆放"),
    ("fume", r"油烟|烧烤"),
    ("square_dance", r"广场舞|音响"),
    ("poultry", r"养鸡|鸡(叫|打鸣)|打鸣|的鸡"),
    ("upstairs_noise", r"楼上.{0,12}(吵|敲|拖|咚|跳|噪音)|楼上又吵"),
    ("leak", r"漏水|渗水|漏到|水印|防水层|发霉|墙皮"),
    ("flooding", r"积水|进水|排水泵|抽水|水漫|泡了"),
    ("water_pressure", r"水压|没水|水.{0,4}出不来|停了.{0,4}洗澡"),
    ("fire_lane", r"消防通道|消防车"),
    ("hydrant", r"消防栓|消火栓"),
    ("flying_lead", r"飞线|私拉|拉线充电|拉电线"),
    ("hanging_wire", r"电线.{0,6}(垂|耷拉|掉|低)|垂下来"),
    ("bikes", r"共享单车|单车|盲道"),
    ("pothole", r"塌了|塌陷|路面.{0,4}坑|一个坑|那个坑|坑太"),
    ("tree", r"大树|树根|(那|一)棵树|树(歪|倒|斜)"),
    ("swing", r"秋千"),
    ("slide", r"滑梯"),
    ("barrier_gate", r"道闸|抬杆|杆子.{0,4}抬"),
    ("handrail", r"扶手"),
    ("throwing", r"高空抛物|往下扔|扔.{0,6}下来|扔烟头"),
    ("basement_dwelling", r"地下室.{0,6}(住人|做饭)|液化气罐|煤气罐"),
    ("elevator_button", r"按钮|按键"),
)
_OBJECT_RES = [(name, re.compile(p)) for name, p in _OBJECTS]

# A concrete problem: something broken, blocked, dirty, dangerous, noisy or missing.
_PROBLEM = re.compile(
    r"坏|停了|停运|不亮|不动|黑漆漆|全黑|漏|渗|积水|进水|堵|占用|乱停|乱堆|堆满|堆成|臭|异味|"
    r"味道太|吵|噪音|打鸣|油烟|熏|松了|松动|晃|塌|断了|裂|失灵|不灵|卡在|困在|没水|水压太|"
    r"水压很|出不来|没人收|没人管|没修|还没|又开始|危险|飞线|私拉|拉线|扔|丢了|不见了|垂|"
    r"耷拉|发霉|破了|墙皮|污水|火花|漏电|满出来|泡了|关不上|关不严|开开合合|夹到|划伤|刮破|"
    r"住人|受不了|睡不着|看不清|差点|滑倒|摔|绊倒|结冰|很滑|小很|很小|太低|液化气罐|煤气罐|"
    r"抬不起来|排到马路|堵了|养鸡|歪了|翘起来|不敢|该清|该修|水漫|抽水|赶紧(来|找)|松的|堆在|"
    r"震天响|还不停|斜得|靠着电线|管一管|管管|限制一下"
)
# Conditions rather than things: a leaking hydrant is about the hydrant, not about "a leak".
_CONDITIONS = frozenset({"leak", "flooding"})
_RESOLVED = re.compile(r"修好了|好了|恢复了|来水了|更换完毕|终于")
_NOTICE = re.compile(
    r"^【[^】]{0,12}(通知|提示|提醒|公告|倡议)】|^(通知|公告|倡议|提醒|温馨提示|温馨提醒)[:：]|"
    r"^(各位(业主|居民|邻居))[:：]|特此通知|敬请谅解|请合理安排|请提前|欢迎(大家|居民)?(报名)?参加|"
    r"请(各位|大家)?(住户)?(谅解|配合|注意)|违者将|依规处理|追究法律责任"
)
_QUESTION = re.compile(
    r"[?？]|吗$|吗[，,。]|呢$|请问|怎么(办|交|申请|收费|领|补办|兑换)?|哪里|哪儿|哪部|什么时候|几点|"
    r"多少|有没有人知道|有人知道|有谁知道|需要什么|是不是|要不要|能不能.*[?？]$"
)
_SOCIAL = re.compile(
    r"团购|接龙|拼车|拼单|有人要|要的|送$|，送|[,，]送|一起.{0,8}(吗|举手)|举手|吃啥|吃了吗|吃什么|"
    r"哪玩|谁看了|打折|需要旧|下午茶"
)
_EMOTION = re.compile(
    r"太差|破物业|破小区|什么破|无语|心累|崩溃|服了|气死|烦死|烦$|^唉|^哎|遭罪|没救|一塌糊涂|"
    r"一言难尽|白搭|没用|指望不上|心寒|够了|搬走|是个头|图什么|真让人|不干事|受够|没人理"
)
_PLACE = re.compile(
    r"(\d+|[一二三四五六七八九十]+)(栋|号楼|幢|单元)|([东南西北]|\d+号)门|"
    r"B\d|车库|楼顶|顶楼|大厅|花园|游乐场|广场|菜市场|地下室"
)
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def normalise(text: str) -> str:
    """Full-width to half-width, spaces folded (what the rules and the hashes see)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _number(token: str) -> str:
    if token.isdigit():
        return str(int(token))
    if token == "十":
        return "10"
    if len(token) == 2 and token[0] == "十":
        return str(10 + _CN_DIGIT.get(token[1], 0))
    return str(_CN_DIGIT.get(token[0], 0)) if len(token) == 1 else token


def objects_of(text: str) -> frozenset[str]:
    """The canonical objects a message is about; each text span is claimed once."""
    t = normalise(text)
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for name, rx in _OBJECT_RES:
        for m in rx.finditer(t):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append(m.span())
            found.append(name)
    things = set(found) - _CONDITIONS
    return frozenset(things or found)


@dataclass(frozen=True)
class Places:
    buildings: frozenset[str] = frozenset()  # "8" for 8栋 / 8号楼
    gates: frozenset[str] = frozenset()  # "北门", "2号门"
    zones: frozenset[str] = frozenset()  # 车库, 楼顶 …

    def conflicts(self, other: Places) -> bool:
        """Different buildings or gates named on both sides: a different matter."""
        return bool(
            (self.buildings and other.buildings and not self.buildings & other.buildings)
            or (self.gates and other.gates and not self.gates & other.gates)
        )


def places_of(text: str) -> Places:
    buildings, gates, zones = set(), set(), set()
    for m in _PLACE.finditer(normalise(text)):
        if m.group(2) in ("栋", "号楼", "幢"):
            buildings.add(_number(m.group(1)))
        elif m.group(3):
            gates.add(m.group(3) + "门")
        elif m.group(2) != "单元":
            zones.add(m.group(0))
    return Places(frozenset(buildings), frozenset(gates), frozenset(zones))


@dataclass(frozen=True)
class Reading:
    kind: Kind
    objects: frozenset[str]
    places: Places
    why: str  # the cue that decided, for the leader to see


def read(text: str, *, from_staff: bool = False) -> Reading:
    """Classify one message. `from_staff` (the property company, the grid worker, the
    micro-grid leader) makes an announcement-like text a notice more readily."""
    t = normalise(text)
    objs = objects_of(t)
    places = places_of(t)

    def out(kind: Kind, why: str) -> Reading:
        return Reading(kind, objs, places, why)

    if not t or re.fullmatch(r"(\[[^\]]{1,6}\])+|[+＋]\d|\d+\.\s*\S+.*", t):
        return out(Kind.CHAT, "表情/图片/接龙")
    notice = _NOTICE.search(t)
    if notice and (from_staff or len(t) >= 25):
        return out(Kind.NOTICE, notice.group(0))
    if from_staff and re.search(r"请大家|请各位|已开始|预计.{0,8}恢复", t):
        return out(Kind.NOTICE, "工作人员告知")
    asks = t.startswith("请问") and not objs  # an explicit inquiry about something personal
    problem = _PROBLEM.search(t)
    if problem and not asks and (objs or len(t) >= 12) and not _SOCIAL.search(t):
        return out(Kind.APPEAL, problem.group(0))
    if _SOCIAL.search(t):
        return out(Kind.CHAT, "社交")
    emotion = _EMOTION.search(t)
    if emotion and not re.search(r"[?？]", t) and not asks:
        return out(Kind.EMOTION, emotion.group(0))
    question = _QUESTION.search(t)
    if question and not from_staff:  # staff answer and announce; they do not ask the group
        return out(Kind.QUESTION, question.group(0))
    if _RESOLVED.search(t):
        return out(Kind.CHAT, "已解决")
    return out(Kind.CHAT, "")
