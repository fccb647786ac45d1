"""Benchmark of place resolution and same-incident detection on the demo history.

python bench/understanding_bench.py [--count 3200] [--seed 7]

Place: resolved grid == true grid, overall, for appeals without coordinates, by method.
Incidents: appeals are processed in time order, each matched against earlier appeals still
open (received within the window), as the intake will; pairs are scored against the ground
truth ``incident_pairs``. A threshold sweep shows the operating points.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, deque
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from bench._common import machine  # noqa: E402
from cityloop.demo.appeals import TZ, DemoAppeal, generate_appeals, incident_pairs  # noqa: E402
from cityloop.demo.geography import build_regions, region_index  # noqa: E402
from cityloop.demo.organisation import build_gazetteer, build_taxonomy  # noqa: E402
from cityloop.geo.gazetteer import Gazetteer  # noqa: E402
from cityloop.geo.grid_index import GridIndex  # noqa: E402
from cityloop.nlp.incidents import IncidentAppeal, IncidentMatcher, MatchReasons  # noqa: E402
from cityloop.nlp.places import PlaceResolution, resolve_place  # noqa: E402

NOW = datetime(2025, 6, 18, 10, 30, tzinfo=TZ)
WINDOW_H = 48.0


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def prf(pred: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bench_places(
    appeals: list[DemoAppeal], gazetteer: Gazetteer, grids: GridIndex
) -> dict[str, PlaceResolution]:
    print("\n## Place resolution (text -> gazetteer -> grid)")
    out: dict[str, PlaceResolution] = {}
    times: list[float] = []
    for a in appeals:
        t = time.perf_counter()
        out[a.external_id] = resolve_place(a.title, a.content, a.address, gazetteer, grids)
        times.append((time.perf_counter() - t) * 1000)

    def rate(rows: list[DemoAppeal]) -> str:
        hits = sum(out[a.external_id].grid_code == a.true_grid_code for a in rows)
        return f"{hits / len(rows):.4f} ({hits}/{len(rows)})" if rows else "n/a"

    no_xy = [a for a in appeals if a.lon is None]
    print(f"appeals: {len(appeals)}, without coordinates: {len(no_xy)}")
    print(f"hit rate overall                 {rate(appeals)}")
    print(f"hit rate without coordinates     {rate(no_xy)}")
    with_xy = [a for a in appeals if a.lon is not None and a.lat is not None]
    located = sum(
        (h := grids.locate(a.lon, a.lat)) is not None and h.grid_code == a.true_grid_code  # type: ignore[arg-type]
        for a in with_xy
    )
    print(
        f"for comparison, reported coordinates -> grid: {located / len(with_xy):.4f} "
        f"({located}/{len(with_xy)}), text resolution on the same appeals: {rate(with_xy)}"
    )
    print(f"{'method':<18}{'appeals':>8}{'share':>8}{'hit rate':>10}{'mean conf':>11}")
    for method in ("gazetteer_exact", "gazetteer_fuzzy", "none"):
        rows = [a for a in appeals if out[a.external_id].method == method]
        if not rows:
            print(f"{method:<18}{0:>8}")
            continue
        hits = sum(out[a.external_id].grid_code == a.true_grid_code for a in rows)
        conf = statistics.mean(out[a.external_id].confidence for a in rows)
        print(
            f"{method:<18}{len(rows):>8}{len(rows) / len(appeals):>8.3f}"
            f"{hits / len(rows):>10.4f}{conf:>11.3f}"
        )
    print(f"{'confidence':<18}{'appeals':>8}{'hit rate':>10}")
    for lo, hi in ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5)):
        rows = [
            a
            for a in appeals
            if out[a.external_id].method != "none" and lo <= out[a.external_id].confidence < hi
        ]
        if rows:
            hits = sum(out[a.external_id].grid_code == a.true_grid_code for a in rows)
            print(f"[{lo:.1f}, {min(hi, 1.0):.1f}){'':<8}{len(rows):>8}{hits / len(rows):>10.4f}")
    print(
        f"time per appeal: mean {statistics.mean(times):.3f} ms, p50 {pct(times, 0.5):.3f} ms, "
        f"p99 {pct(times, 0.99):.3f} ms"
    )
    return out


def to_incident(a: DemoAppeal, res: PlaceResolution) -> IncidentAppeal:
    return IncidentAppeal(
        id=a.external_id,
        text=f"{a.title}。{a.content}",
        lon=a.lon,
        lat=a.lat,
        place_name=res.entry_name,
        category_path=a.category_path,
        received_at=a.received_at,
    )


def replay(
    items: list[IncidentAppeal], matcher: IncidentMatcher
) -> tuple[list[tuple[str, str, float, MatchReasons]], list[float]]:
    """Time-ordered intake: each appeal against the earlier ones still inside the window."""
    open_: deque[IncidentAppeal] = deque()
    found: list[tuple[str, str, float, MatchReasons]] = []
    times: list[float] = []
    for item in items:
        while open_ and item.received_at - open_[0].received_at > matcher.window:
            open_.popleft()
        t = time.perf_counter()
        for cid, score, why in matcher.find_matches(item, open_):
            found.append((item.id, cid, score, why))
        times.append((time.perf_counter() - t) * 1000)
        open_.append(item)
    return found, times


def accept(why: MatchReasons, threshold: float, max_d: float, margin: float) -> bool:
    """The matcher's rule, re-applied to reasons gathered at a loose setting."""
    if why.same_place:
        return why.text_similarity >= threshold
    if why.distance_m is not None:
        return why.distance_m <= max_d and why.text_similarity >= threshold
    if why.same_place is False:
        return False
    return why.text_similarity >= threshold + margin


