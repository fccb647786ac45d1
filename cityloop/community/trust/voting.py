"""Owners' votes on public matters (业主共同决定事项) under the Civil Code, art. 278 — pure.

The rules, as the Code and the Supreme People's Court's interpretation on 建筑物区分所有权
(法释〔2009〕7号, amended 2020, arts. 8–9) give them:

* Who counts. Each exclusive part (专有部分, a house) counts as one owner; several exclusive
  parts of the same buyer count as one owner, and so do all the parts the developer has not
  sold or handed over. A house with several co-owners is still one owner (they cast one
  ballot). Area is the exclusive area on the property register.
* Taking part. A decision needs owners holding at least 2/3 of the exclusive area **and** at
  least 2/3 of the owners to take part in the vote (art. 278 para. 2).
* Passing. Items 6–8 of art. 278 (raising the maintenance fund, rebuilding, changing the use
  of common parts or running a business with them) need at least 3/4 of the participating area
  **and** at least 3/4 of the participating owners to agree; every other matter (items 1–5 and
  9, using the maintenance fund included) needs more than half of each.
* 以上 includes the figure itself and 过半数 does not (Civil Code art. 1259), so "at least 2/3"
  is ``part * 3 >= whole * 2`` and "more than half" is ``part * 2 > whole``.

Areas are counted in whole hundredths of a square metre and compared with integer
arithmetic, so no rounding of a share can tip a vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum


class Matter(IntEnum):
    """The items of Civil Code art. 278 para. 1."""

    RULES_OF_PROCEDURE = 1  # 制定和修改业主大会议事规则
    MANAGEMENT_STATUTE = 2  # 制定和修改管理规约
    COMMITTEE = 3  # 选举业主委员会或者更换业主委员会成员
    PROPERTY_SERVICE = 4  # 选聘和解聘物业服务企业或者其他管理人
    USE_MAINTENANCE_FUND = 5  # 使用建筑物及其附属设施的维修资金
    RAISE_MAINTENANCE_FUND = 6  # 筹集建筑物及其附属设施的维修资金
    REBUILD = 7  # 改建、重建建筑物及其附属设施
    COMMON_PARTS_USE = 8  # 改变共有部分的用途或者利用共有部分从事经营活动
    OTHER_MAJOR = 9  # 有关共有和共同管理权利的其他重大事项


MATTER_LABELS: dict[Matter, str] = {
    Matter.RULES_OF_PROCEDURE: "制定和修改业主大会议事规则",
    Matter.MANAGEMENT_STATUTE: "制定和修改管理规约",
    Matter.COMMITTEE: "选举或者更换业主委员会成员",
    Matter.PROPERTY_SERVICE: "选聘和解聘物业服务企业或者其他管理人",
    Matter.USE_MAINTENANCE_FUND: "使用建筑物及其附属设施的维修资金",
    Matter.RAISE_MAINTENANCE_FUND: "筹集建筑物及其附属设施的维修资金",
    Matter.REBUILD: "改建、重建建筑物及其附属设施",
    Matter.COMMON_PARTS_USE: "改变共有部分的用途或者利用共有部分从事经营活动",
    Matter.OTHER_MAJOR: "有关共有和共同管理权利的其他重大事项",
}

# Items that need three quarters of the participating area and owners (art. 278 para. 2).
QUALIFIED_MATTERS = frozenset(
    {Matter.RAISE_MAINTENANCE_FUND, Matter.REBUILD, Matter.COMMON_PARTS_USE}
)


class Choice(StrEnum):
    AGREE = "agree"  # 同意
    OPPOSE = "oppose"  # 反对
    ABSTAIN = "abstain"  # 弃权: takes part, does not agree


CHOICE_LABELS: dict[Choice, str] = {
    Choice.AGREE: "同意",
    Choice.OPPOSE: "反对",
    Choice.ABSTAIN: "弃权",
}

DEVELOPER = "developer"  # the owner key of every unsold or undelivered house


@dataclass(frozen=True)
class House:
    """One exclusive part: its register area and who owns it.

    `owner_key` identifies the buyer (one person, or the same set of co-owners, or DEVELOPER);
    houses with the same key count as one owner.
    """

    house_id: int
    area_centi: int  # exclusive area in hundredths of a square metre
    owner_key: str


def area_to_centi(area: float | Decimal | str) -> int:
    """Square metres (as registered, e.g. 89.37) to whole hundredths, rounding half up."""
    value = Decimal(str(area)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value <= 0:
        raise ValueError("专有部分面积必须大于 0")
    return int(value * 100)


def owner_key(owner_ids: Iterable[str | int], *, developer: bool = False) -> str:
    """The key that makes several houses of one buyer count once: the sorted set of owners."""
    if developer:
        return DEVELOPER
    ids = sorted({str(i) for i in owner_ids})
    if not ids:
        raise ValueError("房屋没有登记业主")
    return "+".join(ids)


@dataclass(frozen=True)
class Tally:
    """The published result of a vote (个人选择不公开, only these figures)."""

    matter: Matter
    total_area_centi: int
    total_owners: int
    participating_area_centi: int
    participating_owners: int
    agree_area_centi: int
    agree_owners: int
    oppose_owners: int
    abstain_owners: int
    quorum_met: bool  # 2/3 of area and of owners took part
    passed: bool
    rule: str  # "three_quarters" or "majority"

    @property
    def area_turnout(self) -> float:
        return self.participating_area_centi / self.total_area_centi if self.total_area_centi else 0

    @property
    def owner_turnout(self) -> float:
        return self.participating_owners / self.total_owners if self.total_owners else 0.0


def _at_least(part: int, whole: int, num: int, den: int) -> bool:
    """part ≥ num/den of whole (以上 includes the figure itself)."""
    return part * den >= whole * num


def _more_than_half(part: int, whole: int) -> bool:
    return part * 2 > whole


def tally(houses: Iterable[House], ballots: Mapping[str, Choice], matter: Matter) -> Tally:
    """Count a vote. `ballots` maps an owner key to that owner's choice (one ballot per owner,
    cast by the owner or a proxy); keys of no house are ignored by the caller's validation."""
    area_of: dict[str, int] = {}
    for house in houses:
        area_of[house.owner_key] = area_of.get(house.owner_key, 0) + house.area_centi
    total_area = sum(area_of.values())
    total_owners = len(area_of)
    cast = {key: choice for key, choice in ballots.items() if key in area_of}
    part_area = sum(area_of[k] for k in cast)
    part_owners = len(cast)
    agreeing = [k for k, c in cast.items() if c is Choice.AGREE]
    agree_area = sum(area_of[k] for k in agreeing)
    agree_owners = len(agreeing)
    quorum = (
        total_owners > 0
        and _at_least(part_area, total_area, 2, 3)
        and _at_least(part_owners, total_owners, 2, 3)
    )
    if matter in QUALIFIED_MATTERS:
        rule = "three_quarters"
        agreed = _at_least(agree_area, part_area, 3, 4) and _at_least(
            agree_owners, part_owners, 3, 4
        )
    else:
        rule = "majority"
        agreed = _more_than_half(agree_area, part_area) and _more_than_half(
            agree_owners, part_owners
        )
    return Tally(
        matter=matter,
        total_area_centi=total_area,
        total_owners=total_owners,
        participating_area_centi=part_area,
        participating_owners=part_owners,
        agree_area_centi=agree_area,
        agree_owners=agree_owners,
        oppose_owners=sum(1 for c in cast.values() if c is Choice.OPPOSE),
        abstain_owners=sum(1 for c in cast.values() if c is Choice.ABSTAIN),
        quorum_met=quorum,
        passed=quorum and part_owners > 0 and agreed,
        rule=rule,
    )
