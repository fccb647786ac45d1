"""Same-incident detection (同一事件识别) across callers and channels.

Several residents report one burst pipe in different words, through different channels, with
coordinates of different quality. Whether two appeals may be one incident at all is decided by
the rules of cityloop/nlp/linking.py: the same time window, the same category (the full path
when both have it), the same sensing rule, and place evidence with no differing detail (house
number, building, unit, object number, named place, distance). How alike the texts must read
then depends on how strong the place evidence is (character n-gram TF-IDF cosine: robust to
paraphrase, no segmenter needed). Measured on a labelled set of differently worded reports and
look-alike distractors: bench/linking_bench.py.

Cheap filters run first (time, category, rule), so a new appeal against ~2,000 open ones costs a
few milliseconds; text vectors and place keys are cached per appeal id.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cityloop.nlp.linking import (
    LinkRules,
    PlaceKeys,
    PlaceVerdict,
    compare_places,
    distance,
    place_keys,
    shared_category,
    text_bar,
)
from cityloop.nlp.normalize import normalize

_NOISE_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class IncidentAppeal:
    id: str
    text: str  # title and content (the matcher normalizes it)
    lon: float | None  # reported coordinates, if any
    lat: float | None
    place_name: str | None  # resolved gazetteer entry name, if any
    category_path: str  # "l1/l2/l3" (fewer levels allowed)
    received_at: datetime
    address: str = ""  # the address field, read for house numbers and buildings
    sensing_rule: str | None = None  # the rule that raised a sensor event; None for people


@dataclass(frozen=True)
class MatchReasons:
    text_similarity: float
    hours_apart: float
    distance_m: float | None  # when both have coordinates
    same_place: bool | None  # when both have a resolved place name
    category: str  # the shared category path
    same_address: str | None = None  # the shared address or building
    same_name: str | None = None  # the named place both mention
    sensing_rule: str | None = None

    def describe(self) -> str:
        """One line for the dispatcher's screen."""
        parts = []
        if self.same_address:
            parts.append(f"地址相同（{self.same_address}）")
        if self.distance_m is not None:
            parts.append(f"距离 {self.distance_m:.0f} 米")
        if self.same_place:
            parts.append("地点相同")
        if self.same_name and not self.same_address:
            parts.append(f"同一地点（{self.same_name}）")
        parts.append(f"同类 {self.category}")
        if self.sensing_rule:
            parts.append(f"同一感知规则 {self.sensing_rule}")
        parts.append(f"文本相似度 {self.text_similarity:.2f}")
        parts.append(f"相隔 {self.hours_apart:.1f} 小时")
        return "，".join(parts)

    def as_record(self) -> dict[str, Any]:
        """The evidence as data, for the API and the console's own wording (中文/English)."""
        return {
            "distance_m": self.distance_m,
            "same_place": self.same_place,
            "same_address": self.same_address,
            "same_name": self.same_name,
            "category": self.category,
            "text_similarity": self.text_similarity,
            "hours_apart": self.hours_apart,
            "sensing_rule": self.sensing_rule,
        }


Match = tuple[str, float, MatchReasons]


@dataclass
class _Features:
    text: str
    address: str
    vector: dict[str, float]  # L2-normalized
    _keys: PlaceKeys | None = None  # read on first need: most candidates fail on text first

    @property
    def keys(self) -> PlaceKeys:
        if self._keys is None:
            self._keys = place_keys(self.address, self.text)
        return self._keys


