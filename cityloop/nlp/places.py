"""Place understanding for appeals: mentions in text -> gazetteer entry -> coordinates -> grid.

Extraction finds administrative prefixes (…市…区…街道…社区), address patterns (小区/路/号/栋/
单元 …) and gazetteer names. Resolution picks one gazetteer entry, preferring the address field,
then the title, then the content, and says how sure it is: an exact name is surer than a typo,
and a road is a line, not a point, so a road-only match is less sure than an estate or a shop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cityloop.geo.gazetteer import (
    Gazetteer,
    GazetteerEntry,
    GazetteerHit,
    haversine_m,
    prepare,
)
from cityloop.geo.grid_index import GridIndex

Method = Literal["gazetteer_exact", "gazetteer_fuzzy", "none"]
FieldName = Literal["address", "title", "content"]

FIELD_ORDER: tuple[FieldName, ...] = ("address", "title", "content")
# A later field only wins when its match is clearly better than an earlier field's.
FIELD_WEIGHT: dict[str, float] = {"address": 1.0, "title": 0.96, "content": 0.92}
KIND_WEIGHT: dict[str, float] = {"道路": 0.8}  # a road spans several grids
ADMIN_MISMATCH = 0.6  # the address names another district/street than the entry's
AGREEMENT_BONUS = 0.05  # the same place named in two fields
FAR_FACTOR = 0.8  # reported coordinates far from the entry (used only when given)
FAR_METRES = 2000.0

_CJK = "\u4e00-\u9fff"
# Address prefix, anchored at the start: each level optional, in order. The lookbehind keeps
# 小区/社区/园区/景区/校区 out of the district level.
_ADMIN_RE = re.compile(
    rf"(?P<province>[{_CJK}]{{2,7}}?(?:省|自治区))?"
    rf"(?P<city>[{_CJK}]{{2,6}}?市)?"
    rf"(?P<district>[{_CJK}]{{2,6}}?(?<![小社园景校厂])(?:区|县))?"
    rf"(?P<street>[{_CJK}]{{2,6}}?(?:街道|镇|乡))?"
    rf"(?P<community>[{_CJK}]{{2,6}}?(?:社区|村委会|村))?"
)
_ESTATE_SUFFIX = "小区|花园|家园|雅居|华府|名都|新城|公寓|新村|宿舍|苑"
_POI_SUFFIX = (
    "广场|小学|中学|学校|幼儿园|学院|医院|卫生院|卫生服务中心|保健院|公园|农贸市场|菜市场|市场|"
    "商场|购物中心|地铁站|火车站|汽车站|车站|码头|大桥|桥"
)
_ROAD_SUFFIX = "大道|路|街|巷|胡同"
# Characters and words that end the text before a place name (its left boundary).
_LEAD_RE = re.compile(
    r"^.*(?:[,.;:!?，。；：！？、\s]|来电人|市民|反映|家住|住在|位于|我是|我住|其居住的|在|于|到|的|称)"
)
_NAMED_RE = re.compile(
    rf"(?P<name>[{_CJK}A-Za-z0-9]{{2,10}}?)(?P<suffix>{_ESTATE_SUFFIX}|{_POI_SUFFIX}|{_ROAD_SUFFIX})"
    rf"(?P<number>\d+号(?!楼))?"
)
_BUILDING_RE = re.compile(r"(?P<n>\d+|[一二三四五六七八九十]+)(?:号楼|栋|幢|座)")
_UNIT_RE = re.compile(r"(?P<n>\d+|[一二三四五六七八九十]+)单元")
_ROOM_RE = re.compile(r"(?P<n>\d+)(?:室|号房)")

_SUFFIX_KIND: dict[str, str] = {
    **dict.fromkeys(_ESTATE_SUFFIX.split("|"), "estate"),
    **dict.fromkeys(_POI_SUFFIX.split("|"), "poi"),
    **dict.fromkeys(_ROAD_SUFFIX.split("|"), "road"),
}


@dataclass(frozen=True)
class PlaceMention:
    """A place reference found in one field. Spans refer to ``prepare(field text)``."""

    text: str
    kind: (
        str  # province|city|district|street|community|estate|road|poi|building|unit|room|gazetteer
    )
    field: str
    start: int
    end: int
    entry: GazetteerEntry | None = None  # for kind "gazetteer"
    score: float = 1.0
    method: str = "pattern"  # pattern, or the gazetteer hit's method


@dataclass(frozen=True)
class PlaceResolution:
    lon: float | None
    lat: float | None
    grid_code: str | None
    matched_text: str | None
    entry_name: str | None
    confidence: float  # 0..1
    method: Method
    field: str | None = None  # which field the match came from
    detail: str | None = None  # building / unit within the place (3栋2单元)
    entry_kind: str | None = None

    @property
    def resolved(self) -> bool:
        return self.method != "none"


NO_PLACE = PlaceResolution(None, None, None, None, None, 0.0, "none")


def parse_admin_prefix(text: str | None) -> dict[str, str]:
    """Administrative levels at the start of an address: {"district": "临江区", ...}."""
    norm = prepare(text)
    m = _ADMIN_RE.match(norm)
    if m is None:
        return {}
    return {k: v for k, v in m.groupdict().items() if v}


def extract_places(
    text: str | None, gazetteer: Gazetteer | None = None, field: str = "content"
) -> list[PlaceMention]:
    """Place mentions in one text, in text order.

    Gazetteer names come first where they overlap a pattern (they carry coordinates); the
    administrative prefix is read only at the start of the text, where addresses put it.
    """
    norm = prepare(text)
    if not norm:
        return []
    out: list[PlaceMention] = []
    admin = _ADMIN_RE.match(norm)
    admin_end = 0
    if admin is not None:
        for level, value in admin.groupdict().items():
            if value:
                start = admin.start(level)
                out.append(PlaceMention(value, level, field, start, start + len(value)))
        admin_end = admin.end()
    taken: list[tuple[int, int]] = []
    if gazetteer is not None:
        for hit in _place_hits(norm, gazetteer, admin_spans(norm)):
            out.append(_mention(hit, field))
            taken.append((hit.start, hit.end))
    for m in _NAMED_RE.finditer(norm, admin_end):
        start = m.start("name")
        lead = _LEAD_RE.match(m.group("name"))
        if lead is not None:
            start += lead.end()
        end = m.end("suffix")
        if end - start < 2 or end - start == len(m.group("suffix")):
            continue  # the suffix alone ("小区", "路") is no name
        if any(start < e and s < end for s, e in taken):
            continue
        out.append(
            PlaceMention(norm[start:end], _SUFFIX_KIND[m.group("suffix")], field, start, end)
        )
        if m.group("number"):
            out.append(PlaceMention(m.group("number"), "house_number", field, end, m.end()))
    for kind, rx in (("building", _BUILDING_RE), ("unit", _UNIT_RE), ("room", _ROOM_RE)):
        for m in rx.finditer(norm):
            out.append(PlaceMention(m.group(0), kind, field, m.start(), m.end()))
    out.sort(key=lambda p: (p.start, -p.end))
    return out


def _mention(hit: GazetteerHit, field: str) -> PlaceMention:
    return PlaceMention(
        hit.matched, "gazetteer", field, hit.start, hit.end, hit.entry, hit.score, hit.method
    )


@dataclass
class _Candidate:
    hit: GazetteerHit
    field: str
    score: float
    detail: str | None


def resolve_place(
    title: str | None,
    content: str | None,
    address: str | None,
    gazetteer: Gazetteer,
    grid_index: GridIndex | None = None,
    *,
    near: tuple[float, float] | None = None,
) -> PlaceResolution:
    """Resolve an appeal's place to one gazetteer entry, its coordinates and unit grid.

    ``grid_index``: when given, the grid is where the entry's coordinates fall today (None if
    outside every grid); otherwise the entry's stored grid code. ``near``: reported (lon, lat),
    used only to prefer the nearer of competing candidates.
    """
    texts: dict[str, str] = {
        "address": address or "",
        "title": title or "",
        "content": content or "",
    }
    admin = parse_admin_prefix(address)
    candidates: list[_Candidate] = []
    for field in FIELD_ORDER:
        norm = prepare(texts[field])
        if not norm:
            continue
        hits = _place_hits(norm, gazetteer, admin_spans(norm) if field == "address" else [])
        if not hits:
            hits = _similar_hits(norm, gazetteer)
        for hit in hits:
            score = hit.score * FIELD_WEIGHT[field] * KIND_WEIGHT.get(hit.entry.kind, 1.0)
            score *= _admin_factor(hit.entry, admin)
            if near is not None and _metres(near, (hit.entry.lon, hit.entry.lat)) > FAR_METRES:
                score *= FAR_FACTOR
            candidates.append(_Candidate(hit, field, score, _detail(norm, hit.end)))
    if not candidates:
        return NO_PLACE
    # The same entry named in several fields is more likely the place.
    fields_by_entry: dict[str, set[str]] = {}
    for c in candidates:
        fields_by_entry.setdefault(c.hit.entry.name, set()).add(c.field)
    for c in candidates:
        c.score += AGREEMENT_BONUS * (len(fields_by_entry[c.hit.entry.name]) - 1)
    best = max(
        candidates,
        key=lambda c: (
            round(c.score, 6),
            -FIELD_ORDER.index(c.field),
            c.hit.end - c.hit.start,
            -c.hit.start,
        ),
    )
    entry = best.hit.entry
    grid_code = entry.grid_code
    if grid_index is not None:
        located = grid_index.locate(entry.lon, entry.lat)
        grid_code = located.grid_code if located is not None else None
    detail = best.detail or next(
        (c.detail for c in candidates if c.hit.entry is entry and c.detail), None
    )
    return PlaceResolution(
        lon=entry.lon,
        lat=entry.lat,
        grid_code=grid_code,
        matched_text=best.hit.matched,
        entry_name=entry.name,
        confidence=round(min(max(best.score, 0.0), 1.0), 4),
        method="gazetteer_exact" if best.hit.exact else "gazetteer_fuzzy",
        field=best.field,
        detail=detail,
        entry_kind=entry.kind,
    )


def admin_spans(norm: str) -> list[tuple[int, int]]:
    """Spans of the administrative units at the start of a prepared address."""
    m = _ADMIN_RE.match(norm)
    if m is None:
        return []
    return [m.span(level) for level, value in m.groupdict().items() if value]


def _place_hits(
    norm: str, gazetteer: Gazetteer, admin: list[tuple[int, int]]
) -> list[GazetteerHit]:
    out = []
    for hit in gazetteer.scan(norm):
        # 石桥街 inside 石桥街道 names the street office's area, not the street itself.
        if any(s <= hit.start and hit.end <= e for s, e in admin):
            continue
        if norm.startswith("道", hit.end) and hit.matched.endswith("街"):
            continue
        out.append(hit)
    return out


def _similar_hits(norm: str, gazetteer: Gazetteer) -> list[GazetteerHit]:
    """Pattern mentions the index did not know, looked up by whole-string similarity
    (幸福小区 for 幸福里小区: a dropped character, which the scan cannot see)."""
    out: list[GazetteerHit] = []
    for m in _NAMED_RE.finditer(norm):
        start = m.start("name")
        lead = _LEAD_RE.match(m.group("name"))
        if lead is not None:
            start += lead.end()
        end = m.end("suffix")
        mention = norm[start:end]
        if len(mention) < 3 or end - start <= len(m.group("suffix")) + 1:
            continue  # the suffix with a character or none is no name (的幼儿园, 小区)
        for entry, score in gazetteer.lookup(mention)[:2]:
            out.append(GazetteerHit(entry, score * 0.9, "similar", start, end, mention))
    return out


def _admin_factor(entry: GazetteerEntry, admin: dict[str, str]) -> float:
    for level, known in (("district", entry.district), ("street", entry.street)):
        said = admin.get(level)
        if said and known and said != known:
            return ADMIN_MISMATCH
    return 1.0


def _detail(norm: str, end: int) -> str | None:
    """Building/unit right after the place name (幸福里小区3栋2单元 -> 3栋2单元)."""
    tail = norm[end : end + 12]
    b = _BUILDING_RE.match(tail)
    if b is None:
        return None
    u = _UNIT_RE.match(tail, b.end())
    return tail[: u.end()] if u is not None else b.group(0)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])
