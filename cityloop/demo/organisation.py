"""Departments, hotline taxonomy, linkage list (联动清单) and gazetteer (地址库) of 云河市.

Region codes refer to :func:`cityloop.demo.geography.build_regions`. The taxonomy, departments
and linkage list do not depend on a seed (they are policy, not randomness); only the gazetteer
placement does.
"""

from __future__ import annotations

import random
from typing import Any

from shapely.geometry import Point

from cityloop.demo.geography import (
    CITY_CODE,
    DISTRICTS,
    LEVEL_GRID,
    region_index,
    region_shapes,
)

# --------------------------------------------------------------------------------------------
# Departments
# --------------------------------------------------------------------------------------------

_CITY_DEPTS: list[tuple[str, str]] = [
    ("D-CG", "市城市管理局"),
    ("D-ZJ", "市住房和城乡建设局"),
    ("D-HB", "市生态环境局"),
    ("D-SW", "市水务局"),
    ("D-ZLS", "云河市自来水有限公司"),
    ("D-GD", "国网云河供电公司"),
    ("D-RQ", "云河燃气有限公司"),
    ("D-GA", "市公安局"),
    ("D-JJ", "市公安局交通警察支队"),
    ("D-JT", "市交通运输局"),
    ("D-GJ", "云河公交集团"),
    ("D-SJ", "市市场监督管理局"),
    ("D-RS", "市人力资源和社会保障局"),
    ("D-JY", "市教育局"),
    ("D-WJ", "市卫生健康委员会"),
    ("D-MZ", "市民政局"),
    ("D-YB", "市医疗保障局"),
    ("D-ZR", "市规划和自然资源局"),
    ("D-YL", "市园林绿化局"),
    ("D-XF", "市消防救援支队"),
    ("D-YJ", "市应急管理局"),
    ("D-WG", "市文化广电旅游局"),
    ("D-ZW", "市政务服务管理局"),
]
# Short pinyin tags used in department codes of district and street bodies.
_DISTRICT_TAGS = {"990102": "LJ", "990105": "QS"}
_STREET_TAGS = ["BJ", "WJ", "JC", "QF", "CH", "SQ"]


def build_departments() -> list[dict[str, Any]]:
    """Departments: ``{code, name, level: "city"|"district"|"street", region_code}``."""
    depts: list[dict[str, Any]] = [
        {"code": c, "name": n, "level": "city", "region_code": CITY_CODE} for c, n in _CITY_DEPTS
    ]
    street_i = 0
    for dcode, dname, streets in DISTRICTS:
        tag = _DISTRICT_TAGS[dcode]
        depts.append(
            {
                "code": f"D-{tag}CG",
                "name": f"{dname}城市管理局",
                "level": "district",
                "region_code": dcode,
            }
        )
        depts.append(
            {
                "code": f"D-{tag}ZJ",
                "name": f"{dname}住房和城乡建设局",
                "level": "district",
                "region_code": dcode,
            }
        )
        for si, (sname, _communities) in enumerate(streets, start=1):
            depts.append(
                {
                    "code": f"D-JD-{_STREET_TAGS[street_i]}",
                    "name": f"{dname}{sname}办事处",
                    "level": "street",
                    "region_code": f"{dcode}{si:03d}",
                }
            )
            street_i += 1
    return depts


def street_dept_code(street_code: str) -> str:
    """Department code of the 街道办事处 for a 9-digit street code."""
    for d in build_departments():
        if d["level"] == "street" and d["region_code"] == street_code:
            return str(d["code"])
    raise KeyError(street_code)


# --------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------

