"""The rules that decide whether two appeals may be one incident (同一事件关联规则).

Linking an appeal into an order about another incident is the worst mistake the understanding
layer can make: that appeal is then never handled on its own. So the rules are strict, and
text similarity alone never links:

- **Place evidence is required**: the two are within a small radius, name the same address
  (road and house number, or estate and building), or the same named place (a gazetteer entry
  both resolved to, or a name both texts mention).
- **Differing details are evidence against**: two house numbers on one road, two buildings or
  units, two object numbers (路灯编号), two named estates that neither text mentions of the
  other, or points farther apart than the radius: never one incident, however alike the text.
- **The full category path** is compared when both sides have it (a pothole is not a broken
  signal; 城乡建设/市政设施/道路破损 ≠ 城乡建设/市政设施/信号灯故障).
- **Sensor events link only within their sensing rule** (a battery-low event never joins a
  smoke alarm), and never with a person's appeal.

Everything here is pure: addresses and texts in, a verdict with its reasons out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cityloop.geo.gazetteer import haversine_m, prepare

_CJK = "\u4e00-\u9fff"
_NUM = r"\d+|[一二两三四五六七八九十]+"
_ROAD_SUFFIX = "大道|大街|路|街|巷|胡同|弄"
# Road and house number: 黄河70街921号, 人民路88-2号, 五一路128号楼下 (号楼 after a road is
# the house number, not a building in an estate).
_HOUSE_RE = re.compile(rf"(?P<suffix>{_ROAD_SUFFIX})(?P<num>\d+(?:[-之]\d+)?)号")
_BUILDING_RE = re.compile(rf"(?P<n>{_NUM})(?:号楼|栋|幢|座|号院|号门)")
_UNIT_RE = re.compile(rf"(?P<n>{_NUM})单元")
_OBJECT_RE = re.compile(r"(?:编号|杆号|井号|箱号)[:：为是]?(?P<n>[A-Za-z0-9][A-Za-z0-9-]{1,15})")
_NAME_SUFFIX = (
    "小区|花园|家园|雅居|华府|名都|新城|公寓|新村|宿舍|苑|大厦|广场|小学|中学|学校|幼儿园|医院|"
    "公园|农贸市场|菜市场|市场|商场|超市|购物中心|地铁站|火车站|汽车站|体育馆|图书馆|菜鸟驿站|"
    "酒店|宾馆|银行|加油站|派出所|卫生院|社区卫生服务中心|工地"
)
_NAME_RE = re.compile(rf"(?P<suffix>{_NAME_SUFFIX})")
# A junction: 解放大道与五一路交叉口, 朝阳街光明路口.
_ROAD_RE = re.compile(rf"(?P<suffix>{_ROAD_SUFFIX})(?!道)")
_JOIN = ("与", "和", "、", "")
_JUNCTION_TAIL = ("交叉口", "交汇处", "交界处", "十字路口", "路口", "口")
_NOT_ROAD = ("交叉", "十字", "丁字", "马", "道", "公")
# Words before a place name that are not part of it (its left boundary).
_LEAD_RE = re.compile(
    r"[,.;:!?，。；：！？、()（）\s]|来电人|来电|市民|反映|投诉|家住|住在|位于|我是|我住|我们|"
    r"居住|小区内|附近|旁边|对面|门口|在|于|到|的|称|是|和|与|及|从"
)
# The things appeals are about, each with the words people use for it. Two appeals at one
# place that both name things, none of them shared, are about different things (the swing and
# the gate of one estate). Generic words (垃圾, 车, 问题) are not things: they name no object.
_THINGS: dict[str, tuple[str, ...]] = {
    "路灯": ("路灯", "灯杆", "盏灯", "路边灯", "照明灯"),
    "信号灯": ("红绿灯", "信号灯", "交通灯"),
    "应急照明": ("应急照明", "安全出口", "疏散指示"),
    "电梯": ("电梯", "扶梯"),
    "门禁": ("门禁", "道闸", "电子门"),
    "游乐健身器材": ("秋千", "滑梯", "健身器材", "游乐设施", "跷跷板"),
    "垃圾站": ("垃圾站", "垃圾房", "中转站", "收集点"),
    "垃圾桶": ("垃圾桶", "垃圾箱", "果皮箱"),
    "分类亭": ("分类亭",),
    "地砖": ("地砖", "盲道"),
    "井盖": ("井盖", "窨井", "雨水井", "污水井"),
    "水管": ("水管", "自来水管", "供水管"),
    "排污口": ("排污口", "排污管", "排水口"),
    "机动车": ("私家车", "机动车", "汽车", "小车", "停车", "货车", "渣土车"),
    "车道": ("机动车道", "非机动车道", "车道"),
    "非机动车": ("共享单车", "单车", "自行车", "电动车", "电瓶车", "三轮车"),
    "犬只": ("狗", "犬"),
    "广场舞": ("广场舞", "跳舞", "音响"),
    "摊贩": ("摊贩", "摊点", "摆摊", "小摊", "烤肠", "炸串"),
    "出店经营": ("货架", "出店", "店外"),
    "绿地": ("绿地", "草坪", "绿化带"),
    "车位": ("车位",),
    "保安": ("保安", "门岗"),
    "消防器材": ("消防栓", "消火栓", "灭火器", "水带", "水枪"),
    "树木": ("树", "枝"),
    "外墙": ("外墙", "瓷砖", "墙砖"),
    "屋顶": ("楼顶", "屋顶", "顶楼", "顶层"),
    "化粪池": ("化粪池", "下水道"),
    "保洁": ("保洁", "打扫", "清扫"),
}
_THING_RE = re.compile(
    "|".join(sorted((w for ws in _THINGS.values() for w in ws), key=len, reverse=True))
)
_THING_OF = {w: thing for thing, ws in _THINGS.items() for w in ws}
_CONNECTORS = "在于到的称是和与及从"  # cut only when a name of two characters is left
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class PlaceKeys:
    """The place details one appeal states, from its address field and text."""

    addresses: frozenset[tuple[str, str]]  # (road, house number)
    buildings: frozenset[int]
    units: frozenset[int]
    objects: frozenset[str]  # numbered objects: a lamp post, a manhole
    names: frozenset[str]  # named estates and places, suffix included
    things: frozenset[str]  # what the appeal is about (路灯, 电梯, 秋千 …), see _THINGS
    text: str  # the prepared text the keys were read from (to look a name up in)


@dataclass(frozen=True)
class LinkRules:
    """The operating point, set from configuration (cityloop/settings.py)."""

    radius_m: float = 200.0  # farther apart than this: two places
    near_m: float = 60.0  # this close: the points alone are strong evidence
    # Both resolved to one gazetteer place (an estate, a park): its extent and a caller's phone
    # may put their points this far apart.
    same_place_m: float = 600.0
    window_hours: float = 48.0  # callers of one incident call within this
    min_category_levels: int = 2  # at least this many leading levels must agree
    # Character-bigram TF-IDF cosine bars. Unrelated appeals score below 0.03 (95th percentile
    # of random pairs of the shared teddy2020 messages), paraphrases of one incident mostly
    # above 0.07; set on the "tune" part of bench/data/linking_incidents.json.
    text_strong: float = 0.05  # with strong place evidence (same address or building, near)
    text_weak: float = 0.10  # with weaker place evidence (within the radius, same estate)

    def __post_init__(self) -> None:
        if self.radius_m <= 0 or self.near_m <= 0 or self.window_hours <= 0:
            raise ValueError("radius_m, near_m and window_hours must be positive")
        if not (0.0 <= self.text_strong <= 1.0 and 0.0 <= self.text_weak <= 1.0):
            raise ValueError("text thresholds must be within 0..1")


@dataclass(frozen=True)
class PlaceVerdict:
    """Whether two appeals are at one place: ``strength`` 2 strong, 1 weak, 0 no evidence;
    ``conflict`` names the detail that differs (then they are never linked)."""

    strength: int
    distance_m: float | None = None
    same_place: bool | None = None  # both resolved to a gazetteer entry: the same one?
    same_address: str | None = None  # the shared address or building (黄河70街921号)
    same_name: str | None = None  # the named place both mention
    conflict: str | None = None

    @property
    def linkable(self) -> bool:
        return self.conflict is None and self.strength > 0


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _DIGITS.get(tens, 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return _DIGITS.get(text, 0)


def _name_before(text: str, end: int, width: int = 6, start: int = 0) -> str:
    """The name right before position ``end``: at most ``width`` characters from ``start``,
    cut at the last boundary word that leaves two characters (市民反映黄河70 -> 黄河70, while
    和平 keeps its 和)."""
    head = text[max(start, end - width) : end]
    cut = 0
    for m in _LEAD_RE.finditer(head):
        word = m.group(0)
        if len(head) - m.end() >= 2 or len(word) > 1 or word not in _CONNECTORS:
            cut = m.end()
    return re.sub(rf"[^{_CJK}A-Za-z0-9]", "", head[cut:])


@lru_cache(maxsize=20_000)
def place_keys(address: str, text: str) -> PlaceKeys:
    """Read the address, building, unit, object numbers and place names an appeal states."""
    norm = prepare(f"{address}，{text}" if address else text)
    addresses: set[tuple[str, str]] = set()
    taken: list[tuple[int, int]] = []
    for m in _HOUSE_RE.finditer(norm):
        road = _name_before(norm, m.start("suffix"), 5)
        if road:
            addresses.add((road + m.group("suffix"), m.group("num")))
            taken.append((m.start(), m.end() + 1))  # 号楼: the 楼 belongs to the number
    buildings = {
        _number(m.group("n"))
        for m in _BUILDING_RE.finditer(norm)
        if not any(s <= m.start() < e for s, e in taken)
    }
    units = {_number(m.group("n")) for m in _UNIT_RE.finditer(norm)}
    objects = {m.group("n").upper() for m in _OBJECT_RE.finditer(norm)}
    names = _junctions(norm)
    for m in _NAME_RE.finditer(norm):
        core = _name_before(norm, m.start())
        if len(core) >= 2 and not core.isdigit():
            names.add(core + m.group("suffix"))
    things = {_THING_OF[m.group(0)] for m in _THING_RE.finditer(norm)}
    return PlaceKeys(
        frozenset(addresses),
        frozenset(buildings - {0}),
        frozenset(units - {0}),
        frozenset(objects),
        frozenset(names),
        frozenset(things),
        norm,
    )


def _junctions(norm: str) -> set[str]:
    """Junctions named as two roads and a crossing word, as one sorted key (五一路×解放大道)."""
    roads: list[tuple[int, int, str]] = []
    for m in _ROAD_RE.finditer(norm):
        name = _name_before(norm, m.start(), 5, roads[-1][1] if roads else 0)
        if len(name) >= 2 and not name.endswith(_NOT_ROAD) and not name.isdigit():
            roads.append((m.start() - len(name), m.end(), name + m.group("suffix")))
    out = set()
    for (_, end_a, a), (start_b, end_b, b) in zip(roads, roads[1:], strict=False):
        between = norm[end_a:start_b]
        if between in _JOIN and norm.startswith(_JUNCTION_TAIL, end_b) and a != b:
            out.add("×".join(sorted((a, b))))
    return out


def _same_road(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and long_.endswith(short)


_SUFFIXES = sorted(_NAME_SUFFIX.split("|"), key=len, reverse=True)


def _core(name: str) -> str:
    """幸福里小区 -> 幸福里: the name without its kind, when two characters are left."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


