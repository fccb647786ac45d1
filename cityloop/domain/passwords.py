"""The password policy (口令复杂度): what a new password must satisfy, with the reasons it fails.

Each reason has a stable code and parameters (the console renders them in zh or en) and a
Chinese-first message for the command line. The reuse check against past passwords needs the
stored hashes, so the service does it; this module knows only the rule's wording.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

CLASS_NAMES = {
    "lower": "小写字母 lower-case letter",
    "upper": "大写字母 upper-case letter",
    "digit": "数字 digit",
    "symbol": "符号 symbol",
}


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    min_classes: int = 3  # of lower, upper, digit, symbol
    history: int = 5  # a new password differs from this many past ones
    max_age_days: int = 0  # 0: passwords do not expire


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def character_classes(password: str) -> set[str]:
    classes: set[str] = set()
    for ch in password:
        if ch.isdigit():
            classes.add("digit")
        elif ch.isalpha() and ch.isupper():
            classes.add("upper")
        elif ch.isalpha() and ch.islower():
            classes.add("lower")
        elif ch.isalpha():
            classes.add("lower")  # letters without case (汉字) count as letters
        else:
            classes.add("symbol")
    return classes


def violations(
    password: str, username: str, policy: PasswordPolicy, common: Container[str]
) -> list[Violation]:
    """Every rule the password breaks (empty: acceptable)."""
    found: list[Violation] = []
    if len(password) < policy.min_length:
        found.append(
            Violation(
                "password_too_short",
                f"密码至少需要 {policy.min_length} 个字符，当前 {len(password)} 个 "
                f"at least {policy.min_length} characters",
                {"min_length": policy.min_length, "length": len(password)},
            )
        )
    have = character_classes(password)
    if len(have) < policy.min_classes:
        missing = [c for c in CLASS_NAMES if c not in have]
        names = "、".join(CLASS_NAMES[c].split(" ")[0] for c in missing)
        found.append(
            Violation(
                "password_too_few_classes",
                f"密码需包含大写字母、小写字母、数字、符号中的至少 {policy.min_classes} 类，"
                f"当前只有 {len(have)} 类，可添加：{names} "
                f"needs {policy.min_classes} of 4 character classes",
                {"min_classes": policy.min_classes, "classes": len(have), "missing": missing},
            )
        )
    lowered = password.lower()
    if lowered in common:
        found.append(
            Violation(
                "password_common",
                "密码过于常见（在常见密码清单中），请换一个 the password is in the common list",
            )
        )
    name = username.lower()
    if len(name) >= 3 and name in lowered:
        found.append(
            Violation(
                "password_contains_username",
                "密码不能包含用户名 the password must not contain the username",
            )
        )
    return found


def reused(history: int) -> Violation:
    return Violation(
        "password_reused",
        f"不能与最近 {history} 次使用过的密码相同 must differ from the last {history} passwords",
        {"history": history},
    )