_TAXONOMY: dict[str, dict[str, list[str]]] = {
    "城市管理": {
        "市容环境": ["占道经营", "乱堆乱放", "违规户外广告", "垃圾清运不及时", "道路保洁"],
        "违法建设": ["违章搭建", "楼顶加建", "私挖地下室"],
        "市政设施": ["井盖缺失破损", "路灯不亮", "人行道破损"],
        "渣土管理": ["渣土车遗撒", "偷倒建筑垃圾"],
    },
    "园林绿化": {
        "树木管护": ["树木修剪", "倒伏树木", "树木病虫害"],
        "绿地管理": ["毁绿占绿", "公园设施损坏"],
    },
    "生态环境": {
        "大气污染": ["餐饮油烟", "工地扬尘", "露天焚烧", "异味扰民"],
        "噪声污染": ["建筑施工噪声", "社会生活噪声", "商业经营噪声"],
        "水污染": ["河道污染", "污水直排"],
    },
    "住房和城乡建设": {
        "物业管理": ["物业服务质量", "物业收费", "公共维修资金", "小区公共设施维修"],
        "房屋安全": ["房屋裂缝", "外墙脱落"],
        "建设工程": ["夜间施工", "施工围挡", "拖欠工程款"],
        "房地产市场": ["延期交房", "房屋质量"],
    },
    "水电气": {
        "供水": ["停水", "水压不足", "水质异常", "供水管道漏水"],
        "排水": ["下水道堵塞", "道路积水"],
        "供电": ["停电", "电压不稳", "电力设施隐患"],
        "燃气": ["燃气泄漏", "燃气停气", "燃气安装维修"],
    },
    "交通出行": {
        "道路设施": ["路面坑洼", "路面塌陷", "交通信号灯故障", "交通标志标线"],
        "公共交通": ["公交服务", "公交站点设置", "出租车网约车"],
        "停车管理": ["车辆乱停乱放", "停车收费", "占用消防通道"],
    },
    "市场监管": {
        "食品安全": ["无证经营", "食品过期变质", "餐饮卫生"],
        "消费维权": ["预付卡退费", "商品质量", "价格违法"],
        "特种设备": ["电梯故障", "电梯困人"],
    },
    "公共安全": {
        "消防安全": ["消防设施损坏", "电动车违规充电", "火灾隐患"],
        "社会治安": ["治安隐患", "噪音扰民报警", "可疑人员"],
        "安全生产": ["违规存放危险品", "非法加工作坊"],
    },
    "劳动和社会保障": {
        "劳动关系": ["拖欠工资", "劳动合同纠纷", "未缴社保"],
        "社会保险": ["养老保险", "医保报销"],
        "就业创业": ["就业培训", "创业补贴"],
    },
    "教育": {
        "学校管理": ["招生入学", "校园周边安全", "学校收费"],
        "校外培训": ["违规培训", "培训退费"],
    },
    "卫生健康": {
        "医疗服务": ["就医服务态度", "医疗收费"],
        "公共卫生": ["病媒生物防制", "预防接种"],
    },
    "民政与社区": {
        "养老服务": ["居家养老", "养老机构"],
        "社会救助": ["低保申请", "临时救助"],
        "社区服务": ["社区工作作风", "流浪乞讨"],
    },
    "咨询建议": {
        "政策咨询": ["政务服务咨询", "户籍办理咨询"],
        "意见建议": ["城市建设建议", "表扬感谢"],
    },
}


# Categories urgent by themselves (分类默认紧急程度), whatever the caller's words: a danger to
# life (生命安全) or a hazard on the street. Every other category inherits "normal".
_DEFAULT_URGENCY: dict[str, str] = {
    "水电气/燃气/燃气泄漏": "life_safety",
    "市场监管/特种设备/电梯困人": "life_safety",
    "公共安全/消防安全/火灾隐患": "urgent",
    "城市管理/市政设施/井盖缺失破损": "urgent",
    "水电气/供电/电力设施隐患": "urgent",  # 电线裸露、断落
    "交通出行/道路设施/路面塌陷": "urgent",
    "住房和城乡建设/房屋安全/房屋裂缝": "urgent",
    "住房和城乡建设/房屋安全/外墙脱落": "urgent",
    "园林绿化/树木管护/倒伏树木": "urgent",
}


def build_taxonomy() -> list[dict[str, str]]:
    """Three-level hotline taxonomy: rows ``{l1, l2, l3, default_urgency}`` (Chinese names;
    the default blank where the category is normal), ordered."""
    return [
        {
            "l1": l1,
            "l2": l2,
            "l3": l3,
            "default_urgency": _DEFAULT_URGENCY.get(f"{l1}/{l2}/{l3}", ""),
        }
        for l1, seconds in _TAXONOMY.items()
        for l2, thirds in seconds.items()
        for l3 in thirds
    ]