_KINDS = sorted(_SUFFIXES + _ROAD_SUFFIX.split("|"), key=len, reverse=True)


def _mentions(keys: PlaceKeys, name: str) -> bool:
    if "×" in name:  # a junction: both roads named
        return all(road in keys.text for road in name.split("×"))
    if name in keys.names:
        return True
    core = _core(name)
    own = name[len(core) :]
    # 石桥小学 is not mentioned by 石桥街29号: a core followed by another kind of place names
    # that other place.
    start = keys.text.find(core)
    while start >= 0:
        after = keys.text[start + len(core) :]
        other = next((k for k in _KINDS if after.startswith(k)), None)
        if other is None or other == own:
            return True
        start = keys.text.find(core, start + 1)
    return False


def compare_places(
    a: PlaceKeys,
    b: PlaceKeys,
    rules: LinkRules,
    *,
    distance_m: float | None = None,
    place_a: str | None = None,
    place_b: str | None = None,
) -> PlaceVerdict:
    """The place evidence for and against two appeals being one incident.

    ``distance_m``: between their coordinates when both have them; ``place_a``/``place_b``:
    the gazetteer entries their places resolved to, if any.
    """
    same_place = (place_a == place_b) if place_a and place_b else None

    def against(why: str) -> PlaceVerdict:
        return PlaceVerdict(0, distance_m, same_place, conflict=why)

    wide = rules.same_place_m if same_place else rules.radius_m  # an estate's extent
    if distance_m is not None and distance_m > wide:
        return against(f"相距 {distance_m:.0f} 米")
    # Addresses: the same road with another house number, or two full addresses that differ.
    shared_address = next(
        (
            f"{ra}{na}号"
            for ra, na in a.addresses
            for rb, nb in b.addresses
            if na == nb and _same_road(ra, rb)
        ),
        None,
    )
    if a.addresses and b.addresses and shared_address is None:
        road, num = sorted(a.addresses)[0]
        return against(f"门牌不同（{road}{num}号）")
    if a.buildings and b.buildings and not a.buildings & b.buildings:
        return against(f"楼栋不同（{min(a.buildings)}栋/{min(b.buildings)}栋）")
    if a.units and b.units and not a.units & b.units:
        return against(f"单元不同（{min(a.units)}单元/{min(b.units)}单元）")
    if a.objects and b.objects and not a.objects & b.objects:
        return against(f"设施编号不同（{min(a.objects)}/{min(b.objects)}）")
    if a.things and b.things and not a.things & b.things:
        return against(f"事项不同（{min(a.things)}/{min(b.things)}）")
    shared_name = next((n for n in sorted(a.names) if _mentions(b, n)), None)
    if shared_name is None:
        shared_name = next((n for n in sorted(b.names) if _mentions(a, n)), None)
    near = distance_m is not None and distance_m <= rules.near_m
    if a.names and b.names and shared_name is None and not near and not same_place:
        return against(f"地点不同（{min(a.names)}/{min(b.names)}）")
    if same_place is False and distance_m is None and shared_name is None:
        return against(f"地点不同（{place_a}/{place_b}）")
    building = sorted(a.buildings & b.buildings)
    if shared_address is None and building and (shared_name or same_place):
        shared_address = f"{shared_name or place_a}{building[0]}栋"
    strong = shared_address is not None or near
    weak = (
        (distance_m is not None and distance_m <= rules.radius_m)
        or bool(same_place)
        or shared_name is not None
    )
    return PlaceVerdict(
        2 if strong else 1 if weak else 0,
        distance_m,
        same_place,
        shared_address,
        shared_name,
    )


