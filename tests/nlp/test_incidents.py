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
    # Both chose the full category: the full path is what they share.
    assert why.distance_m == 0.0 and why.category == CAT
    assert "地点相同" in why.describe() and "距离 0 米" in why.describe()
    record = why.as_record()
    assert record["distance_m"] == 0.0 and record["same_place"] is True
    assert record["category"] == CAT and record["text_similarity"] == why.text_similarity


def test_time_window_is_respected() -> None:
    m = IncidentMatcher(window_hours=48)
    assert ids(m.find_matches(ap("new", hours=47.9), [ap("a")])) == ["a"]
    assert m.find_matches(ap("new", hours=48.1), [ap("a")]) == []
    assert m.find_matches(ap("new", hours=-49), [ap("a")]) == []  # either order
    assert ids(IncidentMatcher(window_hours=72).find_matches(ap("n", hours=60), [ap("a")]))


def test_full_category_path_is_compared_when_both_have_it() -> None:
    m = IncidentMatcher()
    other_l3 = ap("a", cat="水电气/供水/停水")
    other_l2 = ap("b", cat="水电气/排水/道路积水")
    same = ap("c")
    assert ids(m.find_matches(ap("new"), [other_l3, other_l2, same])) == ["c"]
    # A side with only two levels is compared at two levels.
    broad = ap("d", cat="水电气/供水")
    found = m.find_matches(ap("new"), [broad])
    assert ids(found) == ["d"] and found[0][2].category == "水电气/供水"
    # A pothole never joins a broken signal at the same crossing.
    pothole = ap("p", "解放大道五一路口路面有个大坑", cat="交通出行/道路设施/路面坑洼")
    signal = ap("s", "解放大道五一路口红绿灯坏了", cat="交通出行/道路设施/交通信号灯故障")
    assert m.find_matches(pothole, [signal]) == []
    # category_levels is the minimum depth: 0 lets different families meet.
    assert len(IncidentMatcher(category_levels=0).find_matches(ap("new"), [broad])) == 1


def test_distance_limit_when_both_have_coordinates() -> None:
    m = IncidentMatcher(max_distance_m=200)
    near = ap("near", lat=30.6 + 150 / 111_320, place=None)
    far = ap("far", lat=30.6 + 363 / 111_320, place=None)  # the median: 363 m
    found = m.find_matches(ap("new", place=None), [near, far])
    assert ids(found) == ["near"] and 140 < (found[0][2].distance_m or 0) < 160
    # One gazetteer place (an estate) may spread its callers' points wider, never far.
    assert ids(m.find_matches(ap("new"), [ap("x", lat=30.6 + 300 / 111_320)])) == ["x"]
    assert m.find_matches(ap("new"), [ap("y", lat=30.6 + 700 / 111_320)]) == []
    assert m.find_matches(ap("new"), [ap("z", place="锦绣花园", lat=30.6 + 300 / 111_320)]) == []


def test_place_name_decides_when_coordinates_are_missing() -> None:
    m = IncidentMatcher()
    new = ap("new", lon=None, lat=None)
    same = ap("same", lat=30.65)  # coordinates on one side only
    other = ap("other", place="锦绣花园")
    assert ids(m.find_matches(new, [same, other])) == ["same"]


def test_text_alone_never_links() -> None:
    m = IncidentMatcher()
    new = ap("new", LEAK, lon=None, lat=None, place=None)
    cand = ap("a", lon=None, lat=None, place=None)
    assert m.text_similarity(new, cand) == pytest.approx(1.0)  # the very same words
    assert m.find_matches(new, [cand]) == []
    # Coordinates on one side only are no place evidence either.
    assert m.find_matches(new, [replace(cand, lon=104.1, lat=30.6)]) == []
    # The same named place in both texts is.
    here = "幸福里小区绿化带里的水管漏水，地面一直是湿的"
    assert ids(m.find_matches(replace(new, text=here), [replace(cand, text=here + "，请抢修")]))