# --------------------------------------------------------------------------------------------
# Linkage list (联动清单)
# --------------------------------------------------------------------------------------------

# (category path, lead, co-handlers, urgent limit, normal limit). Region-free defaults first.
_RULES: list[tuple[str, str, list[str], str, str]] = [
    ("城市管理", "D-CG", [], "4h", "5d"),
    ("城市管理/违法建设", "D-CG", ["D-ZR"], "4h", "10d"),
    ("城市管理/市政设施/井盖缺失破损", "D-CG", ["D-SW"], "2h", "3d"),
    ("城市管理/市政设施/路灯不亮", "D-CG", ["D-GD"], "4h", "3d"),
    ("城市管理/渣土管理", "D-CG", ["D-JJ"], "4h", "5d"),
    ("园林绿化", "D-YL", [], "4h", "5d"),
    ("园林绿化/树木管护/倒伏树木", "D-YL", ["D-CG"], "2h", "3d"),
    ("生态环境", "D-HB", [], "4h", "5d"),
    ("生态环境/大气污染/餐饮油烟", "D-HB", ["D-CG"], "4h", "5d"),
    ("生态环境/噪声污染/建筑施工噪声", "D-HB", ["D-ZJ"], "4h", "3d"),
    ("生态环境/噪声污染/社会生活噪声", "D-GA", [], "2h", "3d"),
    ("生态环境/水污染", "D-HB", ["D-SW"], "4h", "5d"),
    ("住房和城乡建设", "D-ZJ", [], "4h", "5d"),
    ("住房和城乡建设/房屋安全", "D-ZJ", ["D-YJ"], "2h", "3d"),
    ("住房和城乡建设/建设工程/拖欠工程款", "D-ZJ", ["D-RS"], "4h", "10d"),
    ("住房和城乡建设/房地产市场", "D-ZJ", [], "4h", "10d"),
    ("水电气/供水", "D-ZLS", ["D-SW"], "2h", "3d"),
    ("水电气/排水", "D-SW", ["D-CG"], "2h", "3d"),
    ("水电气/供电", "D-GD", [], "2h", "3d"),
    ("水电气/燃气", "D-RQ", ["D-ZJ"], "2h", "3d"),
    ("水电气/燃气/燃气泄漏", "D-RQ", ["D-XF", "D-YJ"], "2h", "3d"),
    ("交通出行", "D-JT", [], "4h", "5d"),
    ("交通出行/道路设施", "D-JT", ["D-JJ"], "4h", "5d"),
    ("交通出行/道路设施/交通信号灯故障", "D-JJ", [], "2h", "3d"),
    ("交通出行/公共交通/公交服务", "D-GJ", ["D-JT"], "4h", "5d"),
    ("交通出行/公共交通/公交站点设置", "D-GJ", ["D-JT"], "4h", "10d"),
    ("交通出行/停车管理", "D-JJ", ["D-CG"], "4h", "3d"),
    ("交通出行/停车管理/停车收费", "D-SJ", ["D-JT"], "4h", "5d"),
    ("交通出行/停车管理/占用消防通道", "D-XF", ["D-JJ"], "2h", "3d"),
    ("市场监管", "D-SJ", [], "4h", "5d"),
    ("市场监管/消费维权", "D-SJ", [], "4h", "10d"),
    ("市场监管/特种设备", "D-SJ", ["D-ZJ"], "2h", "3d"),
    ("市场监管/特种设备/电梯困人", "D-XF", ["D-SJ"], "2h", "3d"),
    ("公共安全/消防安全", "D-XF", [], "2h", "3d"),
    ("公共安全/社会治安", "D-GA", [], "2h", "3d"),
    ("公共安全/安全生产", "D-YJ", ["D-XF"], "2h", "3d"),
    ("劳动和社会保障", "D-RS", [], "4h", "10d"),
    ("劳动和社会保障/劳动关系/拖欠工资", "D-RS", [], "4h", "5d"),
    ("劳动和社会保障/社会保险/医保报销", "D-YB", [], "4h", "10d"),
    ("教育", "D-JY", [], "4h", "5d"),
    ("教育/学校管理/校园周边安全", "D-JY", ["D-GA", "D-SJ"], "2h", "3d"),
    ("卫生健康", "D-WJ", [], "4h", "5d"),
    ("卫生健康/医疗服务/医疗收费", "D-YB", ["D-WJ"], "4h", "10d"),
    ("民政与社区", "D-MZ", [], "4h", "10d"),
    ("民政与社区/社区服务/流浪乞讨", "D-MZ", ["D-GA"], "2h", "3d"),
    ("咨询建议", "D-ZW", [], "4h", "5d"),
    ("咨询建议/政策咨询/户籍办理咨询", "D-GA", [], "4h", "5d"),
]