def shared_category(a: str, b: str, min_levels: int) -> str | None:
    """The category both share, compared to the depth of the less specific one and at least
    ``min_levels`` deep; None when they differ."""
    if a == b and (a.count("/") + 1 >= min_levels or min_levels <= 0):
        return a  # the common case, on the hot path: no splitting
    return _shared_category(a, b, min_levels)


@lru_cache(maxsize=4096)
def _shared_category(a: str, b: str, min_levels: int) -> str | None:
    pa, pb = [p for p in a.split("/") if p], [p for p in b.split("/") if p]
    depth = max(min(len(pa), len(pb)), min_levels)
    if min_levels <= 0 and not (pa and pb):
        return ""
    if pa[:depth] != pb[:depth]:
        return None
    return "/".join(pa[:depth])


def same_sensing_rule(a: str | None, b: str | None) -> bool:
    """Sensor events link only with events of the same rule; people's appeals with people's."""
    return a == b


def distance(
    a: tuple[float | None, float | None], b: tuple[float | None, float | None]
) -> float | None:
    """Metres between two (lon, lat) points, None when either lacks coordinates."""
    if a[0] is None or a[1] is None or b[0] is None or b[1] is None:
        return None
    return round(haversine_m(a[0], a[1], b[0], b[1]), 1)


def text_bar(verdict: PlaceVerdict, rules: LinkRules) -> float:
    """How alike the texts must read, given the place evidence."""
    return rules.text_strong if verdict.strength >= 2 else rules.text_weak
