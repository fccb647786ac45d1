"""Gazetteer (地址库): exact, alias, abbreviation, suffix-variant and typo lookup; imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cityloop.geo.gazetteer import (
    Gazetteer,
    GazetteerEntry,
    estate_core,
    haversine_m,
    read_gazetteer_csv,
    read_gazetteer_geojson,
)
from cityloop.geo.regions import ImportRejected

GRID = "990102001001001"


def _e(name: str, kind: str = "小区", aliases: tuple[str, ...] = (), **kw: Any) -> GazetteerEntry:
    return GazetteerEntry(name, kind, 104.1, 30.6, GRID, aliases, **kw)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer(
        [
            _e("幸福里小区", aliases=("幸福里",), district="临江区", street="滨江街道"),
            _e("锦绣花园", aliases=("锦绣",)),
            _e("紫薇小区"),
            _e("紫薇雅居"),
            _e("人民南路", "道路"),
            _e("人民北路", "道路"),
            _e("望江路小学", "学校", ("望江小学",)),
            _e("云河市第一人民医院", "医院", ("市一医院",)),
            _e("滨江夜市", "地标", ("夜市",)),
            _e("青峰山森林公园", "公园", ("青峰山",)),
        ]
    )


def best(gaz: Gazetteer, text: str) -> tuple[str, float]:
    found = gaz.lookup(text)
    assert found, text
    return found[0][0].name, found[0][1]


def test_exact_name_and_alias(gaz: Gazetteer) -> None:
    assert best(gaz, "幸福里小区") == ("幸福里小区", 1.0)
    name, score = best(gaz, "市一医院")
    assert name == "云河市第一人民医院" and 0.9 <= score < 1.0
    assert best(gaz, "望江小学")[0] == "望江路小学"
    assert gaz.get("人民南路") is not None and gaz.get("人民路") is None


def test_normalization_full_width_and_traditional(gaz: Gazetteer) -> None:
    assert best(gaz, "雲河市第一人民醫院") == ("云河市第一人民医院", 1.0)
    assert best(gaz, " 幸福里 小区 ") == ("幸福里小区", 1.0)


def test_homophone_typos(gaz: Gazetteer) -> None:
    name, score = best(gaz, "幸福理小区")
    assert name == "幸福里小区" and 0.8 <= score < 1.0
    assert best(gaz, "锦秀花园")[0] == "锦绣花园"
    assert best(gaz, "锦秀")[0] == "锦绣花园"  # a slip in a two-character alias
    assert best(gaz, "青风山")[0] == "青峰山森林公园"


def test_abbreviation_and_suffix_variants(gaz: Gazetteer) -> None:
    assert best(gaz, "幸福里")[0] == "幸福里小区"
    for variant in ("锦绣苑", "锦绣家园", "锦绣小区"):
        name, score = best(gaz, variant)
        assert name == "锦绣花园" and score < 1.0, variant
    assert estate_core("锦绣花园") == "锦绣" and estate_core("人民南路") is None


def test_ambiguous_forms_return_every_place_with_less_confidence(gaz: Gazetteer) -> None:
    found = dict((e.name, s) for e, s in gaz.lookup("紫薇苑"))
    assert set(found) == {"紫薇小区", "紫薇雅居"}
    assert max(found.values()) < 0.7


def test_similar_names_are_not_confused(gaz: Gazetteer) -> None:
    assert best(gaz, "人民南路") == ("人民南路", 1.0)
    assert best(gaz, "人民北路") == ("人民北路", 1.0)
    assert gaz.lookup("和平路") == []
    assert gaz.lookup("") == []


def test_deletion_typo_falls_back_to_similarity(gaz: Gazetteer) -> None:
    name, score = best(gaz, "幸福小区")  # one character dropped
    assert name == "幸福里小区" and score < 0.9


def test_scan_finds_longest_names_in_text(gaz: Gazetteer) -> None:
    hits = gaz.scan("来电人称在望江路小学门口，幸福理小区3栋也有人反映")
    assert [(h.entry.name, h.method) for h in hits] == [
        ("望江路小学", "name"),
        ("幸福里小区", "homophone"),
    ]
    assert hits[0].matched == "望江路小学" and not hits[1].exact


def test_from_records_fills_district_and_street() -> None:
    gaz = Gazetteer.from_records(
        [{"name": "幸福里小区", "kind": "小区", "lon": 104.1, "lat": 30.6, "grid_code": GRID}],
        {"990102": "临江区", "990102001": "滨江街道"},
    )
    entry = gaz.entries[0]
    assert (entry.district, entry.street, entry.aliases) == ("临江区", "滨江街道", ())


def test_demo_gazetteer_aliases_resolve_to_their_place() -> None:
    from cityloop.demo.geography import build_regions
    from cityloop.demo.organisation import build_gazetteer

    records = build_gazetteer(build_regions(7), seed=7)
    gaz = Gazetteer.from_records(records)
    for r in records:
        assert best(gaz, r["name"]) == (r["name"], 1.0)
        for alias in r["aliases"]:
            assert best(gaz, alias)[0] == r["name"], alias


def test_haversine() -> None:
    assert haversine_m(104.0, 30.0, 104.0, 30.0) == 0.0
    assert abs(haversine_m(104.0, 30.0, 104.0, 30.01) - 1112) < 2


CSV_OK = """name,kind,lon,lat,grid_code,aliases,district,street
幸福里小区,小区,104.1,30.6,990102001001001,幸福里|幸福小区,临江区,滨江街道
人民南路,道路,104.2,30.61,,,,
"""


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "gaz.csv"
    path.write_text("\ufeff" + CSV_OK, encoding="utf-8")  # Excel's BOM
    entries = read_gazetteer_csv(path)
    assert entries[0] == GazetteerEntry(
        "幸福里小区", "小区", 104.1, 30.6, GRID, ("幸福里", "幸福小区"), "临江区", "滨江街道"
    )
    assert entries[1].grid_code is None and entries[1].aliases == ()


def test_read_csv_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "gaz.csv"
    path.write_bytes(CSV_OK.encode("gb18030"))
    assert [e.name for e in read_gazetteer_csv(path)] == ["幸福里小区", "人民南路"]


def test_csv_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,kind,lon,lat\n"
        "幸福里小区,小区,104.1,30.6\n"
        ",小区,104.1,30.6\n"  # line 3: no name
        "锦绣花园,,104.1,30.6\n"  # line 4: no kind
        "翠湖公园,公园,abc,30.6\n"  # line 5: lon not a number
        "人民公园,公园,104.1,95\n"  # line 6: lat out of range
        "东湖,湖泊,104.1,30.6\n"  # line 7: unknown kind
        "幸福里小区,小区,104.1,30.6\n",  # line 8: duplicate
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as err:
        read_gazetteer_csv(path)
    got = {(p.row, p.field) for p in err.value.problems}
    assert got == {(3, "name"), (4, "kind"), (5, "lon"), (6, "lat"), (7, "kind"), (8, "name")}
    assert "第 5 行，“lon”" in str(err.value)


def test_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,kind,lon\n幸福里小区,小区,104.1\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as err:
        read_gazetteer_csv(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(1, "lat")]


def _feature(props: dict[str, Any], coords: Any = (104.1, 30.6)) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": list(coords)} if coords is not None else None
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_geojson() -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [_feature({"name": "幸福里小区", "kind": "小区", "aliases": ["幸福里"]})],
    }
    assert read_gazetteer_geojson(fc)[0].aliases == ("幸福里",)
    bad = {
        "type": "FeatureCollection",
        "features": [
            _feature({"name": "", "kind": "小区"}),
            _feature({"name": "甲", "kind": "小区"}, coords=None),
            _feature({"name": "乙", "kind": "小区"}, coords=(200.0, 30.0)),
            _feature({"name": "丙", "kind": "小区", "grid_code": "12"}),
        ],
    }
    with pytest.raises(ImportRejected) as err:
        read_gazetteer_geojson(bad)
    got = {(p.row, p.field) for p in err.value.problems}
    # Features are numbered from 1, as a person counts them.
    assert got == {(1, "name"), (2, "geometry"), (3, "lon"), (4, "grid_code")}
    with pytest.raises(ImportRejected):
        read_gazetteer_geojson({"type": "Feature"})