# Everyday city-management work is done locally: the district bureau or the street office
# leads in each district, which is what the region-specific rules demonstrate.
_DISTRICT_RULES: list[tuple[str, str, list[str], str, str]] = [
    ("城市管理/市容环境", "{d}CG", ["{street}"], "4h", "3d"),
    ("城市管理/违法建设", "{d}CG", ["{street}", "D-ZR"], "4h", "10d"),
    ("生态环境/大气污染/餐饮油烟", "{d}CG", ["D-HB"], "4h", "5d"),
    ("住房和城乡建设/物业管理", "{d}ZJ", ["{street}"], "4h", "5d"),
    ("住房和城乡建设/建设工程/夜间施工", "{d}ZJ", ["D-HB"], "2h", "3d"),
]


def build_linkage() -> list[dict[str, Any]]:
    """Linkage rules ``{category, region_code, lead, co, urgent, normal}``.

    ``category`` is a name path joined by "/" (one, two or three levels); ``region_code`` is
    None for city-wide rules or a district/street code. Resolution: see :func:`resolve_route`.
    """
    rules: list[dict[str, Any]] = [
        {"category": c, "region_code": None, "lead": lead, "co": list(co), "urgent": u, "normal": n}
        for c, lead, co, u, n in _RULES
    ]
    for dcode, _dname, _streets in DISTRICTS:
        tag = _DISTRICT_TAGS[dcode]
        for c, lead, co, u, n in _DISTRICT_RULES:
            rules.append(
                {
                    "category": c,
                    "region_code": dcode,
                    "lead": "D-" + lead.format(d=tag),
                    # "@street": the office of the appeal's own street, resolved at dispatch.
                    "co": ["@street" if x == "{street}" else x for x in co],
                    "urgent": u,
                    "normal": n,
                }
            )
    # One street-level rule: 石桥街道's old town lets the street office lead stall management.
    rules.append(
        {
            "category": "城市管理/市容环境/占道经营",
            "region_code": "990105003",
            "lead": "D-JD-SQ",
            "co": ["D-QSCG"],
            "urgent": "4h",
            "normal": "3d",
        }
    )
    return rules