def test_differing_house_numbers_are_evidence_against() -> None:
    m = IncidentMatcher()
    cat = "生态环境/大气污染/餐饮油烟"
    first = ap("a", "黄河70街921号餐馆油烟直排，楼上住户窗户都不敢开", place=None, cat=cat)
    # 40 m apart, same words: another shop.
    neighbour = ap(
        "b",
        "黄河70街925号餐馆油烟直排，楼上住户窗户都不敢开",
        lat=30.6 + 40 / 111_320,
        place=None,
        cat=cat,
    )
    assert m.find_matches(neighbour, [first]) == []
    # The pair: another road and number 560 m away.
    far = ap("c", "滨江93街525号餐馆油烟很大", lat=30.6 + 560 / 111_320, place=None, cat=cat)
    assert m.find_matches(far, [first]) == []
    # Without coordinates the address decides both ways.
    blind = replace(first, id="d", text="投诉楼下川菜馆油烟扰民", address="黄河70街921号楼上")
    found = m.find_matches(replace(blind, lon=None, lat=None), [first])
    assert ids(found) == ["a"] and found[0][2].same_address == "黄河70街921号"
    other = replace(blind, id="e", address="黄河70街925号")
    assert m.find_matches(replace(other, lon=None, lat=None), [first]) == []


def test_differing_buildings_units_and_objects_are_evidence_against() -> None:
    m = IncidentMatcher()
    lift = "市场监管/特种设备/电梯故障"
    a = ap("a", "锦绣花园5栋2单元电梯停了一整天", place=None, cat=lift)
    other_building = ap("b", "锦绣花园7栋电梯停了一整天", place=None, cat=lift)
    other_unit = ap("c", "锦绣花园5栋1单元电梯停了一整天", place=None, cat=lift)
    same = ap("d", "锦绣花园五栋二单元的电梯坏了还没人修", lon=None, lat=None, cat=lift)
    assert ids(m.find_matches(a, [other_building, other_unit, same])) == ["d"]
    lamp = "城市管理/市政设施/路灯不亮"
    post_42 = ap("e", "和平路编号HP-042的路灯一直闪", place=None, cat=lamp)
    post_45 = ap("f", "和平路编号HP-045的路灯一直闪", place=None, cat=lamp)
    assert m.find_matches(post_45, [post_42]) == []


def test_another_thing_at_the_same_place_is_another_incident() -> None:
    m = IncidentMatcher()
    cat = "住房和城乡建设/物业管理/小区公共设施维修"
    gate = ap("a", "桂花园小区大门的门禁坏了半个月，外来人员随便进出", cat=cat)
    swing = ap("b", "桂花园小区的秋千链条断了，坐垫也裂了", cat=cat)
    again = ap("c", "小区门禁坏了这么久，物业一直不修", cat=cat)
    assert ids(m.find_matches(again, [gate, swing])) == ["a"]


def test_same_named_place_and_different_named_places() -> None:
    m = IncidentMatcher()
    cat = "交通出行/停车管理/占用消防通道"
    north = ap("a", "阳光新城北门消防通道被私家车长期占用", lon=None, lat=None, place=None, cat=cat)
    again = ap(
        "b", "阳光新城的消防通道天天停满车，物业不管", lon=None, lat=None, place=None, cat=cat
    )
    found = m.find_matches(again, [north])
    assert ids(found) == ["a"] and found[0][2].same_name == "阳光新城"
    elsewhere = ap(
        "c", "金色港湾小区消防通道被私家车长期占用", lon=None, lat=None, place=None, cat=cat
    )
    assert m.find_matches(elsewhere, [north]) == []


def test_sensor_events_link_only_within_their_rule() -> None:
    m = IncidentMatcher()
    cat = "公共安全/消防安全/火灾隐患"
    smoke = ap("a", "烟感报警：东湖名都3栋2单元15楼。设备 YG-3215 检测到烟雾", cat=cat)
    smoke = replace(smoke, sensing_rule="smoke")
    battery = replace(
        smoke,
        id="b",
        text="设备电量低：东湖名都3栋2单元15楼。设备 YG-3215 电量 8%",
        sensing_rule="battery_low",
    )
    second = replace(smoke, id="c", text=smoke.text.replace("YG-3215", "YG-3216"))
    assert m.find_matches(battery, [smoke]) == []
    assert ids(m.find_matches(second, [smoke, battery])) == ["a"]
    assert m.find_matches(second, [replace(smoke, sensing_rule=None)]) == []  # a person's call
    assert m.find_matches(replace(second, sensing_rule=None), [smoke]) == []


def test_another_day_is_another_incident() -> None:
    m = IncidentMatcher(window_hours=48)
    assert m.find_matches(ap("new", hours=96), [ap("a")]) == []


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError):
        IncidentMatcher(text_threshold=1.5)
    with pytest.raises(ValueError):
        IncidentMatcher(max_distance_m=0)
    with pytest.raises(ValueError):
        IncidentMatcher(ngram=0)


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
