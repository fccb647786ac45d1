"""Synthetic citizen appeals (诉求) for 云河市 with a replayable outcome for each.

Deterministic from ``seed``. Every appeal knows its ground truth (place, grid, incident) so the
same data set doubles as a benchmark for place resolution and duplicate detection.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from cityloop.demo._templates import TEMPLATES, Template
from cityloop.demo.geography import region_index, region_shapes
from cityloop.demo.organisation import build_departments, resolve_route
from cityloop.demo.people import PeopleGenerator
from cityloop.domain.sla import SlaClock, TimeLimit, TimeUnit

try:
    from zoneinfo import ZoneInfo

    TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database; China has had no DST since 1991
    TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

CHANNEL_MIX: dict[str, float] = {
    "hotline": 0.55,
    "wechat": 0.15,
    "web": 0.10,
    "app": 0.06,
    "sms": 0.04,
    "mailbox": 0.03,
    "grid_patrol": 0.07,
}
_ID_PREFIX = {
    "hotline": "RX",
    "wechat": "WX",
    "web": "WZ",
    "app": "APP",
    "sms": "DX",
    "mailbox": "SZXX",
    "grid_patrol": "WG",
}
# Probability that the channel carries coordinates (GPS for phones; operator map-pick for calls).
_COORD_P = {
    "hotline": 0.65,
    "wechat": 0.97,
    "web": 0.70,
    "app": 0.98,
    "sms": 0.30,
    "mailbox": 0.20,
    "grid_patrol": 1.0,
}
# Positional error of reported coordinates, metres (1 sigma).
_COORD_SIGMA_M = {
    "hotline": 180.0,
    "wechat": 35.0,
    "web": 120.0,
    "app": 25.0,
    "sms": 150.0,
    "mailbox": 200.0,
    "grid_patrol": 8.0,
}
# Relative call volume by hour of day: office hours peak, a trickle at night.
_HOUR_WEIGHTS = [
    0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.8, 1.6, 2.2, 2.3, 2.0,
    1.3, 1.3, 1.9, 2.0, 1.9, 1.6, 1.2, 1.1, 1.0, 0.8, 0.5, 0.3,
]  # fmt: skip
_INCIDENT_SIZES = {2: 40, 3: 24, 4: 13, 5: 9, 6: 6, 7: 4, 8: 4}

STAGES_OPEN = ("pending_dispatch", "dispatched", "accepted", "in_progress", "replied")


@dataclass(frozen=True)
class Outcome:
    """What happened to an appeal after it was received, for the loader to replay.

    Absolute timestamps are given alongside the relative figures; all are aware
    (Asia/Shanghai) and strictly before the ``now`` passed to :func:`generate_appeals`.
    A field is None when the appeal never reached that step.
    """

    stage: str  # one of STAGES_OPEN, or "closed" / "cancelled"
    still_open: bool
    lead_dept: str  # final handling department (from the default linkage list)
    co_depts: tuple[str, ...]
    time_limit: str  # from the linkage rule: "2h"/"4h" working hours, "3d"/"5d"/"10d" working days
    due_at: datetime  # SlaClock deadline from the final dispatch, extension included
    dispatch_delay_minutes: int
    dispatched_at: datetime | None
    returned: bool
    returned_by: str | None  # department that first (wrongly) received and returned it
    return_reason: str | None
    returned_at: datetime | None
    redispatched_at: datetime | None
    accept_delay_hours: float  # working hours (calendar hours when urgent)
    accepted_at: datetime | None
    extension: bool
    extension_days: int | None
    extension_reason: str | None
    extension_requested_at: datetime | None
    # Working time used / allowed (SlaClock, from the final dispatch, extension included);
    # for urgent appeals calendar hours, since emergency crews work round the clock.
    reply_after_fraction: float
    replied_at: datetime | None
    reply_text: str | None
    urged: bool
    urged_at: datetime | None
    rating: str | None  # "satisfied" | "basically_satisfied" | "unsatisfied" | None
    rated_at: datetime | None
    reopened: bool
    second_replied_at: datetime | None
    second_reply_text: str | None
    cancelled: bool
    cancel_reason: str | None
    cancelled_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.reply_after_fraction > 1.0


@dataclass(frozen=True)
class DemoAppeal:
    external_id: str
    channel: str
    received_at: datetime
    title: str
    content: str
    address: str | None
    lon: float | None
    lat: float | None
    true_lon: float
    true_lat: float
    true_grid_code: str
    true_place_name: str
    true_place_kind: str
    l1: str
    l2: str
    l3: str
    urgency: str  # "normal" | "urgent"
    reporter_name: str
    reporter_phone: str
    incident_id: str
    template_key: str
    outcome: Outcome

    @property
    def category_path(self) -> str:
        return f"{self.l1}/{self.l2}/{self.l3}"


# --------------------------------------------------------------------------------------------
# Text pieces
# --------------------------------------------------------------------------------------------

_TM = [
    "每天晚上十点以后", "凌晨一两点", "早上六点不到", "中午午休时间", "周末一整天", "晚上十一点多",
    "每天傍晚", "最近每天晚上", "一到晚上", "天天早上", "晚上八九点", "下午三四点",
]  # fmt: skip
_DUR_LONG = [
    "两三天", "一个星期", "半个多月", "一个多月", "两个多月", "大半年", "好几天", "三天",
    "十来天", "快一年", "差不多二十天", "两个星期",
]  # fmt: skip
_DUR_SHORT = ["十几分钟", "半个小时", "一个多小时", "二十来分钟", "刚刚", "一会儿"]
_DUR_SENT = ["，已经持续{d}了", "，这种情况已经有{d}了", "，前后已经{d}了", "，{d}了一直没解决"]
_CN_NUM = "零一二三四五六七八九十"

_HOTLINE_OPEN = ["市民来电反映：", "来电人反映：", "市民来电称：", "来电人称，", "市民来电：",
                 "来电人来电反映，", "市民反映："]  # fmt: skip
_ONLINE_OPEN = ["您好，", "你好，", "领导好！", "", "", "反映个问题：", "请问一下，", "你好！",
                "打扰了，", "您好！"]  # fmt: skip
_HOTLINE_ASK = ["来电人要求{a}。", "市民希望{a}。", "请相关部门{a}。", "来电人希望相关部门{a}。",
                "市民要求{a}，请处理。"]  # fmt: skip
_ONLINE_ASK = ["希望{a}。", "麻烦{a}，谢谢！", "恳请有关部门{a}！", "希望相关部门{a}，谢谢。",
               "请{a}。", "能不能{a}？", "希望能{a}，辛苦了。"]  # fmt: skip
_ONLINE_CLOSE = ["", "", "谢谢！", "盼回复。", "辛苦了！", "谢谢🙏", "急！", "麻烦了。"]
# What residents add around the problem itself. Said about any problem, so they carry no hint of
# its category: a model that learns the category from them has learnt the template, not the city.
_ASIDES = [
    "之前打过好几次电话了，一直没人管", "我是这里的老住户了", "物业说这事不归他们管",
    "不知道该找哪个部门，就打了12345", "家里有老人和小孩", "周围邻居意见都很大",
    "已经拍了照片和视频", "上个月也反映过一次", "社区说他们也没办法", "实在是没办法了",
    "说了好多次了", "真的太影响生活了", "每天上下班都要经过这里", "我们这一片好几栋楼都是这样",
    "说实话挺失望的", "不知道到底归谁管", "我妈年纪大了", "周末本来想好好休息一下",
    "我刚搬来没多久", "之前也有人反映过", "孩子马上要考试了", "网上也有人发过帖子",
]  # fmt: skip
_HOTLINE_ASIDES = [
    "来电人称已多次反映无果", "来电人表示周边居民意见很大", "来电人称物业表示不归其管理",
    "来电人称已拍照留存", "来电人称家中有老人和小孩", "来电人称上月已反映过一次",
    "来电人称社区也无法解决", "来电人不清楚该由哪个部门负责", "来电人每天上下班途经此处",
]  # fmt: skip
_TERSE_ASK = ["，管一下", "，快来处理", "，麻烦处理一下", "，请尽快解决", "，有没有人管", "",
              "！！", "，谢谢"]  # fmt: skip
# How a resident's own message is written (an operator's call record keeps the full account
# more often): one terse line, the body with clauses left out, the full body, or a story.
_STYLES = {"terse": 0.22, "partial": 0.23, "full": 0.3, "story": 0.25}
_GRID_OPEN = ["网格员巡查发现：", "网格员日常巡查上报：", "巡查发现，", "网格员上报："]
_GRID_CLOSE = ["已拍照取证，请相关部门处置。", "现场已拍照，需职能部门处理。",
               "已上报社区，请职能部门处置。", "请相关部门跟进处理。"]  # fmt: skip

# Homophone slips people make when typing place names.
_TYPO = {"里": "理", "锦": "金", "绣": "秀", "翠": "萃", "湖": "胡", "桂": "贵", "滨": "宾",
         "峰": "风", "苑": "院", "园": "圆", "华": "花", "阳": "杨", "馨": "欣", "栋": "幢",
         "蓝": "兰", "荷": "河", "梧": "吴", "凤": "风", "瑞": "锐", "松": "嵩"}  # fmt: skip
_TRAD = str.maketrans(
    "区楼门电请问题这发现们时间对还没过来话说给车里长业务环卫热线处应该备单乱营尽",
    "區樓門電請問題這發現們時間對還沒過來話說給車裡長業務環衛熱線處應該備單亂營盡",
)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

_RETURN_REASONS = [
    "经核实，该诉求不属于我单位职责范围，应由{dept}处理，请重新派单。",
    "非我单位职责，应由{dept}处理。",
    "该问题依据职责分工属{dept}管辖，申请退回。",
    "经现场核查，诉求事项不在我单位职能范围内，建议转{dept}办理。",
]
_EXTENSION_REASONS = [
    "需协调产权单位及物业共同处置",
    "涉及管网改造，需办理占道挖掘审批手续",
    "需等待第三方检测机构出具检测报告",
    "涉及多个部门职责，需召开联席会议协调",
    "维修材料采购周期较长，需延期处理",
    "当事人暂时联系不上，需进一步调查取证",
]
_CANCEL_REASONS = [
    "市民来电称问题已自行解决，申请撤件",
    "重复诉求，已并入其他工单办理",
    "市民误拨，非有效诉求",
    "来电人表示已与物业协商解决，不需要再处理",
]
_REPLY_CLOSE = [
    "感谢您对我们工作的理解和支持！",
    "如仍有问题，可再次拨打12345热线反映。",
    "感谢您的监督。",
    "如有疑问，可联系承办人，电话：{tel}。",
    "",
]
# Departments that plausibly receive a mis-dispatched appeal of a first-level category.
_CONFUSED_WITH: dict[str, list[str]] = {
    "城市管理": ["D-ZJ", "D-JT", "D-YL", "D-HB"],
    "园林绿化": ["D-CG"],
    "生态环境": ["D-CG", "D-ZJ"],
    "住房和城乡建设": ["D-CG", "D-SJ"],
    "水电气": ["D-SW", "D-ZLS", "D-ZJ", "D-CG"],
    "交通出行": ["D-CG", "D-GA", "D-JT"],
    "市场监管": ["D-CG", "D-WJ"],
    "公共安全": ["D-GA", "D-XF", "D-YJ"],
    "劳动和社会保障": ["D-ZJ", "D-SJ"],
    "教育": ["D-SJ"],
    "卫生健康": ["D-YB", "D-MZ"],
    "民政与社区": ["D-RS"],
    "咨询建议": ["D-GA", "D-ZW"],
}


# Bodies that open with their own position word; a gate/stretch spot before them would stutter.
_SPOT_LIKE = (
    "附近",
    "旁边",
    "路边",
    "门口",
    "楼下",
    "楼道",
    "路上",
    "路面",
    "店",
    "校门口",
    "学校",
    "公园",
    "河",
    "人行道",
    "一楼",
    "底商",
    "单元门口",
    "餐馆",
    "隔壁",
    "靠近",
)


# Problems a grid worker can see on patrol; the rest only the affected person reports.
_PATROL_KEYS = frozenset(
    [
        "oil_smoke",
        "construction_noise",
        "street_vendor",
        "garbage_pile",
        "clutter",
        "illegal_building",
        "rooftop_addition",
        "manhole",
        "street_light",
        "pothole",
        "signal_fault",
        "muck_spill",
        "tree_trim",
        "fallen_tree",
        "park_facility",
        "dust",
        "burning",
        "river_pollution",
        "facility_repair",
        "wall_falling",
        "pipe_leak",
        "sewer_block",
        "waterlogging",
        "exposed_wire",
        "illegal_parking",
        "fire_lane",
        "ebike_charging",
        "fire_facility",
        "school_safety",
        "pests",
        "square_dance",
        "ktv_noise",
        "elder_care",
        "fire_hazard",
    ]
)
# Personal matters (wages, refunds, service attitude): the place is context, not a spot to
# point at, so no "门口/对面" is added.
_PERSONAL_KEYS = frozenset(
    [
        "wage_arrears",
        "no_insurance",
        "prepaid_card",
        "taxi",
        "bus_service",
        "hospital_attitude",
        "unlicensed_food",
        "expired_food",
        "price_fraud",
        "property_fee",
        "gas_install",
        "delay_delivery",
        "tutoring",
        "property_service",
    ]
)


def _is_building(spot: str) -> bool:
    return any(ch in spot for ch in "栋幢") or "单元" in spot


# Everyday synonyms, so that several callers describing one incident do not read alike.
_SYNONYMS: list[tuple[str, list[str]]] = [
    ("特别", ["非常", "很", "十分"]),
    ("已经", ["都已经", "已"]),
    ("一直", ["始终", "总是"]),
    ("很危险", ["非常危险", "太危险了"]),
    ("根本", ["完全"]),
    ("好几", ["几"]),
    ("没人", ["没有人"]),
    ("经常", ["总是", "常常"]),
    ("晚上", ["夜里"]),
    ("小孩", ["孩子", "小朋友"]),
    ("老人", ["老年人"]),
    ("家里", ["屋里", "家中"]),
    ("现在", ["目前", "到现在"]),
    ("很大", ["特别大", "非常大"]),
    ("不敢", ["都不敢"]),
    ("附近", ["旁边"]),
    ("马上", ["立刻"]),
]


def _paraphrase(r: random.Random, text: str) -> str:
    for word, alts in _SYNONYMS:
        if word in text and r.random() < 0.45:
            text = text.replace(word, r.choice(alts))
    return text


def _clauses(text: str) -> list[str]:
    return [c for c in text.replace("；", "，").split("，") if c]


def _cn_small(n: int) -> str:
    return _CN_NUM[n] if n <= 10 else f"十{_CN_NUM[n - 10]}"


class _Writer:
    """Turns (template, place, channel) into title/content/address with natural variation."""

    def __init__(self, rng: random.Random, regions: dict[str, Any]) -> None:
        self.rng = rng
        self.idx = region_index(regions)

    def slots(self, tpl: Template) -> dict[str, str]:
        r = self.rng
        f = r.randint(2, 32)
        n = r.randint(2, 9)
        return {
            "tm": r.choice(_TM),
            "b": str(r.randint(1, 28)),
            "u": str(r.randint(1, 4)),
            "f": str(f),
            "f2": str(f + 1),
            "n": _cn_small(n) if r.random() < 0.5 else str(n),
            "nn": str(r.randint(12, 60)),
            "hh": r.choice(["两", "三", "四", "五", "六", "十几", "七八"]),
            "dur": r.choice(_DUR_SHORT if tpl.urgent else _DUR_LONG),
        }

    def place_text(self, place: dict[str, Any]) -> str:
        """The place as a person would write it: full name, alias, or with a typo."""
        r = self.rng
        name: str = place["name"]
        if place["aliases"] and r.random() < 0.3:
            name = r.choice(place["aliases"])
        if r.random() < 0.06:
            spots = [i for i, ch in enumerate(name) if ch in _TYPO]
            if spots:
                i = r.choice(spots)
                name = name[:i] + _TYPO[name[i]] + name[i + 1 :]
        return name

    def spot(self, tpl: Template, place: dict[str, Any], s: dict[str, str]) -> str:
        """Where exactly at the place: a building for indoor problems, a gate or stretch else."""
        r = self.rng
        kind = place["kind"]
        if kind == "小区":
            if tpl.indoor or r.random() < 0.35:
                return r.choice([f"{s['b']}栋", f"{s['b']}栋{s['u']}单元", f"{s['b']}幢", ""])
            return r.choice(["门口", "北门", "南门外", "里面", "东门旁边", "", "附近"])
        if kind == "道路":
            return r.choice(
                [f"{s['nn']}号附近", "与十字路口", "中段", "公交站旁边", "", "路口", "一带"]
            ).replace("与十字路口", "十字路口")
        if kind == "商铺":
            return r.choice(["", "", "", "门口", "旁边"])
        if kind == "公园":
            return r.choice(["东门", "里面", "西门广场", "湖边", "", "北门停车场"])
        return r.choice(["门口", "旁边", "对面", "", "附近", "里面" if kind != "道路" else ""])

    def admin_prefix(self, grid_code: str, full: bool) -> str:
        district = self.idx[grid_code[:6]]["name"]
        street = self.idx[grid_code[:9]]["name"]
        return f"{district}{street}" if full else district

    def address(self, channel: str, place: dict[str, Any], spot: str, place_txt: str) -> str | None:
        r = self.rng
        missing_p = {"hotline": 0.03, "sms": 0.35, "wechat": 0.2, "app": 0.2}.get(channel, 0.08)
        x = r.random()
        if x < missing_p:
            return None
        grid = place["grid_code"]
        if x < missing_p + 0.12:  # vague
            return r.choice(
                [f"{place_txt}附近", f"{self.admin_prefix(grid, False)}{place_txt}一带",
                 f"{self.admin_prefix(grid, True)}", f"{place_txt}那边"]
            )  # fmt: skip
        if r.random() < 0.6:
            return f"{self.admin_prefix(grid, True)}{place['name']}{spot}"
        if r.random() < 0.5:
            return f"{self.admin_prefix(grid, False)}{place_txt}{spot}"
        return f"{place_txt}{spot}"

    def content(
        self,
        tpl: Template,
        place: dict[str, Any],
        channel: str,
        reporter: str,
        raw_body: str,
        s: dict[str, str],
        several: bool = False,
    ) -> tuple[str, str, str | None]:
        """Write one caller's account; ``raw_body`` and slots are fixed per incident.

        Callers of an incident ``several`` people report give the full account: the
        same-incident matcher links on text similarity and is tested on these groups; varying
        their wording waits for a matcher that links on place evidence."""
        r = self.rng
        body = _paraphrase(r, raw_body.format(**s))
        style = r.choices(list(_STYLES), weights=list(_STYLES.values()))[0]
        if several:
            style = "full"
        if channel in ("hotline", "grid_patrol", "mailbox") and style == "terse":
            style = "partial"  # records and letters are never one line
        if channel == "grid_patrol" and style == "story":
            style = "full"  # a patrol report states what was found
        parts = _clauses(body)
        if style == "partial" and len(parts) > 2:
            keep = sorted(r.sample(range(1, len(parts)), r.randint(1, len(parts) - 2)))
            body = "，".join([parts[0], *(parts[i] for i in keep)])
        elif style == "story":
            pool = _HOTLINE_ASIDES if channel == "hotline" else _ASIDES
            aside = "，".join(r.sample(pool, r.randint(1, 2)))
            body = f"{body}，{aside}" if r.random() < 0.6 else f"{aside}，{body}"
        ptxt = self.place_text(place)
        spot = self.spot(tpl, place, s)
        if (tpl.consult or tpl.key in _PERSONAL_KEYS) and not _is_building(spot):
            spot = ""
        if body.startswith("小区"):
            # "X小区北门小区的消防栓" reads wrong: let the body's own 小区 stand for the place.
            body = body[2:] if place["kind"] == "小区" else "附近" + body
            spot = spot if _is_building(spot) else ""
        elif body.startswith(_SPOT_LIKE) and not _is_building(spot):
            spot = ""
        loc = f"{ptxt}{spot}"
        dur = ""
        if "{dur}" not in raw_body and r.random() < (0.3 if tpl.urgent else 0.5):
            dur = r.choice(_DUR_SENT).format(d=s["dur"])
        ask = r.choice(tpl.asks)
        if style == "terse":
            line = parts[0] if len(parts[0]) >= 6 or len(parts) == 1 else "，".join(parts[:2])
            if r.random() < 0.3:
                line = r.choice(tpl.titles)
            text = f"{loc}{'' if r.random() < 0.5 else '这里'}{line}{r.choice(_TERSE_ASK)}"
            while len(text) < 15:  # even a terse message says a little more than two words
                text += f"，{r.choice(_ASIDES)}"
            return text, spot, self.address(channel, place, spot, ptxt)
        if channel == "hotline":
            opener = r.choice(_HOTLINE_OPEN)
            options = [f"{loc}，", f"在{loc}，", f"{loc}"]
            if place["kind"] == "小区":
                options += [f"其居住的{loc}", f"来电人家住{loc}，"]
            where = r.choice(options)
            text = f"{opener}{where}{body}{dur}。{r.choice(_HOTLINE_ASK).format(a=ask)}"
            if r.random() < 0.25:
                text += r.choice(["来电人情绪激动。", "来电人称已多次反映。", "来电人要求回电。",
                                  "来电人要求保密。", "请尽快处理。"])  # fmt: skip
        elif channel == "grid_patrol":
            text = f"{r.choice(_GRID_OPEN)}{loc}{body}。{r.choice(_GRID_CLOSE)}"
        elif channel == "mailbox":
            who = r.choice(["家住", "住在", "在"])
            text = (
                f"尊敬的{r.choice(['市长', '领导', '市长及各位领导'])}：您好！我是{who}{loc}的"
                f"{r.choice(['居民', '一名普通市民', '业主', '退休职工'])}，"
                f"{body}{dur}。{r.choice(_ONLINE_ASK).format(a=ask)}"
                f"{r.choice(['此致敬礼！', '盼复！', '谢谢！'])}{reporter}"
            )
        elif channel == "sms":
            text = f"{loc}{body}{dur}，{ask}"
        else:
            opener = r.choice(_ONLINE_OPEN)
            if place["kind"] == "小区" and r.random() < 0.4:
                opener += r.choice([f"我是{ptxt}的住户，", f"我是{ptxt}的业主，",
                                    f"我住在{ptxt}，"])  # fmt: skip
                where = f"住{spot}，" if _is_building(spot) else ""
            else:
                options = [f"{loc}", f"在{loc}，", f"{loc}，"]
                if not body.startswith("在"):
                    options.append(f"{loc}这里")
                where = r.choice(options)
            ask_text = r.choice(_ONLINE_ASK).format(a=ask)
            close = r.choice(_ONLINE_CLOSE)
            if close[:2] in ask_text:  # no "谢谢！谢谢🙏"
                close = ""
            text = f"{opener}{where}{body}{dur}。{ask_text}{close}"
        # A few residents type traditional characters or full-width digits.
        if r.random() < 0.02:
            text = text.translate(_TRAD)
        if r.random() < 0.03:
            text = text.translate(_FULLWIDTH)
        return text, spot, self.address(channel, place, spot, ptxt)

    def title(self, tpl: Template, place: dict[str, Any], channel: str) -> str:
        r = self.rng
        if channel == "hotline" and r.random() < 0.45:
            return ""
        t = r.choice(tpl.titles)
        if r.random() < 0.35:
            short = place["aliases"][0] if place["aliases"] else place["name"]
            t = f"{short}{t}"
        return t


def _reply_text(
    rng: random.Random,
    tpl: Template,
    place: dict[str, Any],
    dept_name: str,
    replied_at: datetime,
) -> str:
    r = rng
    self_ref = next(
        (ref for suf, ref in (("办事处", "我街道"), ("公司", "我公司"), ("集团", "我集团"),
                              ("支队", "我支队"), ("委员会", "我委"), ("局", "我局")) if
         dept_name.endswith(suf)),
        "我单位",
    )  # fmt: skip
    nums = {"n": str(r.randint(2, 7)), "nn": str(r.randint(10, 99)),
            "tel": f"8{r.randrange(10**7):07d}"}  # fmt: skip
    action = r.choice(tpl.actions).format(**nums)
    law = f"根据{tpl.law}有关规定，" if tpl.law and r.random() < 0.7 else ""
    nxt = r.choice(tpl.nexts)
    close = r.choice(_REPLY_CLOSE).format(**nums)
    site_day = replied_at - timedelta(days=r.randint(0, 2))
    date = f"{site_day.month}月{site_day.day}日"
    greet = r.choice(["您好！", "市民您好！", "尊敬的市民：您好！", ""])
    if tpl.consult:
        return f"{greet}{self_ref}收到您的诉求后，{action}。{nxt}。{close}"
    if r.random() < 0.05:
        finding = "现场未发现所反映的问题，已安排人员持续关注"
        return f"{greet}{self_ref}于{date}安排工作人员到{place['name']}现场核查，{finding}。{close}"
    finding = r.choice(["反映情况属实", "反映问题基本属实", "现场情况与反映一致"])
    opening = r.choice(
        [f"{self_ref}收到诉求后高度重视，于{date}安排工作人员到{place['name']}现场核查。",
         f"接到工单后，{self_ref}立即安排人员于{date}到现场查看。",
         f"关于您反映的{place['name']}相关问题，{self_ref}于{date}进行了现场核实。"]
    )  # fmt: skip
    return f"{greet}{opening}经核实，{finding}。{law}{action}。{nxt}。{close}"


def _office_dispatch(rng: random.Random, received: datetime, urgent: bool) -> int:
    """Minutes until dispatch: urgent at once; otherwise the 8:00-22:00 desk works the queue."""
    if urgent:
        return rng.randint(3, 25)
    local = received.astimezone(TZ)
    if 8 <= local.hour < 22:
        return min(int(rng.lognormvariate(math.log(45), 0.8)) + 3, 600)
    opening = datetime.combine(local.date(), time(8, 0), TZ)
    if local.hour >= 22:
        opening += timedelta(days=1)
    wait = int((opening - local).total_seconds() // 60)
    return wait + rng.randint(5, 120)


def _received_time(rng: random.Random, start: datetime, now: datetime) -> datetime:
    """A time in (start, now): fewer on weekends, office hours busiest, a trickle at night."""
    total_days = (now.date() - start.date()).days + 1
    while True:
        day = start.date() + timedelta(days=rng.randrange(total_days))
        if day.weekday() >= 5 and rng.random() > 0.6:
            continue
        hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
        t = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), TZ)
        if start < t < now:
            return t


def _daytime(t: datetime, rng: random.Random) -> datetime:
    """Move a follow-up call that would fall at night to the next morning."""
    if 9 <= t.hour < 20:
        return t
    day = t.date() + timedelta(days=1 if t.hour >= 20 else 0)
    return datetime.combine(day, time(9, rng.randrange(60), rng.randrange(60)), t.tzinfo)


def _sec(t: datetime | None) -> datetime | None:
    return t.replace(microsecond=0) if t is not None else None


def _outcome(
    rng: random.Random,
    tpl: Template,
    place: dict[str, Any],
    received: datetime,
    now: datetime,
    dept_names: dict[str, str],
    clock: SlaClock,
) -> Outcome:
    l1, l2, l3 = tpl.category.split("/")
    rule = resolve_route(l1, l2, l3, place["grid_code"])
    lead: str = rule["lead"]
    limit_text: str = rule["urgent"] if tpl.urgent else rule["normal"]
    limit = TimeLimit.parse(limit_text)

    delay = _office_dispatch(rng, received, tpl.urgent)
    dispatched = received + timedelta(minutes=delay)

    cancelled_at = received + timedelta(hours=rng.uniform(0.3, 20))
    cancelled = rng.random() < 0.01 and cancelled_at < now
    returned = not tpl.urgent and rng.random() < 0.06
    returned_by = return_reason = None
    returned_at = redispatched = None
    final_dispatch = dispatched
    if returned:
        wrong = [d for d in _CONFUSED_WITH[l1] if d != lead]
        if wrong:
            returned_by = rng.choice(wrong)
            return_reason = rng.choice(_RETURN_REASONS).format(dept=dept_names[lead])
            # Departments return within office hours; the desk re-dispatches in its own hours.
            returned_at = clock.add_working_seconds(dispatched, rng.uniform(0.3, 8) * 3600)
            redispatched = returned_at + timedelta(
                minutes=_office_dispatch(rng, returned_at, False)
            )
            final_dispatch = redispatched
        else:
            returned = False

    accept_h = rng.uniform(0.03, 0.4) if tpl.urgent else min(rng.expovariate(1 / 2.5), 20.0)
    accepted = (
        final_dispatch + timedelta(hours=accept_h)
        if tpl.urgent
        else clock.add_working_seconds(final_dispatch, accept_h * 3600)
    )

    extension = not tpl.urgent and rng.random() < 0.05
    ext_days = rng.choice([3, 5, 7, 10]) if extension else None
    ext_reason = (
        f"{rng.choice(_EXTENSION_REASONS)}，申请延期{ext_days}个工作日" if extension else None
    )
    due = clock.due_at(final_dispatch, limit)
    allowed = clock.working_seconds_between(final_dispatch, due)
    ext_at = clock.add_working_seconds(final_dispatch, allowed * rng.uniform(0.4, 0.9))
    ext_at = max(ext_at, accepted + timedelta(minutes=30))  # asked for by the acceptor
    if ext_days:
        due = clock.due_at(due, TimeLimit(ext_days, TimeUnit.DAYS))
        allowed = clock.working_seconds_between(final_dispatch, due)

    overdue = rng.random() < 0.08
    frac = rng.uniform(1.02, 1.7) if overdue else min(max(rng.betavariate(2.2, 2.2), 0.12), 0.98)

    def at_fraction(f: float) -> datetime:
        if tpl.urgent:  # emergencies are handled round the clock
            return final_dispatch + timedelta(hours=limit.amount * f)
        return clock.add_working_seconds(final_dispatch, allowed * f)

    if tpl.urgent:
        frac = max(frac, (accepted - final_dispatch) / timedelta(hours=limit.amount) + 0.02)
    else:
        used = clock.working_seconds_between(final_dispatch, accepted)
        if ext_days:  # the reply comes after the extension was asked for
            used = max(used, clock.working_seconds_between(final_dispatch, ext_at))
        frac = max(frac, used / allowed + 0.02)
    replied = max(at_fraction(frac), accepted + timedelta(minutes=rng.randint(5, 60)))
    reply_text = _reply_text(rng, tpl, place, dept_names[lead], replied)

    urged = rng.random() < (0.45 if overdue else 0.03)
    urged_at = at_fraction(min(frac * rng.uniform(0.6, 0.95), 1.0)) if urged else None

    rated_at = _daytime(replied + timedelta(hours=rng.uniform(2, 40)), rng)  # 回访 by phone
    p_unsat = 0.08 + (0.25 if overdue else 0) + (0.1 if returned else 0)
    x = rng.random()
    rating: str | None
    if x < 0.07:
        rating = None  # 回访未接通 / declined to rate
    elif x < 0.07 + p_unsat:
        rating = "unsatisfied"
    elif x < 0.07 + p_unsat + 0.16:
        rating = "basically_satisfied"
    else:
        rating = "satisfied"
    reopened = rating == "unsatisfied" and rng.random() < 0.5
    second_at = rated_at + timedelta(hours=rng.uniform(20, 120)) if reopened else None
    second_text = (
        _reply_text(rng, tpl, place, dept_names[lead], second_at)
        if reopened and second_at
        else None
    )

    # Replay the timeline against "now" (and a cancellation) to find where the appeal stands.
    horizon = cancelled_at if cancelled else now

    def seen(t: datetime | None) -> datetime | None:
        return t if t is not None and t < horizon else None

    if cancelled:
        stage = "cancelled"
    elif dispatched >= now:
        stage = "pending_dispatch"
    elif accepted >= now:
        stage = "dispatched"
    elif replied >= now:
        stage = "in_progress" if now > accepted + (replied - accepted) * 0.3 else "accepted"
    elif rated_at >= now:
        stage = "replied"
    elif second_at is not None and second_at >= now:
        stage = "in_progress"  # reopened after an unsatisfied rating, second reply pending
    else:
        stage = "closed"
    did_return = returned and seen(redispatched) is not None
    did_extend = extension and seen(ext_at) is not None
    did_reply = seen(replied) is not None
    did_rate = seen(rated_at) is not None
    did_second = seen(second_at) is not None

    return Outcome(
        stage=stage,
        still_open=stage in STAGES_OPEN,
        lead_dept=lead,
        co_depts=tuple(rule["co"]),
        time_limit=limit_text,
        due_at=due.replace(microsecond=0),
        dispatch_delay_minutes=delay,
        dispatched_at=_sec(seen(dispatched)),
        returned=did_return,
        returned_by=returned_by if did_return else None,
        return_reason=return_reason if did_return else None,
        returned_at=_sec(returned_at if did_return else None),
        redispatched_at=_sec(redispatched if did_return else None),
        accept_delay_hours=round(accept_h, 3),
        accepted_at=_sec(seen(accepted)),
        extension=did_extend,
        extension_days=ext_days if did_extend else None,
        extension_reason=ext_reason if did_extend else None,
        extension_requested_at=_sec(ext_at if did_extend else None),
        reply_after_fraction=round(frac, 4),
        replied_at=_sec(replied if did_reply else None),
        reply_text=reply_text if did_reply else None,
        urged=urged and seen(urged_at) is not None,
        urged_at=_sec(seen(urged_at) if urged else None),
        rating=rating if did_rate else None,
        rated_at=_sec(rated_at if did_rate else None),
        reopened=reopened and did_rate,
        second_replied_at=_sec(second_at if did_second else None),
        second_reply_text=second_text if did_second else None,
        cancelled=cancelled,
        cancel_reason=rng.choice(_CANCEL_REASONS) if cancelled else None,
        cancelled_at=_sec(cancelled_at if cancelled else None),
    )


def _jitter(rng: random.Random, lon: float, lat: float, sigma_m: float) -> tuple[float, float]:
    dlat = rng.gauss(0, sigma_m) / 111_320
    dlon = rng.gauss(0, sigma_m) / (111_320 * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def generate_appeals(
    regions: dict[str, Any],
    gazetteer: list[dict[str, Any]],
    taxonomy: list[dict[str, str]],
    now: datetime,
    days: int = 180,
    count: int = 3200,
    seed: int = 7,
) -> list[DemoAppeal]:
    """Generate ``count`` appeals received in the ``days`` before ``now``, sorted by time.

    ``now`` may be naive (taken as Asia/Shanghai) or aware. About 15% of appeals belong to
    multi-caller incidents (2-8 callers, same place and category, within 48 h).
    """
    now = now.replace(tzinfo=TZ) if now.tzinfo is None else now.astimezone(TZ)
    start = now - timedelta(days=days)
    rng = random.Random(seed)
    people = PeopleGenerator(seed + 1)
    writer = _Writer(random.Random(seed + 2), regions)
    out_rng = random.Random(seed + 3)
    shapes = region_shapes(regions)
    dept_names = {d["code"]: d["name"] for d in build_departments()}
    clock = SlaClock(_work_calendar())

    known = {(t["l1"], t["l2"], t["l3"]) for t in taxonomy}
    templates = [t for t in TEMPLATES if tuple(t.category.split("/")) in known]
    if not templates:
        raise ValueError("taxonomy shares no category with the demo templates")
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in gazetteer:
        by_kind[p["kind"]].append(p)
    usable = [t for t in templates if any(by_kind[k] for k in t.kinds)]

    def pick_place(tpl: Template) -> dict[str, Any]:
        kinds = [k for k in tpl.kinds if by_kind[k]]
        return rng.choice(by_kind[rng.choice(kinds)])

    # Plan incidents: a list of (template, place, [received times]).
    target_multi = round(0.15 * count)
    plans: list[tuple[Template, dict[str, Any], list[datetime]]] = []
    multi = 0
    sizes, size_w = list(_INCIDENT_SIZES), list(_INCIDENT_SIZES.values())
    # Many neighbours call about the same gas leak or outage, so urgent problems weigh more.
    multi_w = [t.weight * (4.0 if t.urgent else 1.0) for t in usable]
    while multi < target_multi:
        size = rng.choices(sizes, weights=size_w)[0]
        size = min(size, max(target_multi - multi, 2))
        tpl = rng.choices(usable, weights=multi_w)[0]
        first = _received_time(rng, start, now)
        times = [first]
        for _ in range(size - 1):
            # Most follow-up calls come within hours; a few a day or two later.
            gap = timedelta(hours=min(rng.expovariate(1 / (1.5 if tpl.urgent else 8.0)), 47.5))
            if first + gap >= now:
                gap = (now - first) * rng.random()
            times.append(first + gap)
        plans.append((tpl, pick_place(tpl), [t.replace(microsecond=0) for t in times]))
        multi += size
    single_w = [t.weight * (1.25 if t.urgent else 1.0) for t in usable]
    while multi < count:
        tpl = rng.choices(usable, weights=single_w)[0]
        plans.append((tpl, pick_place(tpl), [_received_time(rng, start, now)]))
        multi += 1

    channels, ch_w = list(CHANNEL_MIX), list(CHANNEL_MIX.values())
    raw: list[tuple[datetime, str, dict[str, Any]]] = []
    for i, (tpl, place, times) in enumerate(plans):
        incident_id = f"INC-{i + 1:05d}"
        # The incident's real location: near the gazetteer point, inside the same grid.
        grid_poly = shapes[place["grid_code"]]
        tlon, tlat = _jitter(rng, place["lon"], place["lat"], 15.0)
        if not grid_poly.contains(_pt(tlon, tlat)):
            tlon, tlat = place["lon"], place["lat"]
        # One concrete problem per incident: callers differ in wording, not in what happened.
        raw_body = rng.choice(tpl.bodies_for(place["kind"]))
        slots = writer.slots(tpl)
        for t in times:
            channel = rng.choices(channels, weights=ch_w)[0]
            if channel == "grid_patrol" and tpl.key not in _PATROL_KEYS:
                channel = "hotline"
            reporter = people.name()
            title = writer.title(tpl, place, channel)
            content, _spot, address = writer.content(
                tpl, place, channel, reporter, raw_body, slots, several=len(times) > 1
            )
            lon = lat = None
            if rng.random() < _COORD_P[channel]:
                lon, lat = _jitter(rng, tlon, tlat, _COORD_SIGMA_M[channel])
            l1, l2, l3 = tpl.category.split("/")
            raw.append(
                (
                    t,
                    channel,
                    {
                        "title": title,
                        "content": content,
                        "address": address,
                        "lon": lon,
                        "lat": lat,
                        "true_lon": tlon,
                        "true_lat": tlat,
                        "true_grid_code": place["grid_code"],
                        "true_place_name": place["name"],
                        "true_place_kind": place["kind"],
                        "l1": l1,
                        "l2": l2,
                        "l3": l3,
                        "urgency": "urgent" if tpl.urgent else "normal",
                        "reporter_name": reporter,
                        "reporter_phone": people.phone(),
                        "incident_id": incident_id,
                        "template_key": tpl.key,
                        "outcome": _outcome(out_rng, tpl, place, t, now, dept_names, clock),
                    },
                )
            )

    raw.sort(key=lambda x: (x[0], x[2]["incident_id"]))
    seq: dict[tuple[str, str], int] = defaultdict(int)
    appeals: list[DemoAppeal] = []
    for t, channel, fields in raw:
        day = t.strftime("%Y%m%d")
        seq[(channel, day)] += 1
        ext = f"{_ID_PREFIX[channel]}{day}{seq[(channel, day)]:04d}"
        appeals.append(DemoAppeal(external_id=ext, channel=channel, received_at=t, **fields))
    return appeals


class _WeekdayCalendar:
    """Mon-Fri fallback when the chinese_calendar adapter is unavailable."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


def _work_calendar() -> Any:
    # The same calendar the service layer uses, so fractions and deadlines replay identically.
    try:
        from cityloop.workcalendar import ChineseWorkCalendar

        return ChineseWorkCalendar()
    except ImportError:  # pragma: no cover
        return _WeekdayCalendar()


def _pt(lon: float, lat: float) -> Any:
    from shapely.geometry import Point

    return Point(lon, lat)


def incident_pairs(appeals: list[DemoAppeal]) -> set[frozenset[str]]:
    """Ground-truth duplicate pairs: every two appeals sharing an incident_id (by external_id)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for a in appeals:
        groups[a.incident_id].append(a.external_id)
    return {
        frozenset((ids[i], ids[j]))
        for ids in groups.values()
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
    }
