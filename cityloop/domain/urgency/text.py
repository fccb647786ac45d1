"""Text as the detector reads it: one character for one, so a match points into the original.

Callers type fast and on phones: full-width digits, homophone typos (然气, 电悌, 着活) and
figures of speech that contain danger words (急死了, 火爆, 困扰). Normalising keeps every
character's position, so the evidence shown to the dispatcher is the caller's own words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MASK = "□"  # stands in for a masked character; matches no cue

# Homophone and shape typos seen in hotline and WeChat text, each replaced by a word of the
# same length. The look-behinds keep real words intact (突然气温, 自然气候).
_TYPOS: tuple[tuple[str, str], ...] = (
    (r"(?<![突虽自当忽果竟仍既显依居偶天])然气", "燃气"),
    (r"煤汽", "煤气"),
    (r"燃汽", "燃气"),
    (r"天然汽", "天然气"),
    (r"液化汽", "液化气"),
    (r"漏汽", "漏气"),
    (r"泄露", "泄漏"),
    (r"电[悌涕弟第]", "电梯"),
    (r"着活", "着火"),
    (r"起活", "起火"),
    (r"跌到(?=[了在，。！\s]|$)", "跌倒"),
    (r"摔到(?=[了在，。！\s]|$)", "摔倒"),
    (r"拌了一跤", "绊了一跤"),
    (r"[踏蹋]陷", "塌陷"),
    (r"困主", "困住"),
    (r"卡主", "卡住"),
    (r"rq(?=味|气|管|泄|漏|灶|表|费|公司|报警)", "燃气"),
    (r"井该(?=没|不见|丢|被|坏|碎|掀|盖)", "井盖"),
    (r"燃起(?=味)", "燃气"),
    (r"被所在", "被锁在"),
    (r"关主", "关住"),
    (r"红路灯", "红绿灯"),
    (r"井改", "井盖"),
    (r"冒火心", "冒火星"),
    (r"大快", "大块"),
    (r"触点(?=了|啦)", "触电"),
)
_TYPO_RES = tuple((re.compile(p), r) for p, r in _TYPOS)

# Cantonese written as spoken (粤语口语字), one character for one, so the cues read it:
# 跌咗 → 跌了, 唔 → 不, 拎唔出嚟 → 拎不出来, 喺 → 在, 冇 → 没.
_CANTONESE = str.maketrans(
    {"咗": "了", "唔": "不", "嚟": "来", "喺": "在", "冇": "没", "佢": "他", "嘅": "的"}
)

# Figures of speech and everyday words that contain a danger word but name no danger.
_FIGURES = re.compile(
    "|".join(
        (
            r"急[死疯坏]",
            r"火冒三丈",
            r"火烧眉毛",
            r"火爆",
            r"火得不行",
            r"生意火",
            r"着急上火",
            r"上火",
            r"一肚子火",
            r"发火",
            r"恼火",
            r"炸开?了?锅",
            r"(?:差点|差一点|险些)[^，。！？\s]{0,2}(?:晕过去|昏过去|气死|吓死|急死)",
            r"(?<![煤燃])气炸",
            r"(?:群|头|脑袋|肺|心)[^，。！？\s]{0,4}炸",
            r"人都快?要?炸",
            r"气得?[^，。！？\s]{0,2}冒烟",
            r"要了?老?命",
            r"困扰",
            r"困在[^，。！？\s]{0,10}(?:问题|事情|事|手续|纠纷|流程)",
            r"(?:问题|事情|事|手续|官司)困",
            r"[梦]到[^。！？]*",
            r"[梦]见[^。！？]*",
            r"晒化",
            r"中暑",
            r"火锅|火车|火腿|火柴|火化|火葬|火龙果|火箭|火速",
            r"打火[机器]|[打点]不?着火",
            r"抽烟|吸烟|烟头|烟味|香烟|烟酒|烟花|烟草|烟感",
            r"油烟机?|烟熏火燎|烟雾报警器|烟雾探测器",
            r"(?:灶|炉)(?:具|的)?火苗?|火苗(?:发黄|发红|偏小|太小|忽大忽小)",
            r"(?:燃气|煤气|天然气)(?:费|账单|表费)",
        )
    )
)


class _HalfWidth(dict[int, str]):
    """str.translate's table for half-width lower case, filled in per character on first
    sight: NFKC where it keeps one character (so lengths never change), else the character."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        n = unicodedata.normalize("NFKC", c)
        self[code] = out = n.lower() if len(n) == 1 else c
        return out


_HALF_WIDTH = _HalfWidth()


@lru_cache(maxsize=256)  # the cues and the model each read the same text
def normalise(text: str) -> str:
    """Half-width, lower case, common typos fixed and figures of speech masked; the result
    has exactly the length of `text`."""
    out = text.translate(_HALF_WIDTH).translate(_CANTONESE)
    for pattern, replacement in _TYPO_RES:
        out = pattern.sub(replacement, out)
    return _FIGURES.sub(lambda m: MASK * len(m.group(0)), out)
