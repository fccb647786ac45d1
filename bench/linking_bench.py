"""Same-incident linking on a hand-labelled set of differently worded reports and look-alikes.

python bench/linking_bench.py [--data bench/data/linking_incidents.json] [--show-errors]

bench/data/linking_incidents.json holds incidents reported 2-4 times each in different words
(hotline summaries, residents' own words, one-line app reports; with or without coordinates)
and near-miss distractors: the same category and wording at another place, house number,
building, unit or numbered object, on another day, in another category leaf, or from another
sensing rule. The appeals are replayed in time order as the intake does: each one is matched
against the open orders (each represented by its first appeal, as `Understanding.same_incident`
reads the order row) and joins the best match or opens an order of its own.

Prints pairwise precision and recall (pairs of appeals that end on one order vs pairs of one
incident), how many incidents end on a single order, which distractors were linked, per part
("tune": looked at while setting the operating point; "check": not) and the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from bench._common import machine  # noqa: E402
from cityloop.nlp.incidents import IncidentAppeal, IncidentMatcher  # noqa: E402

DATA = REPO / "bench" / "data" / "linking_incidents.json"
M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Labelled:
    appeal: IncidentAppeal
    incident: str  # the incident id; a distractor is an incident of its own
    part: str
    kind: str  # "report" or the distractor's kind


def load(path: Path) -> list[Labelled]:
    """The benchmark's appeals, in time order."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out: list[Labelled] = []
    for inc in doc["incidents"]:
        lon0, lat0 = inc["anchor"]
        at = datetime.fromisoformat(inc["at"])
        rows = [("report", i, r) for i, r in enumerate(inc["reports"])]
        rows += [(d["kind"], i, d) for i, d in enumerate(inc["distractors"])]
        for kind, i, r in rows:
            lon = lat = None
            if r.get("xy") is not None:
                dx, dy = r["xy"]
                lat = lat0 + dy / M_PER_DEG_LAT
                lon = lon0 + dx / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
            own = inc["id"] if kind == "report" else f"{inc['id']}-d{i}"
            appeal = IncidentAppeal(
                f"{own}-{i}" if kind == "report" else own,
                r["text"],
                lon,
                lat,
                None,  # no gazetteer here: the place comes from coordinates and the text
                r.get("category", inc["category"]),
                at + timedelta(hours=r["h"]),
                r.get("address", ""),
                r.get("rule", inc.get("rule")),
            )
            out.append(Labelled(appeal, own, inc["part"], kind))
    out.sort(key=lambda x: (x.appeal.received_at, x.appeal.id))
    return out


def replay(
    items: list[Labelled], matcher: IncidentMatcher
) -> tuple[dict[str, str], dict[str, str], list[float]]:
    """Order id per appeal (the first appeal's id), the reason of each link, ms per appeal."""
    order_of: dict[str, str] = {}
    reasons: dict[str, str] = {}
    heads: list[IncidentAppeal] = []  # one per order
    times: list[float] = []
    for item in items:
        a = item.appeal
        open_ = [h for h in heads if a.received_at - h.received_at <= matcher.window]
        t = time.perf_counter()
        found = matcher.find_matches(a, open_)
        times.append((time.perf_counter() - t) * 1000)
        if found:
            best, _, why = found[0]
            order_of[a.id] = best
            reasons[a.id] = why.describe()
        else:
            order_of[a.id] = a.id
            heads.append(a)
    return order_of, reasons, times


def pairs(groups: dict[str, list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for members in groups.values() for p in combinations(members, 2)}


def score(items: list[Labelled], order_of: dict[str, str]) -> dict[str, float | int]:
    truth_groups: dict[str, list[str]] = defaultdict(list)
    pred_groups: dict[str, list[str]] = defaultdict(list)
    for x in items:
        truth_groups[x.incident].append(x.appeal.id)
        pred_groups[order_of[x.appeal.id]].append(x.appeal.id)
    truth, pred = pairs(truth_groups), pairs(pred_groups)
    tp = len(truth & pred)
    reported = {x.incident for x in items if x.kind == "report"}
    single = sum(len({order_of[i] for i in truth_groups[inc]}) == 1 for inc in reported)
    return {
        "precision": tp / len(pred) if pred else 1.0,
        "recall": tp / len(truth) if truth else 1.0,
        "pairs": len(truth),
        "predicted": len(pred),
        "incidents": len(reported),
        "single_order": single,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--show-errors", action="store_true", help="list wrong and missed links")
    args = ap.parse_args()
    items = load(args.data)
    matcher = IncidentMatcher().fit(x.appeal.text for x in items)
    order_of, reasons, times = replay(items, matcher)

    print(f"machine: {machine()}")
    kinds = Counter(x.kind for x in items)
    reports = kinds.pop("report")
    print(
        f"data: {args.data.relative_to(REPO) if args.data.is_relative_to(REPO) else args.data}: "
        f"{len({x.incident for x in items if x.kind == 'report'})} incidents, {reports} reports, "
        f"{sum(kinds.values())} distractors ({', '.join(f'{k} {v}' for k, v in kinds.items())})"
    )
    r = matcher.rules
    print(
        f"rules: radius {r.radius_m:.0f} m, near {r.near_m:.0f} m, window {r.window_hours:.0f} h, "
        f"text bar {r.text_strong} (strong place evidence) / {r.text_weak} (weaker)\n"
    )
    print(f"{'part':<8}{'precision':>10}{'recall':>8}{'pairs':>7}{'linked':>8}{'single order':>15}")
    for part in ("tune", "check", "fresh", None):
        sub = [x for x in items if part is None or x.part == part]
        s = score(sub, order_of)
        print(
            f"{part or 'all':<8}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['pairs']:>7}"
            f"{s['predicted']:>8}{s['single_order']:>8}/{s['incidents']}"
        )
    by_id = {x.appeal.id: x for x in items}
    wrong = [x for x in items if x.incident != by_id[order_of[x.appeal.id]].incident]
    linked_distractors = Counter(x.kind for x in wrong if x.kind != "report")
    print(
        "\ndistractors linked into another incident's order: "
        f"{sum(linked_distractors.values())} of {sum(kinds.values())}"
        + (f" ({dict(linked_distractors)})" if linked_distractors else "")
    )
    print(f"reports linked into another incident's order: {sum(x.kind == 'report' for x in wrong)}")
    print(
        f"matching time per appeal: median {statistics.median(times):.2f} ms, "
        f"max {max(times):.2f} ms (against up to {len(items)} open orders)"
    )
    print("goal: precision ≥ 0.97 and recall ≥ 0.80 on all")
    if args.show_errors:
        print("\nwrong links:")
        for x in wrong:
            print(f"  {x.appeal.id} -> {order_of[x.appeal.id]}: {reasons.get(x.appeal.id)}")
        print("missed (a report on an order of its own, another report of its incident open):")
        for x in items:
            if x.kind == "report" and order_of[x.appeal.id] == x.appeal.id:
                first = next(y for y in items if y.incident == x.incident)
                if first is not x:
                    sim = matcher.text_similarity(x.appeal, first.appeal)
                    print(f"  {x.appeal.id} (text similarity to {first.appeal.id}: {sim:.2f})")


if __name__ == "__main__":
    main()
