"""Tense and mood around a danger cue: is the danger here now, or past, feared, denied,
already handled, asked about, or announced?

Each check looks at the words around one cue, within its clause or sentence, so that
"担心有人中毒" does not cancel "屋里有明显的液化气味道" said just before it.
"""

from __future__ import annotations

import re

CLAUSE_BREAK = re.compile(r"[，,。！？!?；;：:\s、~～…]")
SENTENCE_BREAK = re.compile(r"[。！？!?\n]")

NEGATED = "negated"
HYPOTHETICAL = "hypothetical"
PAST = "past"
HANDLED = "handled"
INQUIRY = "inquiry"
CONSUMER = "consumer"
PLANNED = "planned"

# Right before the cue: "没有燃气泄漏", "电梯没困人", "不是着火".
NEGATION_RE = re.compile(r"(?:没有|没|未|不是|并非|并没有|无(?![法人论奈]))[^，。！？\s]{0,2}$")
# A fear, a condition or a precaution: the danger has not happened.
HYPOTHESIS_RE = re.compile(
    r"万一|如果|要是|假如|假设|一旦|倘若|(?<![哪恐])怕|担心|害怕|生怕|以免|防止|预防|避免|以防|防范|"
    r"会不会|可能会|容易|迟早|早晚会|哪天|有一天|有日|(?<![吃震])惊(?=有|会|怕)|下次|将来|以后(?![，。])|隐患|风险|建议"
)
# Inside the cue itself: "台风来了会倒在电线上".
HYPOTHESIS_IN_CUE_RE = re.compile(r"会|可能|万一|如果|要是|担心|怕")
# Before the cue, in its sentence: a time that is over.
PAST_BEFORE_RE = re.compile(
    r"去年|前年|那次|那回|那场|上次|上回|几年前|\d+年前|[一二两三四五六七八九十几]年前|那年|当年|"
    r"前些年|前几年|上个月|上月|上周|上星期|前几天|前天|曾经|曾|以前|之前|(?<![晕昏死走跑冲飘扑游漂爬跳掉滚倒撞])过去|[一二三四五六七八九十\d]+月份"
)
# Right after the cue: "火灾后…", "困人以后…", "塌陷那次", "发生过".
_PAST_AFTER = re.compile(
    r"^(?:了)?(?:以后|之后|后来|那次|那回|的事|事故|事件|过|后(?![果面边头院山巷门方备]))"
)
# In the cue's own clause: the danger is (again) present.
NOW_RE = re.compile(
    r"现在还(?!没)|目前还(?!没)|还在|仍在|正在|依然|今天|刚才|刚刚|此刻|又(?:开始)?(?:冒|烧|漏|响|有)"
)
_HANDLED = re.compile(
    r"(?<![没未不])(?<!没有)(?<!还没)"
    r"(?:处理好|处理完|修好|修复了|扑灭|(?<!灯)(?<!全部)熄灭|灭了|救出|放出来|已经出来|已出来|解救|接好|补上|清理完|"
    r"清理干净|拖走|排除了)"
    r"|误报|虚惊一场|确认(?:无|没有)泄漏|人没事|没事了|没得事|已(?:经)?(?:解决|恢复|处置完)"
    r"|(?:原来|发现|说)是[^，。！？]{0,12}(?:烤|熏|做饭|炒菜|烧烤|蒸|煮|烧纸|烧香|排风|油烟|下水道|返味)"
    r"|没得?(?:啥子?|什么)事(?![情吧吗])|(?:人|老人|孩子|小孩)?找到了|不用找了|恢复供[电水]|抽干了"
    r"|(?:捞|救|拉|扶)(?:起来|上来)了|已经[^，。！？]{0,10}(?:换了|换好了|修了|处理了)"
)
_STILL = re.compile(
    r"还在|仍在|仍然|依然|继续|未完全|没有完全|还没灭|还是有|又(?:开始)?(?:冒|烧|漏)"
)
INQUIRY_RE = re.compile(
    r"咨询|请问|想问|问一下|问问|想了解|了解一下|怎么查|怎么交|怎么办理|如何办理|怎么申请|"
    r"怎么举报|多少钱|收费|账单|缴费|交费|报装|开户|补贴|报销|培训|讲座|演练|演习|宣传|"
    r"新闻|报道|电视上|视频里|外地|保险|赔偿|谁来赔|听说|疫苗|在哪(?:里|儿)?(?:打|办|买)|申请|能否|可否"
)
_CONSUMER = re.compile(
    r"商家|退货|退款|售后|网购|不给退|拒绝退|质量问题|质量有问题|三包|维权|买的|购买的"
)
# A condition in an earlier clause of the sentence and a consequence in the cue's own clause.
_CONDITION = re.compile(r"要是|如果|万一|假如|假设|一旦|倘若|若是|哪天")
_CONSEQUENCE = re.compile(r"肯定|就会|会|就|得|可能|怎么办")
# Denied inside the cue's own words: "燃气公司来测了没得漏气", "电梯停了，好在没人在里面".
_NEGATED_IN_CUE = re.compile(
    r"(?:没得|没有|没)(?=漏|泄漏|着火|起火|冒烟|困)|(?:没人|没有人|没得人|无人)(?:在|被)"
)
# "会着火", "电线老化会漏电": what would happen, said right before the danger.
_WOULD = re.compile(r"(?<![开机社聚约学晚早])会$")
_URGENTNOW_RE = re.compile(r"正在|还在|救命|快来|速来|赶紧|马上|立即|立刻")
_PLANNED = re.compile(
    r"收到[^，。]{0,4}(?:通知|短信)|短信说|\d+点至|至次日|是否属实|计划|(?<!没有任何)(?<!没有)(?<!没)(?<!未)通知|将于|检修|预计|明天|明早|下周|周[一二三四五六日末]|本周|改造|安排|听说|要停"
)


