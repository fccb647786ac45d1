"""Personal data inside free text is masked; look-alike numbers are left alone."""

from __future__ import annotations

import pytest

from cityloop.domain.privacy import id_number_valid, luhn_valid, mask_text

# A valid ID number (GB 11643 check character X) and a valid Visa test card.
ID = "11010519491231002X"
CARD = "4111111111111111"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"我叫王芳，电话13812345678，身份证{ID}，家住幸福小区。",
            "我叫王*，电话138****5678，身份证110105********002X，家住幸福小区。",
        ),
        ("请回电 138 1234 5678 或 +86 139-0000-1111。", "请回电 138****5678 或 139****1111。"),
        ("物业座机028-85551234，总部(010)66778899", "物业座机028-******34，总部010-******99"),
        (f"押金退到卡号{CARD}里", "押金退到卡号4111********1111里"),
        ("卡号 4111 1111 1111 1111 已挂失", "卡号 4111********1111 已挂失"),
        ("回复请发 zhang.san+gov@example.com.cn 谢谢", "回复请发 z***@example.com.cn 谢谢"),
        # Look-alikes stay: ticket numbers, amounts, an ID with a wrong check digit, a long code.
        ("工单20260930-000123已办结，赔偿1234567元", "工单20260930-000123已办结，赔偿1234567元"),
        ("身份证110105194912310021（校验位错）", "身份证110105194912310021（校验位错）"),
        ("电表号 12345678901234567890", "电表号 12345678901234567890"),
        ("卡号4111111111111112不对", "卡号4111111111111112不对"),
        ("", ""),
    ],
)
def test_mask_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_names_given_and_self_named() -> None:
    assert mask_text("欧阳娜娜反映：路灯坏了", names=["欧阳娜娜"]) == "欧***反映：路灯坏了"
    assert mask_text("联系人：张三。") == "联系人：张*。"
    assert mask_text("我是幸福小区的住户") == "我是幸福小区的住户"


def test_checks() -> None:
    assert id_number_valid(ID) and id_number_valid(ID.lower())
    assert not id_number_valid("110105194912310021")
    assert luhn_valid(CARD) and not luhn_valid("4111111111111112")
    assert mask_text(None) is None


def test_masking_is_idempotent() -> None:
    once = mask_text(f"手机13812345678 身份证{ID} 邮箱a.b@c.cn 卡{CARD}")
    assert mask_text(once) == once
