from __future__ import annotations

from cityloop.domain.region_tree import region_tree
from cityloop.services.reference import RegionInfo

REGIONS = [
    RegionInfo("1002", "乙街道", "street", "10"),
    RegionInfo("10", "甲区", "district", None),
    RegionInfo("1001", "甲街道", "street", "10"),
    RegionInfo("1001001", "一社区", "community", "1001"),
    # Its parent was never imported: it shows at the top rather than disappearing.
    RegionInfo("2001", "孤儿街道", "street", "20"),
]


def test_children_follow_their_parents_in_code_order() -> None:
    tree = region_tree(REGIONS)
    assert [n["value"] for n in tree] == ["10", "2001"]
    assert [c["label"] for c in tree[0]["children"]] == ["甲街道", "乙街道"]
    assert tree[0]["children"][0]["children"] == [
        {"value": "1001001", "label": "一社区", "level": "community"}
    ]


def test_a_root_gives_its_own_subtree_and_an_unknown_root_nothing() -> None:
    (street,) = region_tree(REGIONS, "1001")
    assert street["value"] == "1001" and [c["value"] for c in street["children"]] == ["1001001"]
    assert region_tree(REGIONS, "9999") == []
