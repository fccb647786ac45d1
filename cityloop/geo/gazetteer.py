"""Place-name gazetteer (地址库): exact, alias and fuzzy lookup of named places.

Residents write place names the way they say them: short forms (幸福里 for 幸福里小区), another
estate suffix (锦绣苑 for 锦绣花园) and homophone slips from pinyin input (幸福理小区, 锦秀).
The index answers all of these from dictionaries built once, so scanning a whole appeal costs
well under a millisecond; there is no I/O at import time and no database dependency.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.nlp.normalize import normalize

KINDS: tuple[str, ...] = ("小区", "道路", "地标", "商铺", "学校", "医院", "公园")

# Estate name endings, longest first; the part before one is the estate's "core" (锦绣 for
# 锦绣花园), which residents combine with any other ending or say on its own.
ESTATE_SUFFIXES: tuple[str, ...] = (
    "小区",
    "花园",
    "家园",
    "雅居",
    "华府",
    "名都",
    "新城",
    "公寓",
    "新村",
    "宿舍",
    "社区",
    "苑",
    "园",
    "府",
    "居",
)

# Characters commonly swapped for one another by pinyin input (same or near-same reading).
# Each string is one class; a class's first character is its canonical form.
HOMOPHONE_CLASSES: tuple[str, ...] = (
    "里理李礼",
    "锦金今",
    "绣秀",
    "翠萃粹",
    "湖胡壶糊",
    "桂贵",
    "滨宾彬",
    "峰风丰锋凤枫",
    "苑院园圆元源远",
    "华花桦",
    "阳杨洋扬",
    "馨欣新心鑫",
    "栋幢",
    "蓝兰澜岚",
    "荷河和禾合",
    "梧吴午",
    "瑞锐睿",
    "松嵩淞",
    "景井静境",
    "庭廷亭婷",
    "林琳临霖",
    "泰太",
    "祥翔",
    "福富府",
    "城成诚",
    "丽立利莉",
    "嘉佳家",
    "怡宜仪",
    "隆龙",
    "盛胜",
    "兴星",
    "湾弯",
    "桥乔",
    "紫子",
    "晨辰",
    "曦溪西",
    "御玉裕",
    "岭领玲",
    "樟章张",
    "沙纱莎",
    "雅亚",
    "居局",
    "都督",
    "阁格",
    "汇惠慧",
    "韵云芸",
)
_CANON: dict[str, str] = {ch: cls[0] for cls in HOMOPHONE_CLASSES for ch in cls}

# Base scores per way of matching. An exact name is certain; everything else is evidence.
SCORE_NAME = 1.0
SCORE_ALIAS = 0.95
SCORE_SHORT_ALIAS = 0.8  # two-character aliases (三中, 夜市) also occur as ordinary words
SCORE_ABBREVIATION = 0.85  # 幸福里 for 幸福里小区, derived from the name
SCORE_SUFFIX_VARIANT = 0.85  # 锦绣苑 for 锦绣花园
HOMOPHONE_FACTOR = 0.88
SCORE_TYPO = 0.7  # any single substituted character in a name of four or more characters
TYPO_MIN_LENGTH = 5  # in four characters one slip often spells another real estate name
AMBIGUITY_FACTOR = 0.6  # a form shared by several places points at none of them for sure

EXACT_METHODS = frozenset({"name", "alias"})


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    kind: str  # one of KINDS
    lon: float
    lat: float
    grid_code: str | None = None
    aliases: tuple[str, ...] = ()
    district: str | None = None  # 临江区
    street: str | None = None  # 滨江街道


@dataclass(frozen=True)
class GazetteerHit:
    """One place name found in a text."""

    entry: GazetteerEntry
    score: float  # 0..1
    method: str  # name | alias | abbreviation | suffix_variant | homophone | typo | similar
    start: int  # span in the normalized text (see Gazetteer.prepare)
    end: int
    matched: str

    @property
    def exact(self) -> bool:
        return self.method in EXACT_METHODS


@dataclass(frozen=True)
class _Ref:
    entry: GazetteerEntry
    method: str
    score: float


@dataclass
class _KeyIndex:
    """Keys grouped for a left-to-right scan: key -> refs, first char -> key lengths."""

    keys: dict[str, list[_Ref]] = field(default_factory=dict)
    lengths: dict[str, list[int]] = field(default_factory=dict)

    def add(self, key: str, ref: _Ref) -> None:
        refs = self.keys.setdefault(key, [])
        if any(r.entry is ref.entry for r in refs):
            return
        refs.append(ref)
        lens = self.lengths.setdefault(key[0], [])
        if len(key) not in lens:
            lens.append(len(key))
            lens.sort(reverse=True)


def canonical(text: str) -> str:
    """Map every character to its homophone class representative."""
    return "".join(_CANON.get(ch, ch) for ch in text)


def estate_core(name: str) -> str | None:
    """The name without its estate ending (锦绣花园 -> 锦绣), or None if it has none."""
    for suffix in ESTATE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


class Gazetteer:
    """Index over gazetteer entries for scanning text and looking names up."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self.entries: tuple[GazetteerEntry, ...] = tuple(entries)
        self._by_name: dict[str, GazetteerEntry] = {}
        self._exact = _KeyIndex()
        self._homophone = _KeyIndex()
        self._wild: dict[str, list[_Ref]] = {}
        self._wild_lengths: list[int] = []
        self._build()

    # ---------------------------------------------------------------------------------------
    # construction
    # ---------------------------------------------------------------------------------------

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], region_names: Mapping[str, str] | None = None
    ) -> Gazetteer:
        """Build from dicts like ``cityloop.demo.organisation.build_gazetteer`` returns.

        ``region_names`` (region code -> name) fills district and street from the GB/T 30428.1
        grid code (6 digits district, 9 digits street) where a record does not carry them.
        """
        names = region_names or {}
        out = []
        for r in records:
            grid = r.get("grid_code") or None
            district = r.get("district") or (names.get(grid[:6]) if grid else None)
            street = r.get("street") or (names.get(grid[:9]) if grid else None)
            out.append(
                GazetteerEntry(
                    name=str(r["name"]),
                    kind=str(r["kind"]),
                    lon=float(r["lon"]),
                    lat=float(r["lat"]),
                    grid_code=str(grid) if grid else None,
                    aliases=tuple(str(a) for a in r.get("aliases") or ()),
                    district=district,
                    street=street,
                )
            )
        return cls(out)

    def _build(self) -> None:
        exact: dict[str, list[_Ref]] = {}
        derived: dict[str, list[_Ref]] = {}
        for e in self.entries:
            name = prepare(e.name)
            if not name:
                continue
            self._by_name.setdefault(name, e)
            exact.setdefault(name, []).append(_Ref(e, "name", SCORE_NAME))
            for a in e.aliases:
                alias = prepare(a)
                if alias and alias != name:
                    score = SCORE_ALIAS if len(alias) >= 3 else SCORE_SHORT_ALIAS
                    exact.setdefault(alias, []).append(_Ref(e, "alias", score))
            if e.kind != "小区":
                continue
            core = estate_core(name)
            if core is None:
                continue
            # Bare cores of two characters (阳光, 和平) are ordinary words; only a listed alias
            # may use one. Three or more characters (幸福里) are distinctive enough.
            if len(core) >= 3:
                derived.setdefault(core, []).append(_Ref(e, "abbreviation", SCORE_ABBREVIATION))
            for suffix in ESTATE_SUFFIXES:
                variant = core + suffix
                if variant != name:
                    derived.setdefault(variant, []).append(
                        _Ref(e, "suffix_variant", SCORE_SUFFIX_VARIANT)
                    )
        # A derived form that is some place's real name or alias means that place only.
        for key, refs in derived.items():
            if key not in exact:
                exact[key] = refs
        for key, refs in exact.items():
            for ref in _share(refs):
                self._exact.add(key, ref)
                self._homophone.add(
                    canonical(key),
                    _Ref(ref.entry, "homophone", ref.score * HOMOPHONE_FACTOR),
                )
                # Generic one-character slips only in long forms: in short ones a single
                # substitution turns one real name into another (康乐小区 / 长乐小区).
                if len(key) >= TYPO_MIN_LENGTH and ref.method in EXACT_METHODS:
                    for j in range(len(key)):
                        wild = key[:j] + "\0" + key[j + 1 :]
                        bucket = self._wild.setdefault(wild, [])
                        if all(r.entry is not ref.entry for r in bucket):
                            bucket.append(_Ref(ref.entry, "typo", SCORE_TYPO))
                    if len(key) not in self._wild_lengths:
                        self._wild_lengths.append(len(key))
        self._wild_lengths.sort(reverse=True)

    # ---------------------------------------------------------------------------------------
    # queries
    # ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, name: str) -> GazetteerEntry | None:
        """The entry with exactly this (normalized) name."""
        return self._by_name.get(prepare(name))

    def scan(self, text: str, fuzzy: bool = True) -> list[GazetteerHit]:
        """Place names in ``text``, longest match first, non-overlapping, in text order.

        Spans refer to ``prepare(text)``. Exact forms win over fuzzy ones at the same place;
        fuzzy scanning (homophones, single-character typos) only fills the gaps between them.
        """
        norm = prepare(text)
        if not norm:
            return []
        found = _find(norm, norm, self._exact)
        if fuzzy:
            found += _find(canonical(norm), norm, self._homophone)
            found += self._find_typos(norm)
        return _select(found)

    def lookup(self, text: str) -> list[tuple[GazetteerEntry, float]]:
        """Candidate entries for a place string, best first, one row per entry.

        Names and aliases found inside ``text`` score by how they matched; a string with no
        such name falls back to whole-string similarity (幸福小区 for 幸福里小区).
        """
        norm = prepare(text)
        if not norm:
            return []
        best: dict[str, tuple[GazetteerEntry, float]] = {}
        for hit in self.scan(norm):
            # Longer matches explain more of the query, so they rank higher.
            score = hit.score * (0.85 + 0.15 * (hit.end - hit.start) / len(norm))
            if hit.start == 0 and hit.end == len(norm):
                score = hit.score
            prev = best.get(hit.entry.name)
            if prev is None or score > prev[1]:
                best[hit.entry.name] = (hit.entry, score)
        if not best:
            for entry, score in self._similar(norm):
                best[entry.name] = (entry, score)
        return sorted(best.values(), key=lambda es: (-es[1], es[0].name))

    def _similar(self, query: str, cutoff: float = 0.75) -> list[tuple[GazetteerEntry, float]]:
        chars = set(query)
        out: dict[str, tuple[GazetteerEntry, float]] = {}
        for key, refs in self._exact.keys.items():
            if len(key) < 3 or len(chars.intersection(key)) < 2:
                continue
            ratio = difflib.SequenceMatcher(None, query, key, autojunk=False).ratio()
            if ratio < cutoff:
                continue
            for ref in refs:
                score = round(ref.score * ratio * 0.85, 4)
                if ref.entry.name not in out or out[ref.entry.name][1] < score:
                    out[ref.entry.name] = (ref.entry, score)
        return list(out.values())

    def _find_typos(self, norm: str) -> list[GazetteerHit]:
        hits: list[GazetteerHit] = []
        n = len(norm)
        for i in range(n):
            for length in self._wild_lengths:
                if i + length > n:
                    continue
                window = norm[i : i + length]
                for j in range(length):
                    refs = self._wild.get(window[:j] + "\0" + window[j + 1 :])
                    if refs:
                        for ref in _share(refs):
                            hits.append(
                                GazetteerHit(
                                    ref.entry, ref.score, ref.method, i, i + length, window
                                )
                            )
        return hits