class IncidentMatcher:
    """Pairs a new appeal with open appeals that describe the same incident.

    Parameters are plain numbers so the operating point can be set from configuration:

    - ``max_distance_m``: beyond this, two appeals with coordinates are different places;
    - ``near_m``: this close, the points alone are strong place evidence;
    - ``window_hours``: callers of one incident call within this window;
    - ``category_levels``: at least this many leading category levels must agree (the full
      path is compared when both sides have it);
    - ``text_threshold``: the n-gram cosine needed with weaker place evidence (within the
      radius, the same estate); ``strong_text_threshold`` with strong evidence (the same
      address or building, points within ``near_m``).
    """

    def __init__(
        self,
        text_threshold: float = 0.10,
        max_distance_m: float = 200.0,
        window_hours: float = 48.0,
        category_levels: int = 2,
        strong_text_threshold: float = 0.05,
        near_m: float = 60.0,
        ngram: int = 2,
        cache_size: int = 50_000,
    ) -> None:
        if ngram < 1:
            raise ValueError("ngram must be positive")
        self.rules = LinkRules(
            radius_m=max_distance_m,
            near_m=near_m,
            window_hours=window_hours,
            min_category_levels=category_levels,
            text_strong=strong_text_threshold,
            text_weak=text_threshold,
        )
        self.window = timedelta(hours=window_hours)
        self.ngram = ngram
        self._idf: dict[str, float] | None = None
        self._default_idf = 1.0
        self._cache: OrderedDict[str, _Features] = OrderedDict()
        self._cache_size = cache_size

    # ---------------------------------------------------------------------------------------
    # text features
    # ---------------------------------------------------------------------------------------

    def fit(self, texts: Iterable[str]) -> IncidentMatcher:
        """Learn n-gram IDF from past appeal texts (no labels needed). Without it every
        n-gram weighs the same, which works but lets boilerplate ("市民来电反映") count."""
        df: Counter[str] = Counter()
        n = 0
        for t in texts:
            df.update(set(self._grams(t)))
            n += 1
        if n:
            self._idf = {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}
            self._default_idf = math.log(1 + n) + 1.0  # unseen n-grams are the rarest
        self._cache.clear()
        return self

    def _grams(self, text: str) -> list[str]:
        clean = _NOISE_RE.sub("", _DIGITS_RE.sub("0", normalize(text)))
        k = self.ngram
        if len(clean) < k:
            return [clean] if clean else []
        return [clean[i : i + k] for i in range(len(clean) - k + 1)]

    def vector(self, text: str) -> dict[str, float]:
        counts = Counter(self._grams(text))
        idf = self._idf
        vec = {
            g: (1.0 + math.log(c)) * (idf.get(g, self._default_idf) if idf is not None else 1.0)
            for g, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {g: v / norm for g, v in vec.items()} if norm else {}

    def _features(self, appeal: IncidentAppeal) -> _Features:
        cached = self._cache.get(appeal.id)
        if cached is not None and cached.text == appeal.text and cached.address == appeal.address:
            self._cache.move_to_end(appeal.id)
            return cached
        feats = _Features(appeal.text, appeal.address, self.vector(appeal.text))
        self._cache[appeal.id] = feats
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return feats

    def text_similarity(self, a: IncidentAppeal, b: IncidentAppeal) -> float:
        return _cosine(self._features(a).vector, self._features(b).vector)

    # ---------------------------------------------------------------------------------------
    # matching
    # ---------------------------------------------------------------------------------------

    def find_matches(
        self, new_appeal: IncidentAppeal, candidates: Sequence[IncidentAppeal]
    ) -> list[Match]:
        """Candidates that describe the same incident as ``new_appeal``, best first.

        Score is 0..1: 60% text similarity, 40% place evidence. Candidates outside the time
        window, of another category or sensing rule, without place evidence or with a differing
        place detail never match, however alike the text.
        """
        rules = self.rules
        t0 = new_appeal.received_at
        lo, hi = t0 - self.window, t0 + self.window
        path = new_appeal.category_path
        rule = new_appeal.sensing_rule
        levels = rules.min_category_levels
        same_path = shared_category(path, path, levels)  # what two equal paths share
        # Cheap filters before any text work: most open appeals fail one of them (time,
        # sensing rule, category; the common equal-path case without a call).
        pool: list[tuple[IncidentAppeal, str]] = []
        for c in candidates:
            if not lo <= c.received_at <= hi or c.sensing_rule != rule or c.id == new_appeal.id:
                continue
            shared = same_path if c.category_path == path else None
            if shared is None:
                shared = shared_category(path, c.category_path, levels)
                if shared is None:
                    continue
            pool.append((c, shared))
        if not pool:
            return []
        mine = self._features(new_appeal)
        xy = (new_appeal.lon, new_appeal.lat)
        floor = min(rules.text_strong, rules.text_weak)  # below it nothing links
        place = new_appeal.place_name
        out: list[Match] = []
        for c, shared in pool:
            # Cheapest first: the points (most open appeals are elsewhere), then the text
            # (vectors are cached per appeal), then the place details.
            metres = distance(xy, (c.lon, c.lat))
            wide = rules.same_place_m if place and place == c.place_name else rules.radius_m
            if metres is not None and metres > wide:
                continue
            theirs = self._features(c)
            sim = _cosine(mine.vector, theirs.vector)
            if sim < floor:
                continue
            verdict = compare_places(
                mine.keys,
                theirs.keys,
                rules,
                distance_m=metres,
                place_a=new_appeal.place_name,
                place_b=c.place_name,
            )
            if not verdict.linkable or sim < text_bar(verdict, rules):
                continue
            score = round(0.6 * sim + 0.4 * _place_score(verdict, rules), 4)
            hours = abs((c.received_at - t0).total_seconds()) / 3600
            reasons = MatchReasons(
                round(sim, 4),
                round(hours, 2),
                verdict.distance_m,
                verdict.same_place,
                shared,
                verdict.same_address,
                verdict.same_name,
                rule,
            )
            out.append((c.id, score, reasons))
        out.sort(key=lambda m: (-m[1], m[0]))
        return out


def _place_score(verdict: PlaceVerdict, rules: LinkRules) -> float:
    """0..1: the same address or a shared name counts fully; otherwise closeness."""
    if verdict.same_address or verdict.same_place:
        return 1.0
    closeness = 1.0 - verdict.distance_m / rules.radius_m if verdict.distance_m is not None else 0.0
    return max(closeness, 0.7 if verdict.same_name else 0.0)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum(v * get(g, 0.0) for g, v in a.items())
