"""Synthetic appeals: volume, time window, channel mix, realism, incidents and outcomes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import Point

from cityloop.demo._templates import TEMPLATES
from cityloop.demo.appeals import (
    _ASIDES,
    _HOTLINE_ASIDES,
    CHANNEL_MIX,
    STAGES_OPEN,
    TZ,
    DemoAppeal,
    generate_appeals,
    incident_pairs,
)
from cityloop.demo.geography import build_regions, region_shapes
from cityloop.demo.organisation import (
    build_departments,
    build_gazetteer,
    build_taxonomy,
    resolve_route,
)
from cityloop.demo.people import PeopleGenerator

NOW = datetime(2025, 6, 18, 10, 30, tzinfo=TZ)
DAYS = 180
PHONE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    regions = build_regions(7)
    return {
        "regions": regions,
        "gazetteer": build_gazetteer(regions, seed=7),
        "taxonomy": build_taxonomy(),
    }


@pytest.fixture(scope="module")
def appeals(world: dict[str, Any]) -> list[DemoAppeal]:
    return generate_appeals(
        world["regions"], world["gazetteer"], world["taxonomy"], now=NOW, days=DAYS, seed=7
    )


def test_volume_and_window(appeals: list[DemoAppeal]) -> None:
    assert len(appeals) >= 3000
    start = NOW - timedelta(days=DAYS)
    for a in appeals:
        assert a.received_at.tzinfo is not None
        assert a.received_at.utcoffset() == timedelta(hours=8)
        assert start < a.received_at < NOW
    assert [a.received_at for a in appeals] == sorted(a.received_at for a in appeals)
    # Spread over the whole window, not bunched at one end.
    months = Counter((a.received_at.year, a.received_at.month) for a in appeals)
    assert len(months) >= 6


def test_office_hours_and_weekdays_dominate(appeals: list[DemoAppeal]) -> None:
    hours = Counter(a.received_at.hour for a in appeals)
    office = sum(hours[h] for h in range(9, 18)) / 9
    night = sum(hours[h] for h in range(0, 6)) / 6
    assert office > 5 * night > 0
    weekday = sum(a.received_at.weekday() < 5 for a in appeals) / 5
    weekend = sum(a.received_at.weekday() >= 5 for a in appeals) / 2
    assert weekday > 1.2 * weekend > 0


def test_external_ids_unique_and_prefixed(appeals: list[DemoAppeal]) -> None:
    ids = [a.external_id for a in appeals]
    assert len(set(ids)) == len(ids)
    prefix = {"hotline": "RX", "wechat": "WX", "web": "WZ", "app": "APP", "sms": "DX",
              "mailbox": "SZXX", "grid_patrol": "WG"}  # fmt: skip
    for a in appeals:
        assert a.external_id.startswith(prefix[a.channel] + a.received_at.strftime("%Y%m%d"))


def test_channel_mix(appeals: list[DemoAppeal]) -> None:
    counts = Counter(a.channel for a in appeals)
    assert set(counts) == set(CHANNEL_MIX)
    for ch, share in CHANNEL_MIX.items():
        assert abs(counts[ch] / len(appeals) - share) < 0.03, ch


def test_categories_exist_and_are_routed(appeals: list[DemoAppeal], world: dict[str, Any]) -> None:
    known = {(t["l1"], t["l2"], t["l3"]) for t in world["taxonomy"]}
    for a in appeals:
        assert (a.l1, a.l2, a.l3) in known
        rule = resolve_route(a.l1, a.l2, a.l3, a.true_grid_code)
        assert rule["lead"] == a.outcome.lead_dept
    assert len({a.l1 for a in appeals}) == len({t["l1"] for t in world["taxonomy"]})


def test_reporters(appeals: list[DemoAppeal]) -> None:
    for a in appeals:
        assert PHONE.match(a.reporter_phone), a.reporter_phone
        assert a.reporter_name
    assert len({a.reporter_phone for a in appeals}) > 0.95 * len(appeals)
    people = PeopleGenerator(3)
    assert all(PHONE.match(people.phone()) for _ in range(500))


def test_texts_are_varied(appeals: list[DemoAppeal]) -> None:
    assert len({a.template_key for a in appeals}) >= 40
    assert len({a.content for a in appeals}) >= 0.9 * len(appeals)
    assert all(len(a.content) >= 15 for a in appeals)
    hotline = [a for a in appeals if a.channel == "hotline"]
    assert sum(a.content.startswith(("市民", "来电人")) for a in hotline) > 0.9 * len(hotline)
    assert any(a.title == "" for a in hotline)
    assert any(re.search("[０-９]", a.content) for a in appeals)  # full-width digits
    assert any(re.search("[區樓門電請問題這]", a.content) for a in appeals)  # traditional
    assert any(a.address is None for a in appeals)
    assert any(a.address and "附近" in a.address for a in appeals)
    assert any(
        a.content.startswith(("您好", "你好")) for a in appeals if a.channel in ("wechat", "web")
    )


def test_one_problem_is_written_in_several_styles(appeals: list[DemoAppeal]) -> None:
    # Residents write one terse line, a partial account, the full body or a story around it.
    online = [a for a in appeals if a.channel in ("wechat", "web", "app", "sms")]
    lengths = sorted(len(a.content) for a in online)
    assert lengths[len(lengths) // 10] < 30 < lengths[-len(lengths) // 10]
    terse = [a for a in online if len(a.content) < 30]
    assert len({a.template_key for a in terse}) >= 30  # every kind of problem, not a few
    told = [a for a in online if any(x in a.content for x in _ASIDES)]
    assert 0.1 * len(online) < len(told) < 0.5 * len(online)
    hotline = [a for a in appeals if a.channel == "hotline"]
    assert any(x in a.content for a in hotline for x in _HOTLINE_ASIDES)
    # An operator's record speaks of the caller; a patrol report only of what was found.
    assert not any(x in a.content for a in hotline for x in _ASIDES)
    patrol = [a for a in appeals if a.channel == "grid_patrol"]
    assert patrol and not any(x in a.content for a in patrol for x in _ASIDES + _HOTLINE_ASIDES)
    # The same template reads differently from caller to caller.
    by_key: dict[str, set[int]] = defaultdict(set)
    for a in online:
        by_key[a.template_key].add(len(a.content) // 10)
    assert sum(len(v) >= 3 for v in by_key.values()) >= 0.6 * len(by_key)


def test_urgency(appeals: list[DemoAppeal]) -> None:
    urgent = [a for a in appeals if a.urgency == "urgent"]
    assert 0.03 <= len(urgent) / len(appeals) <= 0.07
    urgent_keys = {t.key for t in TEMPLATES if t.urgent}
    assert {a.template_key for a in urgent} <= urgent_keys
    assert {a.l3 for a in urgent} >= {"燃气泄漏", "电梯困人"}
    assert all(a.urgency == "normal" for a in appeals if a.template_key not in urgent_keys)


def test_locations(appeals: list[DemoAppeal], world: dict[str, Any]) -> None:
    shapes = region_shapes(world["regions"])
    places = {p["name"]: p for p in world["gazetteer"]}
    with_coords = [a for a in appeals if a.lon is not None]
    assert 0.62 <= len(with_coords) / len(appeals) <= 0.78
    by_channel = Counter(a.channel for a in with_coords)
    all_channel = Counter(a.channel for a in appeals)
    assert by_channel["app"] / all_channel["app"] > by_channel["hotline"] / all_channel["hotline"]
    for a in appeals:
        place = places[a.true_place_name]
        assert place["grid_code"] == a.true_grid_code and place["kind"] == a.true_place_kind
        assert shapes[a.true_grid_code].contains(Point(a.true_lon, a.true_lat))
        if a.lon is not None and a.lat is not None:
            assert abs(a.lon - a.true_lon) < 0.02 and abs(a.lat - a.true_lat) < 0.02


def test_incidents(appeals: list[DemoAppeal]) -> None:
    groups: dict[str, list[DemoAppeal]] = defaultdict(list)
    for a in appeals:
        groups[a.incident_id].append(a)
    multi = {k: v for k, v in groups.items() if len(v) > 1}
    share = sum(len(v) for v in multi.values()) / len(appeals)
    assert 0.12 <= share <= 0.18
    assert max(len(v) for v in multi.values()) <= 8
    assert len(multi) >= 100
    for members in multi.values():
        assert len({(m.true_place_name, m.true_grid_code) for m in members}) == 1
        assert len({(m.l1, m.l2, m.l3) for m in members}) == 1
        assert len({m.template_key for m in members}) == 1
        times = [m.received_at for m in members]
        assert max(times) - min(times) <= timedelta(hours=48)
        assert len({m.reporter_phone for m in members}) == len(members)
    # Different callers word the same incident differently.
    assert sum(len({m.content for m in v}) == len(v) for v in multi.values()) > 0.9 * len(multi)
    assert sum(len({m.channel for m in v}) > 1 for v in multi.values()) > 0.4 * len(multi)


def test_incident_pairs(appeals: list[DemoAppeal]) -> None:
    pairs = incident_pairs(appeals)
    sizes = Counter(a.incident_id for a in appeals)
    assert len(pairs) == sum(n * (n - 1) // 2 for n in sizes.values())
    by_id = {a.external_id: a for a in appeals}
    for pair in pairs:
        a, b = (by_id[x] for x in pair)
        assert a.incident_id == b.incident_id and a.external_id != b.external_id


def test_outcome_timelines_are_consistent(appeals: list[DemoAppeal]) -> None:
    dept_names = {d["code"]: d["name"] for d in build_departments()}
    for a in appeals:
        o = a.outcome
        steps = [
            a.received_at,
            o.dispatched_at,
            o.returned_at,
            o.redispatched_at,
            o.accepted_at,
            o.replied_at,
            o.rated_at,
            o.second_replied_at,
        ]
        present = [t for t in steps if t is not None]
        assert present == sorted(present), a.external_id
        assert all(t < NOW for t in present)
        assert all(t.microsecond == 0 for t in present)
        if o.rated_at is not None:
            assert 9 <= o.rated_at.hour < 20  # follow-up calls happen in the daytime
        if o.cancelled:
            assert o.stage == "cancelled" and o.cancel_reason and o.cancelled_at
            assert o.cancelled_at < NOW and o.rating is None
            continue
        assert o.stage in (*STAGES_OPEN, "closed")
        assert o.still_open == (o.stage != "closed")
        if o.stage == "closed":
            assert o.replied_at is not None and o.reply_text and o.dispatched_at is not None
        if o.returned:
            assert o.returned_by and o.returned_by != o.lead_dept
            assert dept_names[o.lead_dept] in (o.return_reason or "")  # names who should act
        if o.extension:
            assert o.extension_days and o.extension_reason
            assert o.extension_requested_at is not None and o.accepted_at is not None
            assert o.accepted_at < o.extension_requested_at
            assert o.replied_at is None or o.extension_requested_at < o.replied_at
        if o.reopened:
            assert o.rating == "unsatisfied"
        if o.rating is not None:
            assert o.rating in {"satisfied", "basically_satisfied", "unsatisfied"}
        if a.urgency == "urgent":
            assert o.time_limit in ("2h", "4h") and o.dispatch_delay_minutes <= 30
        elif o.replied_at is not None:
            # Replays against the service layer's SLA clock: overdue exactly when past due.
            assert (o.replied_at > o.due_at) == (o.reply_after_fraction > 1.0), a.external_id


def test_outcome_rates(appeals: list[DemoAppeal]) -> None:
    n = len(appeals)
    outcomes = [a.outcome for a in appeals]
    replied = [o for o in outcomes if o.replied_at is not None]
    assert 0.05 <= sum(o.reply_after_fraction > 1.0 for o in replied) / len(replied) <= 0.11
    on_time = [o.reply_after_fraction for o in replied if o.reply_after_fraction <= 1.0]
    assert sum(0.2 <= f <= 0.9 for f in on_time) / len(on_time) > 0.8
    assert 0.03 <= sum(o.urged for o in outcomes) / n <= 0.09
    assert 0.003 <= sum(o.cancelled for o in outcomes) / n <= 0.02
    assert 0.03 <= sum(o.returned for o in outcomes) / n <= 0.09
    assert 0.02 <= sum(o.extension for o in outcomes) / n <= 0.08
    rated = [o for o in outcomes if o.rating is not None]
    happy = sum(o.rating in ("satisfied", "basically_satisfied") for o in rated) / len(rated)
    assert 0.85 <= happy <= 0.92
    unhappy = [o for o in rated if o.rating == "unsatisfied"]
    assert 0.35 <= sum(o.reopened for o in unhappy) / len(unhappy) <= 0.65


def test_recent_appeals_are_mostly_open(appeals: list[DemoAppeal]) -> None:
    recent = [a for a in appeals if a.received_at > NOW - timedelta(days=5)]
    old = [a for a in appeals if a.received_at < NOW - timedelta(days=40)]
    assert sum(a.outcome.still_open for a in recent) > 0.5 * len(recent)
    assert sum(a.outcome.still_open for a in old) == 0
    stages = Counter(a.outcome.stage for a in recent)
    assert len(set(stages) & set(STAGES_OPEN)) >= 4


def test_replies_read_like_department_answers(appeals: list[DemoAppeal]) -> None:
    texts = [a.outcome.reply_text for a in appeals if a.outcome.reply_text]
    assert len(set(texts)) > 0.8 * len(texts)
    assert sum("《" in t for t in texts) > 0.3 * len(texts)  # a rule is cited
    assert all(t.endswith(("。", "！")) for t in texts)


def test_deterministic(world: dict[str, Any]) -> None:
    args = (world["regions"], world["gazetteer"], world["taxonomy"])
    a = generate_appeals(*args, now=NOW, days=30, count=300, seed=11)
    b = generate_appeals(*args, now=NOW, days=30, count=300, seed=11)
    c = generate_appeals(*args, now=NOW, days=30, count=300, seed=12)
    assert a == b
    assert [x.content for x in a] != [x.content for x in c]


def test_naive_now_is_shanghai_time(world: dict[str, Any]) -> None:
    args = (world["regions"], world["gazetteer"], world["taxonomy"])
    naive = generate_appeals(*args, now=NOW.replace(tzinfo=None), days=10, count=50, seed=3)
    aware = generate_appeals(*args, now=NOW, days=10, count=50, seed=3)
    assert naive == aware
