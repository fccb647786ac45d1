"""Dispute mediation (矛盾纠纷调解) rules, pure: levels, what each step may follow, escalation.

小事不出社区、大事不出街道: a case starts in the community; one not settled in its level's time
(working days) goes up to the street, then the district.
"""

from __future__ import annotations

from datetime import datetime

from cityloop.domain.errors import InvalidCommand

LEVELS = ("community", "street", "district")
LEVEL_LABELS = {"community": "社区", "street": "街道", "district": "区"}
STATUS_LABELS = {
    "open": "已受理",
    "mediating": "调解中",
    "settled": "已达成协议",
    "failed": "调解不成",
    "closed": "已回访结案",
}
ACTIVE = frozenset({"open", "mediating"})
_CODE_LENGTH = {"community": 12, "street": 9, "district": 6}

# step → the statuses it may follow
STEPS: dict[str, frozenset[str]] = {
    "session": ACTIVE,
    "settle": ACTIVE,
    "fail": ACTIVE,
    "escalate": ACTIVE | {"failed"},
    "follow_up": frozenset({"settled"}),
}
AFTER = {"session": "mediating", "settle": "settled", "fail": "failed", "follow_up": "closed"}


def check_step(step: str, status: str) -> None:
    allowed = STEPS.get(step)
    if allowed is None:
        raise InvalidCommand("step", "unknown_step", {"step": step})
    if status not in allowed:
        raise InvalidCommand("status", "step_not_allowed", {"step": step, "status": status})


def next_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def level_region(level: str, region_code: str) -> str:
    """The region that handles a case at `level` (the case's community, street or district)."""
    return region_code[: _CODE_LENGTH[level]]


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in ACTIVE and now > due_at
