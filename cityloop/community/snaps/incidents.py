"""Same-incident grouping for snap reports (随手拍), pure and local to this package.

Two reports are about the same problem when they are close (metres), recent (hours) and say
nearly the same thing (character-bigram similarity of the short texts, which works for Chinese
without a segmenter).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cityloop.community.config import SnapPolicy

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_EARTH_M = 6_371_000.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def _grams(text: str) -> set[str]:
    t = _NOISE.sub("", text.lower())
    if len(t) < 2:
        return {t} if t else set()
    return {t[i : i + 2] for i in range(len(t) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the texts' character bigrams (0 … 1)."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str
    lon: float
    lat: float
    last_at: datetime


@dataclass(frozen=True)
class Report:
    text: str
    lon: float
    lat: float
    at: datetime


def degrees_around(lat: float, metres: float) -> tuple[float, float]:
    """(Δlon, Δlat) in degrees covering `metres` around latitude `lat` (for a bounding box)."""
    dlat = metres / 111_320.0
    dlon = metres / (111_320.0 * max(0.1, math.cos(math.radians(lat))))
    return dlon, dlat


def best_match(report: Report, candidates: Iterable[Candidate], policy: SnapPolicy) -> int | None:
    """The group the report belongs to, or None when it is a new incident."""
    window = timedelta(hours=policy.window_hours)
    best: tuple[float, int] | None = None
    for c in candidates:
        if report.at - c.last_at > window or c.last_at - report.at > window:
            continue
        d = distance_m(report.lon, report.lat, c.lon, c.lat)
        if d > policy.radius_m:
            continue
        sim = similarity(report.text, c.text)
        if sim < policy.min_similarity:
            continue
        score = sim - 0.2 * d / policy.radius_m
        if best is None or score > best[0]:
            best = (score, c.id)
    return best[1] if best else None
