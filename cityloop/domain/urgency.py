"""Urgency by rule (紧急程度): life-safety and essential-service matters jump the queue."""

from __future__ import annotations

import re

from cityloop.domain.statuses import Urgency

# Each pattern names a danger to people or a loss of an essential service for many.
URGENT_PATTERNS: tuple[str, ...] = (
    r"燃气泄[漏露]|煤气泄[漏露]|闻到.{0,6}(燃气|煤气|天然气)味",
    r"起火|着火|火灾|冒烟|火情",
    r"触电|漏电|电线.{0,6}(掉落|裸露|断落)",
    r"坠落|坠楼|高空坠物|跳楼",
    r"被困|困在电梯|电梯困人|困人",
    r"(整栋|整个小区|全小区|整片|全楼|多栋).{0,12}(停水|停电|停暖|没水|没电|没暖气)",
    r"(停水|停电|停暖).{0,12}(整栋|整个小区|全小区|多栋|上百户|几百户)",
    r"爆炸|塌方|坍塌|倒塌|窨井盖.{0,4}(丢失|缺失)",
    r"持刀|打人|威胁.{0,6}(生命|杀)|人身安全",
)
_URGENT = re.compile("|".join(f"(?:{p})" for p in URGENT_PATTERNS))


def detect_urgency(text: str) -> tuple[Urgency, str | None]:
    """Return the urgency and the phrase that made it urgent (for the dispatcher to see)."""
    match = _URGENT.search(text)
    if match:
        return Urgency.URGENT, match.group(0)
    return Urgency.NORMAL, None