def prepare(text: str | None) -> str:
    """The text form every span refers to: normalized, no spaces (addresses carry odd ones)."""
    return normalize(text, boilerplate=None).replace(" ", "") if text else ""


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _share(refs: list[_Ref]) -> list[_Ref]:
    if len(refs) <= 1:
        return refs
    factor = AMBIGUITY_FACTOR / math.sqrt(len(refs) - 1)
    return [_Ref(r.entry, r.method, r.score * factor) for r in refs]


def _find(haystack: str, original: str, index: _KeyIndex) -> list[GazetteerHit]:
    hits: list[GazetteerHit] = []
    n = len(haystack)
    for i, ch in enumerate(haystack):
        lens = index.lengths.get(ch)
        if not lens:
            continue
        for length in lens:
            if i + length > n:
                continue
            refs = index.keys.get(haystack[i : i + length])
            if refs:
                matched = original[i : i + length]
                for ref in refs:
                    hits.append(
                        GazetteerHit(ref.entry, ref.score, ref.method, i, i + length, matched)
                    )
    return hits


def _select(hits: list[GazetteerHit]) -> list[GazetteerHit]:
    """Non-overlapping choice, longest span first, then best score. Generic one-character
    typo readings only fill the gaps, so they never displace a form that is spelled right
    (在政务中心 is not a slip of 区政务中心 when 政务中心 is an alias); homophone readings
    compete on length, so 望江楼公圆 is the park, not the tower 望江楼."""
    taken: list[tuple[int, int]] = []
    chosen: list[GazetteerHit] = []
    for typo in (False, True):
        group = [h for h in hits if (h.method == "typo") is typo]
        group.sort(key=lambda h: (-(h.end - h.start), -h.score, h.start, h.entry.name))
        spans: dict[tuple[int, int], GazetteerHit] = {}
        for h in group:
            span = (h.start, h.end)
            first = spans.get(span)
            if first is not None:
                # Same span, several places (an ambiguous form): keep each equally good one.
                if first.entry is not h.entry and h.score >= first.score - 1e-9:
                    chosen.append(h)
                continue
            if any(h.start < e and s < h.end for s, e in taken):
                continue
            taken.append(span)
            spans[span] = h
            chosen.append(h)
    chosen.sort(key=lambda h: (h.start, -h.score))
    return chosen


