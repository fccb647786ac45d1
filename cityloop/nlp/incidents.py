"""Same-incident detection (同一事件识别) across callers and channels.

Several residents report one burst pipe in different words, through different channels, with
coordinates of different quality. Two appeals are taken as one incident when they fall in the
same time window, share the first category levels, happened at the same place (distance when
both have coordinates, else the resolved place name) and read alike (character n-gram TF-IDF
cosine: robust to paraphrase, no segmenter needed, and measured better than plain bigram
overlap on the demo history; see bench/understanding_bench.py).

Cheap filters run first (time, category), so a new appeal against ~2,000 open ones costs a few
milliseconds; text vectors are cached per appeal id.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cityloop.geo.gazetteer import haversine_m
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


@dataclass(frozen=True)
class MatchReasons:
    text_similarity: float
    hours_apart: float
    distance_m: float | None  # when both have coordinates
    same_place: bool | None  # when both have a resolved place name
    category: str  # the shared category prefix

    def describe(self) -> str:
        """One line for the dispatcher's screen."""
        parts = [f"文本相似度 {self.text_similarity:.2f}", f"相隔 {self.hours_apart:.1f} 小时"]
        if self.distance_m is not None:
            parts.append(f"距离 {self.distance_m:.0f} 米")
        if self.same_place:
            parts.append("地点相同")
        parts.append(f"同类 {self.category}")
        return "，".join(parts)


Match = tuple[str, float, MatchReasons]


@dataclass
class _Features:
    text: str
    vector: dict[str, float]  # L2-normalized


class IncidentMatcher:
    """Pairs a new appeal with open appeals that describe the same incident.

    Parameters are plain numbers so the operating point can be set from configuration:

    - ``text_threshold``: minimum n-gram cosine when the place agrees;
    - ``unknown_place_margin``: added to the threshold when neither coordinates nor place names
      can be compared (text is then the only evidence);
    - ``max_distance_m``: beyond this, two appeals with coordinates are different places;
    - ``window_hours``: callers of one incident call within this window;
    - ``category_levels``: how many leading category levels must agree (0: none).
    """

    def __init__(
        self,
        text_threshold: float = 0.35,
        max_distance_m: float = 600.0,
        window_hours: float = 48.0,
        category_levels: int = 2,
        unknown_place_margin: float = 0.15,
        ngram: int = 2,
        cache_size: int = 50_000,
    ) -> None:
        if not 0.0 <= text_threshold <= 1.0:
            raise ValueError("text_threshold must be within 0..1")
        if max_distance_m <= 0 or window_hours <= 0 or ngram < 1:
            raise ValueError("max_distance_m, window_hours and ngram must be positive")
        self.text_threshold = text_threshold
        self.max_distance_m = max_distance_m
        self.window = timedelta(hours=window_hours)
        self.category_levels = category_levels
        self.unknown_place_margin = unknown_place_margin
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
        if cached is not None and cached.text == appeal.text:
            self._cache.move_to_end(appeal.id)
            return cached
        feats = _Features(appeal.text, self.vector(appeal.text))
        self._cache[appeal.id] = feats
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return feats

    def text_similarity(self, a: IncidentAppeal, b: IncidentAppeal) -> float:
        return _cosine(self._features(a).vector, self._features(b).vector)

    # ---------------------------------------------------------------------------------------
    # matching
    # ---------------------------------------------------------------------------------------

    def _category_key(self, path: str) -> str:
        if self.category_levels <= 0:
            return ""
        return "/".join(path.split("/")[: self.category_levels])

    def find_matches(
        self, new_appeal: IncidentAppeal, candidates: Sequence[IncidentAppeal]
    ) -> list[Match]:
        """Candidates that describe the same incident as ``new_appeal``, best first.

        Score is 0..1: 70% text similarity, 30% place agreement. Candidates outside the time
        window, of another category, or at another place never match, however alike the text.
        """
        key = self._category_key(new_appeal.category_path)
        t0 = new_appeal.received_at
        window = self.window
        # Cheap filters before any text work: most open appeals fail one of them.
        pool = [
            c
            for c in candidates
            if c.id != new_appeal.id
            and abs(c.received_at - t0) <= window
            and (not key or self._category_key(c.category_path) == key)
        ]
        if not pool:
            return []
        vec = self._features(new_appeal).vector
        out: list[Match] = []
        for c in pool:
            place = self._place_evidence(new_appeal, c)
            if place is None:
                continue
            place_score, distance, same_place = place
            threshold = self.text_threshold
            if distance is None and same_place is None:
                threshold += self.unknown_place_margin
            sim = _cosine(vec, self._features(c).vector)
            if sim < threshold:
                continue
            score = round(0.7 * sim + 0.3 * place_score, 4)
            hours = abs((c.received_at - t0).total_seconds()) / 3600
            out.append(
                (
                    c.id,
                    score,
                    MatchReasons(round(sim, 4), round(hours, 2), distance, same_place, key),
                )
            )
        out.sort(key=lambda m: (-m[1], m[0]))
        return out

    def _place_evidence(
        self, a: IncidentAppeal, b: IncidentAppeal
    ) -> tuple[float, float | None, bool | None] | None:
        """(place score 0..1, distance, same place) or None when the places differ."""
        distance: float | None = None
        if a.lon is not None and a.lat is not None and b.lon is not None and b.lat is not None:
            distance = round(haversine_m(a.lon, a.lat, b.lon, b.lat), 1)
        same: bool | None = None
        if a.place_name and b.place_name:
            same = a.place_name == b.place_name
        if same:
            return 1.0, distance, True
        if distance is not None:
            if distance > self.max_distance_m:
                return None
            # Names differ but the points are close: an estate and the road at its gate.
            closeness = 1.0 - distance / self.max_distance_m
            return (0.5 * closeness if same is False else closeness), distance, same
        if same is False:
            return None
        return 0.5, None, None  # nothing to compare: the text must carry it alone


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum(v * get(g, 0.0) for g, v in a.items())
