"""Masking of residents' personal data (个人信息脱敏) for roles that do not need it."""

from __future__ import annotations

import re
from collections.abc import Iterable

_ADDRESS_DETAIL = re.compile(r"(\d+\s*(栋|幢|号楼|单元|号|室|楼|层|户))")
# A room number written without a unit word after a building or unit ("2单元501").
_BARE_ROOM = re.compile(r"(?<=[栋幢元])\s*\d+")


def mask_phone(phone: str | None) -> str | None:
    """13812341234 → 138****1234; short or odd values keep only their last two digits."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name's first character stays."""
    if not name:
        return name
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str | None) -> str | None:
    """110101199003071234 → 110101********1234 (region kept, birth date hidden)."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_address(address: str | None) -> str | None:
    """Keep the community/road, hide building, unit and room numbers."""
    if not address:
        return address
    masked = _ADDRESS_DETAIL.sub(lambda m: "*" + m.group(2), address)
    return _BARE_ROOM.sub("*", masked)


# -- personal data inside free text (titles, content, notes, replies) ----------------------
# Digit runs are matched whole (no digit on either side), so a number inside a longer one
# (an order number, a meter reading) is never taken for a phone or an ID.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# 13 to 19 digits, optionally grouped by single spaces or hyphens (6222 0212 3456 7890 123).
_CARD = re.compile(r"(?<![\d-])\d{4}(?:[ -]?\d){9,15}(?![\d-])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
# Landlines with an area code (028-85551234, 0755 8888 1234, (010)66778899).
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4}(?!\d)")
# Area codes of three digits (Beijing, Guangzhou, Shanghai, Tianjin, Chongqing, Shenyang,
# Nanjing, Wuhan, Chengdu, Xi'an); every other area code has four.
_THREE_DIGIT_AREAS = frozenset(
    {"010", "020", "021", "022", "023", "024", "025", "027", "028", "029"}
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def id_number_valid(value: str) -> bool:
    """An 18-digit resident ID number (GB 11643) with its ISO 7064 MOD 11-2 check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_id(m: re.Match[str]) -> str:
    value = m.group(0)
    return (mask_id_number(value) or value) if id_number_valid(value) else value


def _mask_card(m: re.Match[str]) -> str:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return raw
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _mask_mobile(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_landline(m: re.Match[str]) -> str:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    area = 3 if digits[:3] in _THREE_DIGIT_AREAS else 4
    return digits[:area] + "-" + "*" * (len(digits) - area - 2) + digits[-2:]


def _mask_email(m: re.Match[str]) -> str:
    local, domain = m.group(0).split("@", 1)
    return local[:1] + "***@" + domain


# A caller naming themselves: 我是王芳，… / 我叫欧阳娜娜。 / 联系人：张三 (the name ends at
# punctuation, a space or the words that usually follow it, so "我是幸福小区的住户" stays).
_SELF_NAMED = re.compile(
    r"(我是|我叫|本人|姓名[:：]?|联系人[:：]?)([\u4e00-\u9fa5]{2,4})(?=[，,。.；;！!\s电手联]|$)"
)


def mask_text(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """Mask the personal data a resident or a worker wrote into free text: ID numbers (with a
    valid check character), bank cards (Luhn), mobile and landline numbers, e-mail addresses,
    the given `names` (the callers') and a name the caller gives for themselves. Numbers that
    fail their check (an order number, an amount) stay as written."""
    if not text:
        return text
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, mask_name(name) or "")
    text = _SELF_NAMED.sub(lambda m: m.group(1) + (mask_name(m.group(2)) or ""), text)
    text = _ID_NUMBER.sub(_mask_id, text)
    text = _CARD.sub(_mask_card, text)
    text = _MOBILE.sub(_mask_mobile, text)
    text = _LANDLINE.sub(_mask_landline, text)
    return _EMAIL.sub(_mask_email, text)
