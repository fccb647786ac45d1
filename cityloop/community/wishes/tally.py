"""Counting support for a wish (心愿墙), pure.

Residents vote for or against a wish; a household counts once, on the side most of its voting
members took (a tie counts as not supporting). The wish passes when enough households voted
(turnout, and never fewer than a minimum) and the supporting share of the voting households
reaches the threshold (80 % by default).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from cityloop.community.config import WishPolicy


@dataclass(frozen=True)
class Tally:
    households: int  # households in the community
    voting: int  # households where someone voted
    supporting: int
    opposing: int
    turnout_needed: int
    support_needed: int  # supporting households needed at the present turnout
    passed: bool

    @property
    def turnout(self) -> float:
        return self.voting / self.households if self.households else 0.0

    @property
    def support_share(self) -> float:
        return self.supporting / self.voting if self.voting else 0.0


def household_sides(votes: Iterable[tuple[int, bool]]) -> dict[int, bool]:
    """{household: supports} from (household, support) votes of individual residents."""
    counts: dict[int, int] = {}
    for household, support in votes:
        counts[household] = counts.get(household, 0) + (1 if support else -1)
    return {h: n > 0 for h, n in counts.items()}


def tally(votes: Iterable[tuple[int, bool]], households: int, policy: WishPolicy) -> Tally:
    sides = household_sides(votes)
    voting = len(sides)
    supporting = sum(1 for s in sides.values() if s)
    turnout_needed = max(policy.min_households, math.ceil(policy.min_turnout * households - 1e-9))
    support_needed = math.ceil(policy.support_ratio * max(voting, turnout_needed) - 1e-9)
    passed = (
        voting >= turnout_needed
        and voting > 0
        and supporting >= math.ceil(policy.support_ratio * voting - 1e-9)
    )
    return Tally(
        households=households,
        voting=voting,
        supporting=supporting,
        opposing=voting - supporting,
        turnout_needed=turnout_needed,
        support_needed=support_needed,
        passed=passed,
    )
