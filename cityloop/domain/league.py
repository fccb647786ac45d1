"""The command-centre's department league (部门办理排行): departments ranked by how well they
handle their orders, not by how many they have.

Pure domain code (docs/CONSOLE.md, "Department league"). Per department, over the screen's
period:

- on-time rate (按时办结率) = replied by the due time / replied;
- satisfaction rate (满意率) = (satisfied + basically satisfied) / rated;
- punctuality (未超时率) = 1 − overdue / held, over the open orders the department holds now
  (dispatched, accepted, in progress, reopened).

Composite score (综合得分) = 100 × Σ wᵢ·cᵢ / Σ wᵢ with w = 0.40 (on time), 0.35
(satisfaction), 0.25 (punctuality); a component without data (nothing replied, nothing rated,
nothing held) drops out and the others are renormalised; no component at all → no score.

A department is ranked only with at least `MIN_REPLIED` replies in the period: one order
answered on time must not put it above a department that answered two hundred, 98 % on time.
The others follow the ranked ones, unranked (`rank` None, `ranked` False), in the same order.

Order: score (higher first; none last), then fewer overdue, then more replies (the larger
sample), then the department code — so equal figures always list the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MIN_REPLIED", "WEIGHTS", "DepartmentFigures", "league", "score"]

WEIGHTS: dict[str, float] = {"on_time": 0.40, "satisfaction": 0.35, "punctuality": 0.25}
MIN_REPLIED = 5


@dataclass(frozen=True)
class DepartmentFigures:
    department: str
    name: str
    orders: int = 0  # received in the period, open, or replied in it (each once)
    open: int = 0
    held: int = 0  # open and with the department
    overdue: int = 0  # held and past the due time
    replied: int = 0
    on_time: int = 0
    rated: int = 0
    good: int = 0


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def components(f: DepartmentFigures) -> dict[str, float | None]:
    return {
        "on_time": _ratio(f.on_time, f.replied),
        "satisfaction": _ratio(f.good, f.rated),
        "punctuality": (1 - f.overdue / f.held) if f.held else None,
    }


def score(f: DepartmentFigures, weights: dict[str, float] | None = None) -> float | None:
    """The composite score 0–100 (one decimal), or None when no component has data."""
    w = weights or WEIGHTS
    parts = [(w[k], v) for k, v in components(f).items() if v is not None and w.get(k, 0) > 0]
    total = sum(wi for wi, _ in parts)
    if not total:
        return None
    return round(100 * sum(wi * v for wi, v in parts) / total, 1)


def league(
    figures: list[DepartmentFigures],
    min_replied: int = MIN_REPLIED,
    weights: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The league rows, ranked ones first (rank 1, 2, …), then those below the minimum."""
    rows: list[dict[str, Any]] = []
    for f in figures:
        c = components(f)
        rows.append(
            {
                "department": f.department,
                "name": f.name,
                "orders": f.orders,
                "open": f.open,
                "held": f.held,
                "overdue": f.overdue,
                "replied": f.replied,
                "on_time_rate": None if c["on_time"] is None else round(c["on_time"], 4),
                "satisfaction_rate": (
                    None if c["satisfaction"] is None else round(c["satisfaction"], 4)
                ),
                "overdue_rate": round(f.overdue / f.held, 4) if f.held else None,
                "score": score(f, weights),
                "ranked": f.replied >= min_replied,
            }
        )
    rows.sort(
        key=lambda r: (
            not r["ranked"],
            r["score"] is None,
            -(r["score"] or 0.0),
            r["overdue"],
            -r["replied"],
            r["department"],
        )
    )
    n = 0
    for r in rows:
        if r["ranked"]:
            n += 1
            r["rank"] = n
        else:
            r["rank"] = None
    return rows
