from __future__ import annotations

import pytest

from cityloop.domain.privacy import mask_address, mask_id_number, mask_name, mask_phone
from cityloop.domain.statuses import Urgency
from cityloop.domain.taxonomy import build_categories
from cityloop.domain.urgency import detect_urgency


def test_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0571-8888777") == "057****8777"
    assert mask_phone(None) is None
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_address("临江区幸福里小区3栋2单元501室") == "临江区幸福里小区*栋*单元*室"
    assert mask_address("幸福里3栋2单元501") == "幸福里*栋*单元*"


def test_categories_get_nested_codes_and_keep_them_on_reimport() -> None:
    cats = build_categories([("城乡建设", "安全生产", "事故处理"), ("城乡建设", "城乡规划")])
    by_name = {c.name: c for c in cats}
    assert by_name["城乡建设"].code == "01"
    assert by_name["安全生产"].code == "0101" and by_name["安全生产"].parent_code == "01"
    assert by_name["事故处理"].code == "010101" and by_name["事故处理"].level == 3
    assert by_name["城乡规划"].code == "0102"
    assert by_name["事故处理"].ancestry == ["01", "0101", "010101"]
    existing = {"环境保护": "07"}
    again = build_categories([("环境保护", "噪声")], existing)
    assert {c.code for c in again} == {"07", "0701"}


def test_too_many_siblings_is_an_error() -> None:
    with pytest.raises(ValueError, match="more than 99"):
        build_categories([("一", f"子{i}") for i in range(100)])


@pytest.mark.parametrize(
    "text",
    [
        "楼道里有很浓的燃气味，怀疑燃气泄漏",
        "3号楼电梯困人了，有老人被困在电梯里",
        "整栋楼停水两天了",
        "小区配电箱冒烟起火了",
        "路边电线断落在地上很危险",
    ],
)
def test_urgent_matters(text: str) -> None:
    urgency, phrase = detect_urgency(text)
    assert urgency is Urgency.URGENT and phrase


@pytest.mark.parametrize("text", ["小区路灯坏了一周", "楼下餐馆油烟扰民", "希望增设公交站"])
def test_ordinary_matters(text: str) -> None:
    assert detect_urgency(text) == (Urgency.NORMAL, None)
