"""Masking of residents' personal data (个人信息脱敏) for roles that do not need it."""

from __future__ import annotations

import re

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