def clause_start(text: str, pos: int) -> int:
    found = [m.end() for m in CLAUSE_BREAK.finditer(text, 0, pos)]
    return found[-1] if found else 0


def clause_end(text: str, pos: int) -> int:
    m = CLAUSE_BREAK.search(text, pos)
    return m.start() if m else len(text)


def sentence_start(text: str, pos: int) -> int:
    found = [m.end() for m in SENTENCE_BREAK.finditer(text, 0, pos)]
    return found[-1] if found else 0


def sentence_end(text: str, pos: int) -> int:
    m = SENTENCE_BREAK.search(text, pos)
    return m.end() if m else len(text)


# A denial, anywhere in the text, of the very danger a cue names ("闻到烟味，是邻居煮中药，没有
# 着火"; "电梯门打不开，里面没人"): that cue is set aside, other cues still count.
_FIRE_DENIED = r"(?<!有)(?:没有|没得|没|不是|并非)(?:着火|起火|失火|火灾|明火)"
_TRAPPED_DENIED = (
    r"(?:里面|里头|里边|轿厢里)(?:没人|没有人|没得人|无人)"
    r"|(?<!有)(?:没有|没得|没)(?:困人|困到人|关到人|人被困)|(?:没人|没有人|没得人)被?困"
)
_DENIALS: dict[str, re.Pattern[str]] = {
    "fire": re.compile(_FIRE_DENIED),
    "smoke": re.compile(_FIRE_DENIED),
    "gas_leak": re.compile(
        r"(?<!有)(?:没有|没得|没|不是|无)(?:漏气|泄漏|漏)|确认(?:无|没有)泄漏|报警器(?:坏了|误报)"
    ),
    "trapped": re.compile(_TRAPPED_DENIED),
    "lift_fault": re.compile(_TRAPPED_DENIED),
    "live_wire": re.compile(r"(?:线|电线|线子|电缆)(?:没断|没有断|没掉|没有掉|没落)"),
    "tree_on_wires": re.compile(r"(?:线|电线|线子|电缆)(?:没断|没有断|没掉|没有掉|没落)"),
    "manhole_open": re.compile(r"(?:但是|不过|还)没(?:有)?(?:掉|丢|翻)"),
}


def denied(hazard: str, text: str) -> bool:
    pattern = _DENIALS.get(hazard)
    return bool(pattern and pattern.search(text))


def denies_any(text: str) -> bool:
    """The text denies some danger outright: the model, which names none, keeps quiet."""
    return any(p.search(text) for p in _DENIALS.values())


def text_handled(text: str) -> bool:
    """The caller says the matter is over (已扑灭, 已经放出来了, 误报) and nothing still goes on."""
    return bool(_HANDLED.search(text)) and not _STILL.search(text)


# A drill or a lesson: fire and smoke are acted, not real.
_DRILL = re.compile(r"演练|演习|模拟了?|培训|讲座")


def text_drill(text: str) -> bool:
    return bool(_DRILL.search(text)) and not _URGENTNOW_RE.search(text)


def text_consumer(text: str) -> bool:
    """A product complaint after the fact (买的…冒烟，商家不给退), not a danger now."""
    return bool(_CONSUMER.search(text)) and not _URGENTNOW_RE.search(text)


def blocked(text: str, start: int, end: int, *, outage: bool) -> str | None:
    """Why the cue at text[start:end] is no danger now, or None when it is."""
    c0 = clause_start(text, start)
    c1 = clause_end(text, end)
    s0 = sentence_start(text, start)
    before = text[c0:start]
    if NEGATION_RE.search(text[max(c0, start - 4) : start]) or _NEGATED_IN_CUE.search(
        text[start:end]
    ):
        return NEGATED
    if (
        HYPOTHESIS_RE.search(before)
        or HYPOTHESIS_IN_CUE_RE.search(text[start:end])
        or _WOULD.search(before)
    ):
        return HYPOTHETICAL
    clause = text[c0:c1]
    if _CONDITION.search(text[s0:c0]) and _CONSEQUENCE.search(clause):
        return HYPOTHETICAL  # "要是哪天地震了，这个老楼肯定塌"
    if INQUIRY_RE.search(clause):
        return INQUIRY
    if not NOW_RE.search(clause) and (
        PAST_BEFORE_RE.search(text[max(s0, start - 24) : start]) or _PAST_AFTER.search(text[end:])
    ):
        return PAST
    if outage and _PLANNED.search(text[s0 : sentence_end(text, end)]):
        return PLANNED
    return None
