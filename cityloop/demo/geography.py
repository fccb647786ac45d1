"""Fictional city 云河市: nested administrative regions with real polygon geometry.

Levels follow the GB/T 30428.1 code layout: city/district (6 digits), street (9), community (12),
unit grid (15). Geometry is built top-down as irregular Voronoi partitions, then snapped to a
1e-6 degree grid as ONE planar subdivision at grid level, and every parent is rebuilt as the
union of its snapped children. That is what makes nesting and tiling exact after rounding:
rounding each polygon on its own would open slivers along shared edges.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import polygonize

CITY_CODE = "990100"
CITY_NAME = "云河市"
PRECISION = 1e-6  # 6 decimals, ~0.1 m

LEVEL_CITY = 1
LEVEL_DISTRICT = 2
LEVEL_STREET = 3
LEVEL_COMMUNITY = 4
LEVEL_GRID = 5

# District -> street -> communities. Names are invented; codes are assigned in this order.
DISTRICTS: list[tuple[str, str, list[tuple[str, list[str]]]]] = [
    (
        "990102",
        "临江区",
        [
            ("滨江街道", ["幸福里社区", "江畔社区", "码头社区"]),
            ("望江街道", ["望江楼社区", "柳荫社区", "新民社区"]),
            ("锦城街道", ["锦绣社区", "文庙社区", "金桂社区"]),
        ],
    ),
    (
        "990105",
        "青山区",
        [
            ("青峰街道", ["青峰社区", "松林社区", "云岭社区"]),
            ("翠湖街道", ["翠湖社区", "荷塘社区", "玉带社区"]),
            ("石桥街道", ["石桥社区", "老街社区", "桂香社区"]),
        ],
    ),
]
GRIDS_PER_COMMUNITY = 9

_CENTER = (104.10, 30.65)
_RADIUS = 0.088  # degrees; keeps the city inside lon 104.0-104.2, lat 30.55-30.75


@dataclass
class _Node:
    code: str
    name: str
    level: int
    parent_code: str | None
    geom: Polygon
    children: list[_Node] = field(default_factory=list)


def _city_outline(rng: random.Random) -> Polygon:
    """A smooth, irregular star-shaped outline (no self-intersections by construction)."""
    n = 36
    # Low-frequency harmonics give a natural coastline-like wobble rather than spikes.
    harmonics = [(k, rng.uniform(0.02, 0.08), rng.uniform(0, 2 * math.pi)) for k in (2, 3, 5, 7)]
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        r = 0.80 + sum(amp * math.sin(k * a + ph) for k, amp, ph in harmonics)
        r *= _RADIUS * rng.uniform(0.97, 1.0)
        pts.append((_CENTER[0] + r * math.cos(a), _CENTER[1] + r * math.sin(a)))
    return Polygon(pts)


def _sample_inside(
    poly: Polygon, n: int, rng: random.Random, min_dist: float = 0.0, tries: int = 4000
) -> list[tuple[float, float]] | None:
    minx, miny, maxx, maxy = poly.bounds
    inner = poly.buffer(-min_dist * 0.25) if min_dist else poly
    if inner.is_empty:
        inner = poly
    out: list[tuple[float, float]] = []
    for _ in range(tries):
        if len(out) == n:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inner.contains(Point(x, y)):
            continue
        if min_dist and any(math.hypot(x - px, y - py) < min_dist for px, py in out):
            continue
        out.append((x, y))
    return out if len(out) == n else None


def _compactness(p: Polygon) -> float:
    return float(4 * math.pi * p.area / (p.length**2))


def _partition(parent: Polygon, n: int, rng: random.Random) -> list[Polygon]:
    """Split ``parent`` into ``n`` connected, reasonably compact pieces that tile it.

    Each piece is the union of several Voronoi cells (one "center" plus satellite points
    assigned to their nearest center), which gives jagged, street-like boundaries instead of
    the straight single-cell Voronoi edges.
    """
    spacing = math.sqrt(parent.area / n)
    frame = parent.envelope.buffer(spacing * 4)
    for attempt in range(400):
        # Demands relax slowly so that awkward (thin, concave) parents still split.
        relax = attempt / 400
        centers = _sample_inside(parent, n, rng, min_dist=(0.75 - 0.4 * relax) * spacing)
        sats = _sample_inside(parent, n * 3, rng)
        if centers is None or sats is None:
            continue
        seeds = centers + sats
        cells = list(
            shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True).geoms
        )
        groups: list[list[Polygon]] = [[] for _ in range(n)]
        for (sx, sy), cell in zip(seeds, cells, strict=True):
            owner = min(range(n), key=lambda i: math.hypot(sx - centers[i][0], sy - centers[i][1]))
            groups[owner].append(cell)
        pieces = [shapely.union_all(g).intersection(parent) for g in groups]
        if all(
            isinstance(p, Polygon)
            and not p.interiors
            and p.area > (0.45 - 0.3 * relax) * parent.area / n
            and _compactness(p) > 0.30 - 0.18 * relax
            for p in pieces
        ):
            polys = [p for p in pieces if isinstance(p, Polygon)]
            # North-west first, so codes read roughly like a map.
            polys.sort(key=lambda p: (-round(p.centroid.y, 2), p.centroid.x))
            return polys
    raise RuntimeError("could not partition region; try another seed")  # pragma: no cover


def _build_tree(seed: int) -> _Node:
    rng = random.Random(seed)
    city = _Node(CITY_CODE, CITY_NAME, LEVEL_CITY, None, _city_outline(rng))
    district_polys = _partition(city.geom, len(DISTRICTS), rng)
    # West district first: 临江区 sits on the river side.
    district_polys.sort(key=lambda p: p.centroid.x)
    for (dcode, dname, streets), dpoly in zip(DISTRICTS, district_polys, strict=True):
        dnode = _Node(dcode, dname, LEVEL_DISTRICT, CITY_CODE, dpoly)
        city.children.append(dnode)
        for si, ((sname, communities), spoly) in enumerate(
            zip(streets, _partition(dpoly, len(streets), rng), strict=True), start=1
        ):
            scode = f"{dcode}{si:03d}"
            snode = _Node(scode, sname, LEVEL_STREET, dcode, spoly)
            dnode.children.append(snode)
            for ci, (cname, cpoly) in enumerate(
                zip(communities, _partition(spoly, len(communities), rng), strict=True), start=1
            ):
                ccode = f"{scode}{ci:03d}"
                cnode = _Node(ccode, cname, LEVEL_COMMUNITY, scode, cpoly)
                snode.children.append(cnode)
                for gi, gpoly in enumerate(_partition(cpoly, GRIDS_PER_COMMUNITY, rng), start=1):
                    gname = f"{cname}第{gi}网格"
                    cnode.children.append(
                        _Node(f"{ccode}{gi:03d}", gname, LEVEL_GRID, ccode, gpoly)
                    )
    return city


def _walk(node: _Node) -> list[_Node]:
    out = [node]
    for c in node.children:
        out.extend(_walk(c))
    return out


def _snap(city: _Node) -> None:
    """Snap the grid level to PRECISION as one subdivision, then rebuild parents as unions."""
    grids = [n for n in _walk(city) if n.level == LEVEL_GRID]
    linework = shapely.union_all([g.geom.boundary for g in grids], grid_size=PRECISION)
    faces = list(polygonize(getattr(linework, "geoms", [linework])))
    if len(faces) != len(grids):  # pragma: no cover - would mean snapping made slivers
        raise RuntimeError(f"snapping produced {len(faces)} faces for {len(grids)} grids")
    tree = shapely.STRtree([g.geom for g in grids])
    taken: set[int] = set()
    for face in faces:
        probe = face.point_on_surface()
        hits = [int(i) for i in tree.query(probe, predicate="within")]
        if len(hits) != 1 or hits[0] in taken:  # pragma: no cover
            raise RuntimeError("ambiguous face after snapping")
        taken.add(hits[0])
        grids[hits[0]].geom = _round_poly(face)

    def rebuild(node: _Node) -> Polygon:
        if not node.children:
            return node.geom
        merged = shapely.union_all([rebuild(c) for c in node.children])
        if not isinstance(merged, Polygon):  # pragma: no cover
            raise RuntimeError(f"{node.code} is not a single polygon after snapping")
        node.geom = _round_poly(merged)
        return node.geom

    rebuild(city)


def _round_poly(p: Polygon) -> Polygon:
    """Round to 6 decimals exactly as the GeoJSON will carry them, CCW exterior (RFC 7946)."""
    rounded = shapely.transform(p, lambda xy: xy.round(6))
    rounded = orient(shapely.normalize(rounded), sign=1.0)
    assert isinstance(rounded, Polygon)
    return rounded


def _ring(coords: Any) -> list[list[float]]:
    return [[round(x, 6), round(y, 6)] for x, y in coords]


def _feature(node: _Node) -> dict[str, Any]:
    rings = [_ring(node.geom.exterior.coords)] + [_ring(r.coords) for r in node.geom.interiors]
    return {
        "type": "Feature",
        "id": node.code,
        "properties": {
            "code": node.code,
            "name": node.name,
            "level": node.level,
            "parent_code": node.parent_code,
        },
        "geometry": {"type": "Polygon", "coordinates": rings},
    }


def build_regions(seed: int = 7) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of 云河市, parents always before their children.

    Properties: ``code`` (str), ``name`` (str), ``level`` (1 city .. 5 unit grid),
    ``parent_code`` (str | None for the city). Geometry: Polygon, [lon, lat] WGS84, 6 decimals.
    Same seed -> identical output.
    """
    city = _build_tree(seed)
    _snap(city)
    # Breadth-first by level so that every parent precedes every child.
    nodes = sorted(_walk(city), key=lambda n: (n.level, n.code))
    return {
        "type": "FeatureCollection",
        "name": "云河市行政区划与网格",
        "features": [_feature(n) for n in nodes],
    }


def region_shapes(regions: dict[str, Any]) -> dict[str, Polygon]:
    """Shapely polygons keyed by region code, built from a ``build_regions`` collection."""
    out: dict[str, Polygon] = {}
    for f in regions["features"]:
        rings = f["geometry"]["coordinates"]
        out[f["properties"]["code"]] = Polygon(rings[0], rings[1:])
    return out


def region_index(regions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Feature properties keyed by code (handy for name/parent lookups)."""
    return {f["properties"]["code"]: dict(f["properties"]) for f in regions["features"]}