def bench_incidents(appeals: list[DemoAppeal], places: dict[str, PlaceResolution]) -> None:
    print("\n## Same-incident detection on the demo history (time-ordered, 48 h window)")
    print("(the labelled benchmark with look-alike distractors is bench/linking_bench.py)")
    truth = incident_pairs(appeals)
    items = [to_incident(a, places[a.external_id]) for a in appeals]
    texts = [i.text for i in items]
    print(f"appeals: {len(items)}, true same-incident pairs: {len(truth)}")

    # Which text similarity: best F1 over thresholds for each variant (same place rules).
    print("\ntext similarity variant (best F1 over thresholds 0.10..0.80, 600 m):")
    print(f"{'variant':<28}{'thr':>6}{'P':>8}{'R':>8}{'F1':>8}")
    loose: list[tuple[str, str, float, MatchReasons]] = []
    for label, ngram, fitted in (
        ("char 2-gram, no IDF", 2, False),
        ("char 2-gram TF-IDF", 2, True),
        ("char 3-gram TF-IDF", 3, True),
        ("char 1-gram TF-IDF", 1, True),
    ):
        m = IncidentMatcher(
            text_threshold=0.0, strong_text_threshold=0.0, max_distance_m=5000, ngram=ngram
        )
        if fitted:
            m.fit(texts)
        found, _ = replay(items, m)
        best = (0.0, 0.0, 0.0, 0.0)
        for thr in [x / 100 for x in range(10, 81, 2)]:
            pred = {frozenset((a, b)) for a, b, _, w in found if accept(w, thr, 600, 0.15)}
            p, r, f = prf(pred, truth)
            if f > best[3]:
                best = (thr, p, r, f)
        print(f"{label:<28}{best[0]:>6.2f}{best[1]:>8.4f}{best[2]:>8.4f}{best[3]:>8.4f}")
        if ngram == 2 and fitted:
            loose = found

    print("\nthreshold sweep (char 2-gram TF-IDF; margin 0.15 when no place can be compared):")
    print(f"{'text thr':>8}{'max m':>7}{'pred':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for thr in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        for max_d in (300.0, 600.0, 1000.0):
            pred = {frozenset((a, b)) for a, b, _, w in loose if accept(w, thr, max_d, 0.15)}
            p, r, f = prf(pred, truth)
            print(f"{thr:>8.2f}{max_d:>7.0f}{len(pred):>7}{p:>8.4f}{r:>8.4f}{f:>8.4f}")

    matcher = IncidentMatcher().fit(texts)
    found, times = replay(items, matcher)
    mean_open = statistics.mean(
        sum(0 < (i.received_at - o.received_at).total_seconds() <= WINDOW_H * 3600 for o in items)
        for i in items[:: max(1, len(items) // 200)]
    )
    pred = {frozenset((a, b)) for a, b, _, _ in found}
    p, r, f = prf(pred, truth)
    print(
        f"\ndefault IncidentMatcher() (text {matcher.rules.text_strong}/{matcher.rules.text_weak}, "
        f"{matcher.rules.radius_m:.0f} m, {WINDOW_H:.0f} h, full category): "
        f"P {p:.4f}  R {r:.4f}  F1 {f:.4f}  ({len(pred)} pairs)"
    )
    by_kind = Counter(
        "same place name"
        if w.same_place
        else ("distance" if w.distance_m is not None else "text only")
        for _, _, _, w in found
    )
    print(f"evidence behind predicted pairs: {dict(by_kind)}")
    print(
        f"time per appeal (replay, about {mean_open:.0f} open appeals each): "
        f"p50 {pct(times, 0.5):.3f} ms, p99 {pct(times, 0.99):.3f} ms, max {max(times):.3f} ms"
    )

    # Without resolved place names (a thin gazetteer): coordinates and text carry it alone.
    bare = [replace(i, place_name=None) for i in items]
    found_bare, _ = replay(bare, IncidentMatcher().fit(texts))
    p, r, f = prf({frozenset((a, b)) for a, b, _, _ in found_bare}, truth)
    print(f"same, with place_name=None for every appeal: P {p:.4f}  R {r:.4f}  F1 {f:.4f}")

    # Worst case for the intake: 2,000 open appeals all inside the window.
    base = items[-1].received_at
    crowd = [
        replace(it, received_at=base - timedelta(minutes=20 * (k % 140)))
        for k, it in enumerate(items[-2001:-1])
    ]
    probe = items[-1]
    cold = IncidentMatcher().fit(texts)
    t = time.perf_counter()
    cold.find_matches(probe, crowd)
    cold_ms = (time.perf_counter() - t) * 1000
    warm_times = []
    for k in range(50):
        q = replace(items[-1 - k], id=f"probe-{k}", received_at=base)
        t = time.perf_counter()
        cold.find_matches(q, crowd)
        warm_times.append((time.perf_counter() - t) * 1000)
    print(
        f"one new appeal vs 2,000 open ones in the window: cold cache {cold_ms:.2f} ms, "
        f"warm p50 {pct(warm_times, 0.5):.2f} ms, p99 {pct(warm_times, 0.99):.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=3200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print("# CityLoop understanding benchmark: place resolution and same-incident detection")
    print(f"machine: {machine()}")
    t = time.perf_counter()
    regions = build_regions(args.seed)
    records = build_gazetteer(regions, seed=args.seed)
    idx = region_index(regions)
    names = {code: p["name"] for code, p in idx.items()}
    grids = GridIndex(
        [
            (f["properties"]["code"], f["geometry"])
            for f in regions["features"]
            if f["properties"]["level"] == 5
        ],
        {code: p["parent_code"] for code, p in idx.items() if p["parent_code"]},
    )
    appeals = generate_appeals(
        regions, records, build_taxonomy(), now=NOW, count=args.count, seed=args.seed
    )
    t_gaz = time.perf_counter()
    gazetteer = Gazetteer.from_records(records, names)
    gaz_ms = (time.perf_counter() - t_gaz) * 1000
    print(
        f"demo world: {len(grids)} grids, {len(gazetteer)} gazetteer entries (index built in "
        f"{gaz_ms:.0f} ms), {len(appeals)} appeals over 180 days "
        f"(setup {time.perf_counter() - t:.1f} s)"
    )
    places = bench_places(appeals, gazetteer, grids)
    bench_incidents(appeals, places)


if __name__ == "__main__":
    main()
