from __future__ import annotations

from cityloop.nlp.normalize import DEFAULT_BOILERPLATE, normalize


def test_full_width_to_half_width_and_lowercase() -> None:
    assert normalize("ＡＢＣ１２３，ｘｙｚ") == "abc123,xyz"


def test_traditional_to_simplified() -> None:
    assert normalize("醫院門診環境衛生") == "医院门诊环境卫生"


def test_whitespace_collapsed() -> None:
    assert normalize("  道路\t\t积水 \n\n 严重  ") == "道路 积水 严重"


def test_boilerplate_removed() -> None:
    text = "尊敬的领导：您好！小区门口道路积水严重。望领导重视，谢谢！此致敬礼"
    assert normalize(text) == "小区门口道路积水严重。"


def test_boilerplate_configurable() -> None:
    assert "您好" in normalize("您好，路灯坏了", boilerplate=())
    assert normalize("路灯坏了，盼复", boilerplate=("盼复",)) == "路灯坏了,"
    assert "盼复" in DEFAULT_BOILERPLATE


def test_full_width_and_traditional_boilerplate() -> None:
    assert normalize("尊敬的領導，路燈壞了。謝謝！") == "路灯坏了。"


def test_empty() -> None:
    assert normalize("") == ""
    assert normalize(None) == ""