# -------------------------------------------------------------------------------------------
# Import (CSV / GeoJSON). All-or-nothing: every problem is collected, then raised together.
# -------------------------------------------------------------------------------------------

_ALIAS_SEPARATORS = ("|", ";", "；", "、", "，", ",")


def _split_aliases(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        text = str(value)
        for sep in _ALIAS_SEPARATORS[1:]:
            text = text.replace(sep, _ALIAS_SEPARATORS[0])
        items = text.split(_ALIAS_SEPARATORS[0])
    return tuple(dict.fromkeys(a.strip() for a in items if a and a.strip()))


def _coordinate(
    row: int, name: str, value: Any, low: float, high: float, problems: list[ImportProblem]
) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(ImportProblem.of(row, name, "required"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(ImportProblem.of(row, name, "not_number", value=str(value)))
        return None
    if not math.isfinite(number) or not low <= number <= high:
        problems.append(
            ImportProblem.of(row, name, "out_of_range", value=str(value), low=low, high=high)
        )
        return None
    return number


def _entry_from(
    row: int, props: Mapping[str, Any], lon: Any, lat: Any, problems: list[ImportProblem]
) -> GazetteerEntry | None:
    start = len(problems)
    name = str(props.get("name") or "").strip()
    kind = str(props.get("kind") or "").strip()
    if not name:
        problems.append(ImportProblem.of(row, "name", "required"))
    if not kind:
        problems.append(ImportProblem.of(row, "kind", "required"))
    elif kind not in KINDS:
        problems.append(
            ImportProblem.of(
                row, "kind", "not_one_of", value=kind, what="place_kind", choices=list(KINDS)
            )
        )
    x = _coordinate(row, "lon", lon, -180.0, 180.0, problems)
    y = _coordinate(row, "lat", lat, -90.0, 90.0, problems)
    grid = str(props.get("grid_code") or "").strip()
    if grid and (not grid.isdigit() or len(grid) != 15):
        problems.append(ImportProblem.of(row, "grid_code", "grid_code_format", value=grid))
    if len(problems) > start or x is None or y is None:
        return None
    return GazetteerEntry(
        name=name,
        kind=kind,
        lon=x,
        lat=y,
        grid_code=grid or None,
        aliases=tuple(a for a in _split_aliases(props.get("aliases")) if a != name),
        district=str(props.get("district") or "").strip() or None,
        street=str(props.get("street") or "").strip() or None,
    )


def _check_duplicates(
    rows: list[tuple[int, GazetteerEntry]], problems: list[ImportProblem]
) -> None:
    seen: dict[tuple[str, str | None], int] = {}
    for row, e in rows:
        key = (e.name, e.district)
        if key in seen:
            problems.append(
                ImportProblem.of(row, "name", "duplicate_place", value=e.name, first=seen[key])
            )
        else:
            seen[key] = row


def read_gazetteer_csv(path: str | Path) -> list[GazetteerEntry]:
    """Read a gazetteer CSV (UTF-8, BOM allowed; GB18030 as fallback for Excel exports).

    Columns: ``name, kind, lon, lat`` required; ``grid_code, aliases, district, street``
    optional; aliases separated by ``|``, ``;``, ``、`` or commas. Problems name the CSV line
    number (the header is line 1) and the column; raises ImportRejected if there is any.
    """
    from cityloop.importers import read_text

    text = read_text(Path(path))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        records = list(reader)
    except csv.Error as exc:  # a line break in an unquoted cell, a NUL …
        problem = ImportProblem.of(reader.line_num or 1, "file", "file_csv", detail=str(exc))
        raise ImportRejected([problem], what="line") from exc
    missing = [c for c in ("name", "kind", "lon", "lat") if c not in header]
    if missing:
        raise ImportRejected(
            [ImportProblem.of(1, c, "column_missing", column=c, found=header) for c in missing],
            what="line",
        )
    problems: list[ImportProblem] = []
    rows: list[tuple[int, GazetteerEntry]] = []
    for line, record in enumerate(records, start=2):
        props = {(k or "").strip(): v for k, v in record.items()}
        if not any((v or "").strip() for v in props.values() if isinstance(v, str)):
            continue  # blank line (Excel leaves them at the end)
        entry = _entry_from(line, props, props.get("lon"), props.get("lat"), problems)
        if entry is not None:
            rows.append((line, entry))
    _check_duplicates(rows, problems)
    if problems:
        raise ImportRejected(problems, what="line")
    return [e for _, e in rows]


def read_gazetteer_geojson(obj: Any) -> list[GazetteerEntry]:
    """Read a GeoJSON FeatureCollection of Point features with gazetteer properties.

    Problems name the feature number (1-based) and the field; raises ImportRejected if any.
    """
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        raise ImportRejected([ImportProblem.of(0, "type", "geojson_collection")])
    features = obj.get("features")
    if not isinstance(features, list) or not features:
        raise ImportRejected([ImportProblem.of(0, "features", "geojson_no_features")])
    problems: list[ImportProblem] = []
    rows: list[tuple[int, GazetteerEntry]] = []
    for i, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(ImportProblem.of(i, "type", "geojson_feature"))
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.append(ImportProblem.of(i, "properties", "geojson_properties"))
            continue
        geometry = feature.get("geometry")
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(coords, list | tuple)
            or len(coords) < 2
        ):
            problems.append(ImportProblem.of(i, "geometry", "geometry_point"))
            _entry_from(i, props, 0.0, 0.0, problems)  # still report name/kind problems
            continue
        lon, lat = coords[0], coords[1]
        entry = _entry_from(i, props, lon, lat, problems)
        if entry is not None:
            rows.append((i, entry))
    _check_duplicates(rows, problems)
    if problems:
        raise ImportRejected(problems)
    return [e for _, e in rows]
