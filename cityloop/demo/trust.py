"""The demo resident's estate under trust-based property management (信托制物业): three months
of open books (with one of each flag and a reversal), a year's budget, an open vote and a
closed one. Everything goes through the trust services, so the demo obeys their rules."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community.store import HouseholdRow, HouseRow, ResidentRow
from cityloop.community.trust import books, votes
from cityloop.community.trust.ledger import Line
from cityloop.community.trust.store import TrustBallotRow, TrustCompoundRow, TrustVoteRow
from cityloop.community.trust.voting import Matter
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow, utcnow

PROPERTY_COMPANY = "云河安居物业服务有限公司"
RELATED_PARTY = "云河安居绿化工程有限公司"  # the property company's sister firm


def _user(ctx: CityLoop, username: str, label: str, password: str) -> Actor:
    with ctx.uow() as uow:
        row = UserRow(
            username=username,
            password_hash=PasswordHasher().hash(password),
            display_name=label,
            role=Role.RESIDENT.value,
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.commit()
        return Actor(row.id, label, Role.RESIDENT)


def _months_back(today: date, n: int) -> date:
    year, month = today.year, today.month - n
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def demo_estate(s: Session) -> int | None:
    """The estate the demo `resident` account lives in (its trust books and groups)."""
    found = s.execute(
        select(HouseRow.estate_id)
        .join(HouseholdRow, HouseholdRow.house_id == HouseRow.id)
        .join(ResidentRow, ResidentRow.household_id == HouseholdRow.id)
        .join(UserRow, UserRow.id == ResidentRow.user_id)
        .where(UserRow.username == "resident")
    ).scalar()
    return None if found is None else int(found)


def load_trust(ctx: CityLoop, password: str, seed: int = 7) -> str:
    rng = random.Random(seed * 17 + 3)
    staff = Actor.system()
    with ctx.uow() as uow:
        s = uow.session
        found = demo_estate(s)
        if found is None:
            return "trust property: no demo resident"
        estate_id = int(found)
        houses = list(
            s.execute(
                select(HouseRow.id).where(HouseRow.estate_id == estate_id).order_by(HouseRow.id)
            ).scalars()
        )
        heads = dict(
            s.execute(
                select(HouseholdRow.house_id, ResidentRow.id)
                .join(ResidentRow, ResidentRow.household_id == HouseholdRow.id)
                .where(HouseholdRow.house_id.in_(houses), ResidentRow.relation == "户主")
            ).all()
        )
        demo_resident = s.execute(
            select(ResidentRow.id)
            .join(UserRow, UserRow.id == ResidentRow.user_id)
            .where(UserRow.username == "resident")
        ).scalar_one()
    clerk = _user(ctx, "property", "物业记账员（演示）", password)
    committee = _user(ctx, "committee", "业委会委员（演示）", password)
    # The committee member is an owner of the estate too (the first other household head).
    member_resident = next((r for r in heads.values() if r != demo_resident), demo_resident)
    with ctx.uow() as uow:
        row = uow.session.get(ResidentRow, member_resident)
        assert row is not None
        row.user_id = committee.user_id
        uow.commit()

    compound = books.create_compound(
        ctx, staff, estate_id, PROPERTY_COMPANY, "6217 0031 2000 5678", owners_public_share=0.8
    )
    cid = compound["id"]
    books.add_member(ctx, staff, cid, clerk.user_id or 0, "property")
    books.add_member(ctx, staff, cid, committee.user_id or 0, "committee")
    books.add_related_party(ctx, committee, cid, RELATED_PARTY)
    for house in houses:
        owner = heads.get(house)
        votes.register_owner(ctx, staff, cid, house, owner, developer=owner is None)

    today = ctx.now_local().date()
    books.set_budget(
        ctx,
        committee,
        cid,
        today.year,
        {"6601": 60_000_000, "6602": 8_000_000, "6603": 3_000_000, "6605": 5_000_000},
    )
    n_entries = 0

    def post(day: date, memo: str, lines: list[Line], **kw: Any) -> dict[str, Any]:
        nonlocal n_entries
        n_entries += 1
        return books.post_entry(ctx, clerk, cid, entry_date=day, memo=memo, lines=lines, **kw)

    for back in (2, 1, 0):
        first = _months_back(today, back)
        day = min(first + timedelta(days=4), today)
        fee = rng.randint(180, 220) * 100_000
        post(day, f"{first.month}月物业费", [Line("1001", fee), Line("6001", 0, fee)])
        parking = rng.randint(20, 30) * 100_000
        owners = parking * 8 // 10
        post(
            day,
            f"{first.month}月停车费（八二分成）",
            [Line("1001", parking), Line("6002", 0, owners), Line("2241", 0, parking - owners)],
            vouchers=["停车场收费日报"],
            basis="业主大会决议：公共收益业主八成",
        )
        for account, memo, amount in (
            ("6601", "物业服务人员工资", 4_800_000),
            ("6602", "保洁外包服务费", 650_000),
            ("6607", "物业服务酬金（按合同 10%）", fee // 10),
        ):
            post(
                day,
                f"{first.month}月{memo}",
                [Line(account, amount), Line("1001", 0, amount)],
                payee=PROPERTY_COMPANY if account != "6602" else "云河洁净保洁有限公司",
                vouchers=[f"发票 {first.strftime('%Y%m')}-{account}"],
                basis="物业服务合同",
            )
    # This month: an ad contract where the owners got only half, greening paid to the sister
    # firm without a voucher (then reversed and posted again with one), a repair over budget.
    post(
        today,
        "电梯广告收入",
        [Line("1001", 1_200_000), Line("6003", 0, 600_000), Line("2241", 0, 600_000)],
        vouchers=["广告合同 GG-2026-03"],
    )
    wrong = post(
        today,
        "绿化补植",
        [Line("6603", 380_000), Line("1001", 0, 380_000)],
        payee=RELATED_PARTY,
    )
    books.reverse_entry(ctx, clerk, cid, wrong["id"], "金额有误，重新入账")
    n_entries += 1
    post(
        today,
        "绿化补植（更正）",
        [Line("6603", 350_000), Line("1001", 0, 350_000)],
        payee=RELATED_PARTY,
        vouchers=["发票 LH-0301"],
        basis="业委会审批 2026-07",
    )
    post(
        today,
        "2号楼消防水泵更换",
        [Line("6605", 5_600_000), Line("1001", 0, 5_600_000)],
        payee="云河机电设备维修有限公司",
        vouchers=["发票 XF-1107", "验收单"],
        basis="业主大会决议（使用维修资金）",
    )
    listing = books.list_entries(ctx, committee, cid, _months_back(today, 2).strftime("%Y-%m"))
    for item in listing["items"]:
        books.review_entry(ctx, committee, cid, item["id"], "与银行流水核对一致")

    # An open vote with some ballots, and last month's closed one.
    votes.open_vote(
        ctx,
        committee,
        cid,
        title="续聘云河安居物业服务有限公司（2027—2029）",
        matter=int(Matter.PROPERTY_SERVICE),
        closes_at=ctx.clock.now() + timedelta(days=10),
        description="物业服务合同明年到期，是否按信托制续聘三年。",
    )
    _closed_vote(ctx, cid, list(heads.items()), rng)
    return f"trust property: 1 compound, {len(houses)} houses, {n_entries} entries, 2 votes"


def _closed_vote(
    ctx: CityLoop, cid: int, owners: list[tuple[int, int]], rng: random.Random
) -> None:
    """A vote of last month (筹集维修资金, art. 278 item 6), counted with the service's own
    tally (the service refuses to open a vote in the past, so its rows are written here)."""
    now: datetime = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        vote = TrustVoteRow(
            compound_id=cid,
            title="续筹2号楼电梯维修资金",
            description="每平方米 20 元，用于2号楼电梯大修。",
            matter=int(Matter.RAISE_MAINTENANCE_FUND),
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=20),
            status="open",
            result=None,
            created_by=None,
            created_at=now - timedelta(days=40),
        )
        s.add(vote)
        s.flush()
        for _house, resident in owners:
            if rng.random() < 0.85:
                choice = "agree" if rng.random() < 0.85 else rng.choice(["oppose", "abstain"])
                s.add(
                    TrustBallotRow(
                        vote_id=vote.id,
                        owner_key=str(resident),
                        choice=choice,
                        cast_by=None,
                        cast_at=now - timedelta(days=30),
                    )
                )
        s.flush()
        compound = s.get(TrustCompoundRow, cid)
        assert compound is not None
        vote.status = "closed"
        vote.result = votes.result_view(votes.count(s, vote, compound))
        uow.commit()
