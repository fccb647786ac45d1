"""Same-incident detection: rules on hand-made appeals, quality and speed on the demo history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from cityloop.demo.appeals import TZ, DemoAppeal, generate_appeals, incident_pairs
from cityloop.demo.geography import build_regions
from cityloop.demo.organisation import build_gazetteer, build_taxonomy
from cityloop.geo.gazetteer import Gazetteer
from cityloop.nlp.incidents import IncidentAppeal, IncidentMatcher, Match
from cityloop.nlp.places import resolve_place

NOW = datetime(2025, 6, 18, 10, 30, tzinfo=TZ)
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=TZ)
LEAK = "绿化带里的水管漏水，地面一直是湿的，已经好几天了，希望尽快抢修"
LEAK2 = "市民来电反映：绿化带里的水管漏水，地面始终是湿的，来电人要求尽快抢修"
CAT = "水电气/供水/供水管道漏水"


def ap(
    id_: str,
    text: str = LEAK,
    *,
    hours: float = 0.0,
    lon: float | None = 104.1,
    lat: float | None = 30.6,
    place: str | None = "幸福里小区",
    cat: str = CAT,
) -> IncidentAppeal:
    return IncidentAppeal(id_, text, lon, lat, place, cat, T0 + timedelta(hours=hours))


def ids(matches: list[Match]) -> list[str]:
    return [m[0] for m in matches]


def test_same_incident_matches_with_reasons() -> None:
    m = IncidentMatcher()
    found = m.find_matches(ap("new", LEAK2, hours=3), [ap("a"), ap("b", "楼上噪音很大")])
    assert ids(found) == ["a"]
    _, score, why = found[0]
    assert 0 < score <= 1 and why.same_place and why.hours_apart == 3.0
    assert why.distance_m == 0.0 and why.category == "水电气/供水"
    assert "地点相同" in why.describe()


def test_time_window_is_respected() -> None:
    m = IncidentMatcher(window_hours=48)
    assert ids(m.find_matches(ap("new", hours=47.9), [ap("a")])) == ["a"]
    assert m.find_matches(ap("new", hours=48.1), [ap("a")]) == []
    assert m.find_matches(ap("new", hours=-49), [ap("a")]) == []  # either order
    assert ids(IncidentMatcher(window_hours=72).find_matches(ap("n", hours=60), [ap("a")]))


def test_category_first_two_levels_must_agree() -> None:
    m = IncidentMatcher()
    other_l3 = ap("a", cat="水电气/供水/停水")
    other_l2 = ap("b", cat="水电气/排水/道路积水")
    assert ids(m.find_matches(ap("new"), [other_l3, other_l2])) == ["a"]
    assert len(IncidentMatcher(category_levels=3).find_matches(ap("new"), [other_l3])) == 0
    assert len(IncidentMatcher(category_levels=0).find_matches(ap("new"), [other_l2])) == 1


def test_distance_limit_when_both_have_coordinates() -> None:
    m = IncidentMatcher(max_distance_m=600)
    near = ap("near", lat=30.6 + 400 / 111_320, place=None)
    far = ap("far", lat=30.6 + 900 / 111_320, place=None)
    found = m.find_matches(ap("new", place=None), [near, far])
    assert ids(found) == ["near"] and 390 < (found[0][2].distance_m or 0) < 410
    # Different resolved names far apart: different places even if the text is identical.
    assert m.find_matches(ap("new"), [ap("x", place="锦绣花园", lat=30.62)]) == []


def test_place_name_decides_when_coordinates_are_missing() -> None:
    m = IncidentMatcher()
    new = ap("new", lon=None, lat=None)
    same = ap("same", lat=30.65)  # coordinates on one side only
    other = ap("other", place="锦绣花园")
    assert ids(m.find_matches(new, [same, other])) == ["same"]


def test_text_alone_needs_a_higher_bar() -> None:
    m = IncidentMatcher(text_threshold=0.4, unknown_place_margin=0.2)
    new = ap("new", LEAK2, lon=None, lat=None, place=None)
    cand = ap("a", lon=None, lat=None, place=None)
    sim = m.text_similarity(new, cand)
    assert 0.4 <= sim < 0.6  # enough with a place, not enough without one
    assert m.find_matches(new, [cand]) == []
    assert ids(m.find_matches(new, [replace(cand, place_name=None, lon=104.1, lat=30.6)])) == []
    assert ids(
        m.find_matches(
            replace(new, place_name="幸福里小区"), [replace(cand, place_name="幸福里小区")]
        )
    )


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError):
        IncidentMatcher(text_threshold=1.5)
    with pytest.raises(ValueError):
        IncidentMatcher(max_distance_m=0)


# -------------------------------------------------------------------------------------------
# Demo history (400 appeals)
# -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[list[DemoAppeal], list[IncidentAppeal]]:
    regions = build_regions(7)
    records = build_gazetteer(regions, seed=7)
    gaz = Gazetteer.from_records(records)
    appeals = generate_appeals(regions, records, build_taxonomy(), now=NOW, count=400, seed=7)
    items = []
    for a in appeals:
        res = resolve_place(a.title, a.content, a.address, gaz)
        items.append(
            IncidentAppeal(
                a.external_id,
                f"{a.title}。{a.content}",
                a.lon,
                a.lat,
                res.entry_name,
                a.category_path,
                a.received_at,
            )
        )
    return appeals, items


def replay(items: list[IncidentAppeal], m: IncidentMatcher) -> set[frozenset[str]]:
    """As the intake: each appeal against the earlier ones still inside the window."""
    pred: set[frozenset[str]] = set()
    for i, item in enumerate(items):
        earlier = [c for c in items[:i] if item.received_at - c.received_at <= m.window]
        pred |= {frozenset((item.id, cid)) for cid, _, _ in m.find_matches(item, earlier)}
    return pred


def test_members_of_one_incident_match_each_other(
    demo: tuple[list[DemoAppeal], list[IncidentAppeal]],
) -> None:
    appeals, items = demo
    by_incident: dict[str, list[IncidentAppeal]] = defaultdict(list)
    for a, item in zip(appeals, items, strict=True):
        by_incident[a.incident_id].append(item)
    groups = [g for g in by_incident.values() if len(g) >= 3]
    assert groups
    m = IncidentMatcher().fit(i.text for i in items)
    for group in groups:
        for k, item in enumerate(group[1:], start=1):
            assert set(ids(m.find_matches(item, group[:k]))) == {g.id for g in group[:k]}


def test_different_incidents_at_different_places_do_not_match(
    demo: tuple[list[DemoAppeal], list[IncidentAppeal]],
) -> None:
    appeals, items = demo
    truth = {a.external_id: a for a in appeals}
    m = IncidentMatcher().fit(i.text for i in items)
    checked = 0
    for i, item in enumerate(items):
        others = [
            c for c in items[:i] if truth[c.id].true_place_name != truth[item.id].true_place_name
        ]
        # Move them into the window with the same category: only place and text may decide.
        crowd = [
            replace(
                c, id=f"{c.id}-x", received_at=item.received_at, category_path=item.category_path
            )
            for c in others[-40:]
        ]
        checked += len(crowd)
        assert m.find_matches(item, crowd) == []
    assert checked > 5000


def test_precision_and_recall_on_demo(demo: tuple[list[DemoAppeal], list[IncidentAppeal]]) -> None:
    appeals, items = demo
    truth = incident_pairs(appeals)
    m = IncidentMatcher().fit(i.text for i in items)
    pred = replay(items, m)
    tp = len(pred & truth)
    # Measured on these 400: P 0.97, R 1.00 (3,200: P 0.96, R 0.997). The misses in precision
    # are the same problem at the same place within 48 h, filed by the generator as two incidents.
    assert tp / len(pred) >= 0.9
    assert tp / len(truth) >= 0.95


def test_among_two_thousand_open_appeals_a_repeat_finds_its_own_incident_first(
    demo: tuple[list[DemoAppeal], list[IncidentAppeal]],
) -> None:
    # Speed against 2,000 open appeals is measured in bench/understanding_bench.py; here: a
    # crowd that size changes nothing about which order a repeat joins.
    _, items = demo
    m = IncidentMatcher().fit(i.text for i in items)
    base = items[-1].received_at
    crowd = [
        replace(items[k % len(items)], id=f"open-{k}", received_at=base - timedelta(minutes=k))
        for k in range(2000)
    ]
    for k in range(10):
        original = items[-1 - k]
        q = replace(original, id=f"new-{k}", received_at=base)
        matches = m.find_matches(q, crowd)
        assert matches, q.text
        best = next(c for c in crowd if c.id == matches[0][0])
        assert best.text == original.text
        scores = [score for _, score, _ in matches]
        assert scores == sorted(scores, reverse=True)
