"""Point → unit grid lookup over an STRtree (空间索引)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely import STRtree, points
from shapely.geometry import shape
from shapely.prepared import prep


@dataclass(frozen=True)
class GridHit:
    grid_code: str
    ancestry: tuple[str, ...]  # region codes from the city down to the grid


class GridIndex:
    """Locates points in unit grids. A point outside every grid gives None — never a guess."""

    def __init__(self, grids: Iterable[tuple[str, dict[str, Any]]], parents: dict[str, str]):
        self._codes: list[str] = []
        geoms = []
        for code, geometry in grids:
            self._codes.append(code)
            geoms.append(shape(geometry))
        self._geoms = geoms
        self._prepared = [prep(g) for g in geoms]
        self._tree = STRtree(geoms) if geoms else None
        self._parents = parents
        self._ancestry_cache: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._codes)

    def ancestry(self, code: str) -> tuple[str, ...]:
        cached = self._ancestry_cache.get(code)
        if cached is not None:
            return cached
        chain = [code]
        seen = {code}
        while (parent := self._parents.get(chain[-1])) is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
        result = tuple(reversed(chain))
        self._ancestry_cache[code] = result
        return result

    def locate(self, lon: float, lat: float) -> GridHit | None:
        if self._tree is None:
            return None
        pt = points(lon, lat)
        for i in self._tree.query(pt):
            # Boundaries belong to the first grid that covers them: deterministic, never lost.
            if self._prepared[int(i)].covers(pt):
                code = self._codes[int(i)]
                return GridHit(code, self.ancestry(code))
        return None

    def locate_many(self, coords: np.ndarray) -> list[GridHit | None]:
        return [self.locate(float(x), float(y)) for x, y in coords]