def resolve_route(
    l1: str, l2: str, l3: str, grid_code: str | None, rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Pick the applicable linkage rule for a category and location.

    The deepest matching category path wins; among rules for that path the most specific
    region (street > district > city-wide; region_code must prefix the grid code). This is
    the ranking of ``cityloop.domain.linkage.match_rule``. Returns the rule dict.
    """
    rules = build_linkage() if rules is None else rules
    paths = [f"{l1}/{l2}/{l3}", f"{l1}/{l2}", l1]
    best: tuple[int, int] | None = None
    chosen: dict[str, Any] | None = None
    for r in rules:
        if r["category"] not in paths:
            continue
        region = r["region_code"]
        if region is not None and (grid_code is None or not grid_code.startswith(region)):
            continue
        # Same ranking as cityloop.domain.linkage.match_rule: category depth, then region depth.
        key = (len(r["category"].split("/")), len(region or ""))
        if best is None or key > best:
            best, chosen = key, r
    if chosen is None:
        raise LookupError(f"no linkage rule for {l1}/{l2}/{l3}")
    return chosen


# --------------------------------------------------------------------------------------------
# Gazetteer (地址库)
# --------------------------------------------------------------------------------------------

_ESTATE_HEADS = [
    "幸福",
    "锦绣",
    "翠湖",
    "金色",
    "阳光",
    "和平",
    "紫荆",
    "枫林",
    "蓝湾",
    "清水",
    "桂花",
    "望江",
    "滨江",
    "柳岸",
    "书香",
    "锦华",
    "春晓",
    "丽景",
    "南苑",
    "东篱",
    "百合",
    "天鹅",
    "银杏",
    "梧桐",
    "怡和",
    "康乐",
    "嘉禾",
    "明月",
    "朝阳",
    "兰亭",
    "新民",
    "云岭",
    "松涛",
    "荷塘",
    "玉带",
    "碧水",
    "青松",
    "华阳",
    "瑞祥",
    "宏达",
    "长乐",
    "安居",
    "兴隆",
    "盛世",
    "凤凰",
    "龙湾",
    "铁路",
    "纺织",
    "机械厂",
    "电力",
    "粮食局",
    "教师",
    "化工",
    "棉纺",
    "金沙",
    "玉林",
    "芳草",
    "紫薇",
    "东湖",
    "西苑",
    "北辰",
    "南湖",
    "香樟",
    "欣荣",
    "万福",
    "聚贤",
    "御景",
    "翡翠",
    "锦程",
    "乐居",
    "晨曦",
    "水岸",
    "金桥",
    "红旗",
    "建工",
    "邮电",
    "供销社",
    "税务",
    "民安",
    "永安",
    "馨园",
    "泰和",
]
_ESTATE_TAILS = [
    ("里", "小区"),
    ("苑", ""),
    ("花园", ""),
    ("家园", ""),
    ("小区", ""),
    ("雅居", ""),
    ("华府", ""),
    ("名都", ""),
    ("新城", ""),
    ("公寓", ""),
    ("新村", ""),
    ("宿舍", "小区"),
]
_ROADS = [
    "滨江路",
    "望江路",
    "锦城大道",
    "青峰大道",
    "翠湖北路",
    "翠湖南路",
    "石桥街",
    "人民南路",
    "人民北路",
    "解放路",
    "建设路",
    "文庙街",
    "金桂路",
    "柳荫街",
    "新民路",
    "码头街",
    "江畔路",
    "松林路",
    "云岭路",
    "荷塘街",
    "玉带路",
    "桂香巷",
    "老街",
    "学府路",
    "长青路",
    "东风路",
    "红星路",
    "光华大道",
    "科园路",
    "工业大道",
    "站前路",
    "商业街",
    "府河路",
    "沙河路",
    "九里堤路",
    "龙潭路",
    "双桥路",
    "五福巷",
    "槐树街",
    "丝绸街",
]
_LANDMARKS: list[tuple[str, list[str]]] = [
    ("云河广场", ["市民广场"]),
    ("云河市体育中心", ["体育中心"]),
    ("临江大桥", ["大桥"]),
    ("云河东站", ["火车东站", "东站"]),
    ("云河天街购物中心", ["天街"]),
    ("青峰路地铁站", ["青峰路站"]),
    ("望江楼", []),
    ("文庙", ["老文庙"]),
    ("石桥农贸市场", ["石桥菜市场"]),
    ("锦城农贸市场", ["锦城菜市"]),
    ("云河长途汽车站", ["汽车站"]),
    ("市民服务中心", ["政务中心"]),
    ("云河图书馆", ["市图书馆"]),
    ("江畔码头", ["老码头"]),
    ("青山区政务服务中心", ["区政务中心"]),
    ("临江区人民法院", ["临江法院"]),
    ("翠湖地铁站", ["翠湖站"]),
    ("滨江夜市", ["夜市"]),
    ("云河科技园", ["科技园"]),
    ("丝绸厂旧址", ["老丝绸厂"]),
    ("玉带桥", []),
    ("松林加油站", []),
    ("金桂汽车城", ["汽车城"]),
    ("荷塘月色美食街", ["美食街"]),
    ("石桥古镇", ["古镇"]),
]
_SHOP_OWNERS = [
    "老王",
    "张记",
    "李记",
    "刘姐",
    "陈师傅",
    "老马",
    "鑫鑫",
    "好又多",
    "佳佳",
    "红红",
    "阿强",
    "小杨",
    "蜀香",
    "川味",
    "老成都",
    "德胜",
    "富民",
    "兴旺",
    "聚福",
    "顺发",
]
_SHOP_KINDS = [
    "面馆",
    "烧烤",
    "火锅店",
    "超市",
    "便利店",
    "水果店",
    "干洗店",
    "汽修店",
    "KTV",
    "麻将馆",
    "网吧",
    "洗车场",
    "五金店",
    "药房",
    "茶楼",
    "串串香",
    "冒菜",
    "健身房",
    "培训中心",
    "美容美发",
]
_SCHOOLS: list[tuple[str, list[str]]] = [
    ("云河市第三中学", ["三中", "市三中"]),
    ("云河市第七中学", ["七中"]),
    ("临江区实验小学", ["临江实小", "实验小学"]),
    ("青山区实验小学", ["青山实小"]),
    ("滨江小学", []),
    ("望江路小学", ["望江小学"]),
    ("锦城中学", []),
    ("翠湖幼儿园", ["翠湖幼"]),
    ("青峰外国语学校", ["青峰外校"]),
    ("石桥小学", []),
    ("云河职业技术学院", ["云河职院"]),
    ("松林幼儿园", []),
    ("金桂小学", []),
    ("柳荫中学", []),
    ("新民幼儿园", []),
]
_HOSPITALS: list[tuple[str, list[str]]] = [
    ("云河市第一人民医院", ["市一医院", "一医院"]),
    ("云河市中医医院", ["市中医院"]),
    ("临江区人民医院", ["临江区医院"]),
    ("青山区妇幼保健院", ["妇幼保健院"]),
    ("滨江社区卫生服务中心", ["滨江卫生院"]),
    ("翠湖社区卫生服务中心", ["翠湖卫生院"]),
    ("石桥社区卫生服务站", ["石桥卫生站"]),
    ("云河口腔医院", ["口腔医院"]),
]
_PARKS: list[tuple[str, list[str]]] = [
    ("翠湖公园", []),
    ("滨江湿地公园", ["湿地公园"]),
    ("青峰山森林公园", ["青峰山"]),
    ("人民公园", []),
    ("望江楼公园", []),
    ("松林口袋公园", []),
    ("玉带河滨河公园", ["滨河公园"]),
    ("桂香园", []),
    ("石桥生态公园", ["生态公园"]),
    ("锦城体育公园", ["体育公园"]),
]

# Target counts: ~250 in all, 小区 dominant as in a real 地址库.
_KIND_COUNTS = {"小区": 165, "道路": 32, "地标": 20, "商铺": 16, "学校": 10, "医院": 6, "公园": 8}


def _estate_names(rng: random.Random, n: int) -> list[tuple[str, list[str]]]:
    combos = [(h, t, extra) for h in _ESTATE_HEADS for t, extra in _ESTATE_TAILS]
    rng.shuffle(combos)
    out: list[tuple[str, list[str]]] = []
    used_heads: dict[str, int] = {}
    for head, tail, extra in combos:
        if used_heads.get(head, 0) >= 2:  # at most two estates share a head word
            continue
        name = f"{head}{tail}{extra}"
        aliases = [f"{head}{tail}"] if extra else []
        if tail in ("花园", "家园", "雅居", "新城", "新村") and len(head) == 2:
            aliases.append(head)  # people say 锦绣 for 锦绣花园
        if tail == "宿舍":
            aliases.append(f"{head}宿舍")
        used_heads[head] = used_heads.get(head, 0) + 1
        out.append((name, [a for a in aliases if a != name]))
        if len(out) == n:
            break
    # Ambiguous bare heads (two estates share it) are not usable as aliases.
    dupes = {h for h, c in used_heads.items() if c > 1}
    return [(n_, [a for a in al if a not in dupes]) for n_, al in out]


def _shop_names(rng: random.Random, n: int) -> list[tuple[str, list[str]]]:
    combos = [(o, k) for o in _SHOP_OWNERS for k in _SHOP_KINDS]
    rng.shuffle(combos)
    return [(f"{o}{k}", [o] if rng.random() < 0.3 else []) for o, k in combos[:n]]


def _road_alias(name: str) -> list[str]:
    # Only the 人民南路 -> 人民路 style is a real-life shortening; bare stems would be ambiguous.
    for d in "东南西北":
        if name.endswith(f"{d}路") and len(name) > 3:
            return [name[:-2] + "路"] if name[:-2] + "路" not in _ROADS else []
    return []


def _point_in(poly: Any, rng: random.Random) -> tuple[float, float]:
    """Random point strictly inside ``poly``, after rounding to 6 decimals."""
    inner = poly.buffer(-0.0003)  # ~30 m away from the grid edge
    target = inner if not inner.is_empty and inner.area > 0 else poly
    minx, miny, maxx, maxy = target.bounds
    while True:
        x = round(rng.uniform(minx, maxx), 6)
        y = round(rng.uniform(miny, maxy), 6)
        if target.contains(Point(x, y)) and poly.contains(Point(x, y)):
            return x, y


def build_gazetteer(regions: dict[str, Any], seed: int = 7) -> list[dict[str, Any]]:
    """Place-name gazetteer: ``{name, kind, lon, lat, grid_code, aliases}`` (~250 entries).

    Every point lies strictly inside its unit-grid polygon; every grid gets at least one 小区.
    Names are unique; aliases are short forms people actually say (幸福里 for 幸福里小区).
    """
    rng = random.Random(seed * 1009 + 17)
    shapes = region_shapes(regions)
    grid_codes = sorted(c for c, p in region_index(regions).items() if p["level"] == LEVEL_GRID)
    named: dict[str, list[tuple[str, list[str]]]] = {
        "小区": _estate_names(rng, _KIND_COUNTS["小区"]),
        "道路": [(r, _road_alias(r)) for r in _ROADS[: _KIND_COUNTS["道路"]]],
        "地标": _LANDMARKS[: _KIND_COUNTS["地标"]],
        "商铺": _shop_names(rng, _KIND_COUNTS["商铺"]),
        "学校": _SCHOOLS[: _KIND_COUNTS["学校"]],
        "医院": _HOSPITALS[: _KIND_COUNTS["医院"]],
        "公园": _PARKS[: _KIND_COUNTS["公园"]],
    }
    # Every grid first receives one 小区 (residents live everywhere), the rest are spread out.
    order = grid_codes[:]
    rng.shuffle(order)
    slots: list[tuple[str, str, list[str]]] = [
        (k, n, list(a)) for k, items in named.items() for n, a in items
    ]
    entries: list[dict[str, Any]] = []
    estates = [s for s in slots if s[0] == "小区"]
    others = [s for s in slots if s[0] != "小区"]
    rng.shuffle(others)
    assignment: list[tuple[tuple[str, str, list[str]], str]] = []
    for i, slot in enumerate(estates):
        assignment.append((slot, order[i % len(order)]))
    for slot in others:
        # A name that carries a district (青山区实验小学) must sit in that district.
        pool = [
            g
            for g in grid_codes
            if not any(slot[1].startswith(dn) and not g.startswith(dc) for dc, dn, _ in DISTRICTS)
        ]
        assignment.append((slot, rng.choice(pool)))
    # Aliases must identify one place: drop any short form claimed twice or equal to a name.
    alias_use: dict[str, int] = {}
    for (_k, _name, aliases), _g in assignment:
        for a in dict.fromkeys(aliases):
            alias_use[a] = alias_use.get(a, 0) + 1
    all_names = {slot[1] for slot, _g in assignment}
    for (kind, name, aliases), grid in assignment:
        lon, lat = _point_in(shapes[grid], rng)
        clean = [a for a in dict.fromkeys(aliases) if alias_use[a] == 1 and a not in all_names]
        entries.append(
            {
                "name": name,
                "kind": kind,
                "lon": lon,
                "lat": lat,
                "grid_code": grid,
                "aliases": clean,
            }
        )
    entries.sort(key=lambda e: (e["grid_code"], e["kind"], e["name"]))
    return entries
