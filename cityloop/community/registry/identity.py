"""Checks on personal data (pure): resident ID numbers (GB 11643), phones, ages."""

from __future__ import annotations

import re
from datetime import date

from cityloop.domain.errors import InvalidCommand

_ID = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_problem(value: str, field: str = "id_number") -> InvalidCommand | None:
    """Why `value` is not a valid 18-digit resident ID number (as the refusal naming
    `field`), or None."""
    v = value.strip().upper()
    if not _ID.match(v):
        return InvalidCommand(field, "id_number_format")
    if check_digit(v[:17]) != v[17]:
        return InvalidCommand(field, "id_number_check_digit")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return InvalidCommand(field, "id_number_birth_date")
    return None


def birth_date_of(value: str) -> date:
    v = value.strip()
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def gender_of(value: str) -> str:
    return "male" if int(value.strip()[16]) % 2 else "female"


def phone_problem(value: str) -> str | None:
    if not _PHONE.match(value.strip()):
        return "phone must be an 11-digit mobile number or an area-code landline"
    return None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def born_on_or_before(day: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def make_id_number(region6: str, birth: date, seq: int) -> str:
    """A well-formed ID number (demo data and tests)."""
    first17 = f"{region6}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)
