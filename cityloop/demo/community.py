"""Demo data for the community side of 云河市: estates, buildings, houses, households, residents
with care tags, shops; wishes with votes (one adopted into a work order), snap reports (one
incident escalated), points (accounts, Gulou garbage events, grants, redemptions, volunteering)
and mediation cases at every level. Call `load_community(ctx, seed)` after the history replay."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from cityloop.community import access
from cityloop.community.crypto import cipher_for
from cityloop.community.mediation.cases import LEVELS
from cityloop.community.points import service as points
from cityloop.community.points.ledger import ISSUANCE, REDEMPTION, Ledger, Transaction, award, spend
from cityloop.community.registry.identity import make_id_number
from cityloop.community.snaps import service as snaps
from cityloop.community.store import (
    BuildingRow,
    CareTagRow,
    CommunityTaskRow,
    DisputeEventRow,
    DisputeRow,
    EstateRow,
    HouseholdRow,
    HouseRow,
    PointAccountRow,
    PointEntryRow,
    PointItemRow,
    PointTransactionRow,
    ResidentRow,
    ShopRow,
    SnapGroupRow,
    SnapRow,
    UnitRow,
    WishRow,
    WishVoteRow,
)
from cityloop.community.wishes import service as wishes
from cityloop.demo.geography import build_regions
from cityloop.demo.organisation import build_gazetteer
from cityloop.demo.people import PeopleGenerator
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow, utcnow

_TAGS = ["elderly_alone", "disabled", "low_income", "left_behind_child", "empty_nest", "veteran"]
_SHOPS = [
    ("便利店", "零售"),
    ("面馆", "餐饮"),
    ("药房", "医药"),
    ("理发店", "生活服务"),
    ("水果店", "零售"),
    ("五金店", "零售"),
]
_WISHES = [
    ("加装电梯", "老楼没有电梯，老人上下楼困难，希望加装电梯"),
    ("增设充电桩", "电动车没地方充电，飞线充电危险，希望增设集中充电桩"),
    ("修缮健身器材", "小区健身器材锈坏了，希望修缮"),
    ("增加路灯", "后门小路晚上太黑，希望增加路灯"),
]
_TASKS = ["清理楼道杂物", "陪伴独居老人", "垃圾分类督导", "文明劝导"]
_DISPUTES = [
    ("neighbour", "楼上漏水纠纷"),
    ("property", "物业费争议"),
    ("family", "赡养老人纠纷"),
    ("labour", "装修工人讨薪"),
    ("neighbour", "噪音扰民"),
    ("land", "车位归属争议"),
    ("consumer", "预付卡退费"),
    ("property", "公共区域堆物"),
    ("neighbour", "宠物扰邻"),
    ("family", "婚姻家庭矛盾"),
    ("other", "广场舞噪音"),
    ("labour", "保洁员工资"),
]


class _Ids:
    """Explicit ids for bulk inserts (one statement per table instead of a flush per row)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.next: dict[Any, int] = {}

    def __call__(self, model: Any) -> int:
        if model not in self.next:
            top = self.session.execute(select(func.max(model.id))).scalar() or 0
            self.next[model] = top + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


def load_community(ctx: CityLoop, seed: int = 7) -> str:
    rng = random.Random(seed * 31 + 5)
    people = PeopleGenerator(seed + 101)
    cipher = cipher_for(ctx.settings)
    now = ctx.clock.now()
    today = ctx.local(now).date()
    regions = build_regions(seed)
    estates = [e for e in build_gazetteer(regions, seed) if e["kind"] == "小区"]
    ref = ctx.reference.get()
    rows: dict[Any, list[dict[str, Any]]] = {
        m: []
        for m in (
            EstateRow,
            BuildingRow,
            UnitRow,
            HouseRow,
            ShopRow,
            HouseholdRow,
            ResidentRow,
            CareTagRow,
        )
    }
    with ctx.uow() as uow:
        s = uow.session
        ids = _Ids(s)
        seq = 0
        used: set[str] = set()
        for e in estates:
            grid = e["grid_code"]
            if grid not in ref.regions:
                continue
            estate_id = ids(EstateRow)
            rows[EstateRow].append(
                dict(
                    id=estate_id,
                    name=e["name"],
                    grid_code=grid,
                    address=e["name"],
                    lon=e["lon"],
                    lat=e["lat"],
                )
            )
            for b in range(1, rng.randint(2, 3)):
                building_id, unit_id = ids(BuildingRow), ids(UnitRow)
                rows[BuildingRow].append(
                    dict(
                        id=building_id,
                        estate_id=estate_id,
                        name=f"{b}栋",
                        grid_code=grid,
                        floors=rng.choice([6, 11, 18]),
                    )
                )
                rows[UnitRow].append(dict(id=unit_id, building_id=building_id, name="1单元"))
                if rng.random() < 0.4:
                    name, business = rng.choice(_SHOPS)
                    rows[ShopRow].append(
                        dict(
                            id=ids(ShopRow),
                            name=f"{e['name'][:3]}{name}",
                            building_id=building_id,
                            grid_code=grid,
                            business=business,
                            licence_no="",
                            contact_name=people.full_name(),
                            contact_phone_enc=cipher.encrypt(people.phone()),
                            version=1,
                        )
                    )
                for room in (101, 102, 201, 202, 301, 302):
                    house_id = ids(HouseRow)
                    vacant = rng.random() < 0.1  # 空置
                    rows[HouseRow].append(
                        dict(
                            id=house_id,
                            unit_id=unit_id,
                            building_id=building_id,
                            estate_id=estate_id,
                            grid_code=grid,
                            room=str(room),
                            usage="vacant" if vacant else "owner_occupied",
                            version=1,
                            area=float(rng.choice([56, 72, 89, 105, 128])),
                        )
                    )
                    if vacant:
                        continue
                    hh_id = ids(HouseholdRow)
                    rows[HouseholdRow].append(
                        dict(
                            id=hh_id,
                            code=f"H{grid}-{house_id}",
                            house_id=house_id,
                            grid_code=grid,
                            created_at=now,
                        )
                    )
                    alone = rng.random() < 0.12
                    size = 1 if alone else rng.choice([2, 2, 3, 3, 4])
                    surname = people.surname()
                    for m in range(size):
                        seq += 1
                        if alone:
                            birth = date(rng.randint(1936, 1946), rng.randint(1, 12), 15)
                        elif m < 2:
                            birth = date(rng.randint(1955, 1992), rng.randint(1, 12), 10)
                        else:
                            birth = date(rng.randint(2008, 2020), rng.randint(1, 12), 5)
                        idn = make_id_number(grid[:6], birth, seq)
                        while idn in used:
                            seq += 1
                            idn = make_id_number(grid[:6], birth, seq)
                        used.add(idn)
                        rid = ids(ResidentRow)
                        rows[ResidentRow].append(
                            dict(
                                id=rid,
                                name=surname + people.full_name()[1:]
                                if m == 0
                                else people.full_name(),
                                gender=rng.choice(["male", "female"]),
                                birth_date=birth,
                                id_number_enc=cipher.encrypt(idn),
                                id_number_hash=cipher.digest(idn),
                                phone_enc=cipher.encrypt(people.phone()) if m < 2 else None,
                                household_id=hh_id,
                                relation="户主" if m == 0 else ("配偶" if m == 1 else "子女"),
                                residence=rng.choice(["registered"] * 4 + ["resident", "floating"]),
                                party_member=rng.random() < 0.08,
                                grid_code=grid,
                                user_id=None,
                                active=True,
                                version=1,
                                updated_at=now,
                            )
                        )
                        tags = ["elderly_alone"] if alone else []
                        if rng.random() < 0.06:
                            tags.append(rng.choice(_TAGS[1:]))
                        for t in dict.fromkeys(tags):
                            rows[CareTagRow].append(
                                dict(
                                    id=ids(CareTagRow),
                                    resident_id=rid,
                                    tag=t,
                                    set_by_id=None,
                                    set_by_name="网格员（演示）",
                                    set_at=now,
                                    note="",
                                )
                            )
        for model, batch in rows.items():
            if batch:
                s.execute(insert(model), batch)
        uow.commit()
    n_res = len(rows[ResidentRow])

    street_grid = _demo_grid(ctx)
    resident_id = _link_demo_resident(ctx, street_grid)
    n_points = _points(ctx, rng, street_grid, resident_id)
    n_wishes = _wishes(ctx, rng, street_grid, now)
    n_snaps = _snaps(ctx, rng, street_grid, now)
    n_disputes = _disputes(ctx, rng, street_grid, now, today, people)
    return (
        f"community: {len(rows[EstateRow])} estates, {n_res} residents, {n_wishes} wishes, "
        f"{n_snaps} snap reports, {n_points} point transactions, {n_disputes} disputes"
    )


def _demo_grid(ctx: CityLoop) -> str:
    """The demo grid worker's grid (falls back to the first grid with an estate)."""
    with ctx.uow() as uow:
        s = uow.session
        grid = s.execute(select(UserRow.region_code).where(UserRow.username == "grid")).scalar()
        have = set(s.execute(select(EstateRow.grid_code)).scalars())
    if grid in have:
        return str(grid)
    return min(have)


def _link_demo_resident(ctx: CityLoop, grid: str) -> int | None:
    """The demo `resident` account lives in the demo grid worker's grid."""
    with ctx.uow() as uow:
        s = uow.session
        user = s.execute(select(UserRow).where(UserRow.username == "resident")).scalar()
        r = s.execute(
            select(ResidentRow)
            .where(ResidentRow.grid_code == grid, ResidentRow.relation == "户主")
            .order_by(ResidentRow.id)
        ).scalar()
        if user is None or r is None:
            return None
        r.user_id = user.id
        uow.commit()
        return r.id


def _points(ctx: CityLoop, rng: random.Random, grid: str, resident_id: int | None) -> int:
    """Accounts and a month of postings for one street, run through the pure ledger in memory
    and written in bulk (the ledger checks every posting as the service would)."""
    street = grid[:9]
    rules = points.rules(ctx)
    now = ctx.clock.now()
    ledger = Ledger()
    accounts: dict[str, dict[str, Any]] = {
        code: dict(
            code=code,
            kind="system",
            allow_negative=True,
            resident_id=None,
            household_id=None,
            region_code=None,
        )
        for code in (ISSUANCE, REDEMPTION)
    }
    journal: list[tuple[Transaction, Any, str, dict[str, Any]]] = []

    def open_(code: str, kind: str, owner: int, region: str) -> str:
        if code not in accounts:
            accounts[code] = dict(
                code=code,
                kind=kind,
                allow_negative=False,
                region_code=region,
                resident_id=owner if kind == "resident" else None,
                household_id=owner if kind == "household" else None,
            )
            ledger.open(code)
        return code

    def book(txn: Transaction, at: Any, actor: str, data: dict[str, Any] | None = None) -> None:
        ledger.post(txn)
        journal.append((txn, at, actor, data or {}))

    with ctx.uow() as uow:
        s = uow.session
        ids = _Ids(s)
        items = [
            ("环保袋", "station", 50, 200),
            ("洗衣液", "station", 300, 80),
            ("理发券", "shop", 200, 40),
            ("大米5kg", "online", 800, 30),
        ]
        item_rows: list[dict[str, Any]] = [
            dict(
                id=ids(PointItemRow),
                name=a,
                channel=c,
                place="积分兑换站" if c == "station" else "",
                cost=cost,
                stock=stock,
                active=True,
            )
            for a, c, cost, stock in items
        ]
        households = (
            s.execute(
                select(HouseholdRow)
                .where(HouseholdRow.grid_code.startswith(street))
                .order_by(HouseholdRow.id)
                .limit(120)
            )
            .scalars()
            .all()
        )
        month = ctx.local(now).strftime("%Y-%m")
        grant = rules.rule("monthly_grant").points
        for h in households:
            acc = open_(points.household_account(h.code), "household", h.id, h.grid_code)
            book(
                award(
                    f"monthly_grant:{h.code}:{month}",
                    "monthly_grant",
                    acc,
                    grant,
                    f"每月家庭积分 {month}",
                ),
                now,
                "演示",
            )
            for d in range(rng.randint(0, 4)):
                at = now - timedelta(days=d + 1, hours=rng.randint(0, 5))
                book(
                    award(f"garbage:demo-bin:{h.code}:{d}", "correct_drop", acc, 5, "正确投放"),
                    at,
                    "智能垃圾桶",
                )
            if rng.random() < 0.2:
                book(
                    spend(f"redeem:demo-{h.code}", "redeem", acc, 300, "兑换 洗衣液 ×1"),
                    now,
                    "积分兑换站",
                    {"item_id": item_rows[1]["id"], "quantity": 1, "channel": "station"},
                )
                item_rows[1]["stock"] -= 1
        if resident_id is not None:
            r = s.get(ResidentRow, resident_id)
            assert r is not None
            acc = open_(points.resident_account(r.id), "resident", r.id, r.grid_code)
            book(award(f"open_account:{r.id}", "open_account", acc, 100, "开户奖励"), now, "演示")
        residents = (
            s.execute(
                select(ResidentRow)
                .where(ResidentRow.grid_code.startswith(street), ResidentRow.relation == "户主")
                .limit(12)
            )
            .scalars()
            .all()
        )
        tasks = []
        for i, r in enumerate(residents):
            vol = residents[-1 - i] if i % 3 else None
            task = dict(
                id=ids(CommunityTaskRow),
                community_code=r.grid_code[:12],
                title=rng.choice(_TASKS),
                points=20,
                status="done" if vol else "open",
                reported_by=r.id,
                claimed_by=vol.id if vol else None,
                created_at=now,
                done_at=now if vol else None,
            )
            tasks.append(task)
            acc = open_(points.resident_account(r.id), "resident", r.id, r.grid_code)
            book(
                award(f"task_reported:{task['id']}", "task_reported", acc, 10, "上报社区任务"),
                now,
                "演示",
            )
            if vol is not None:
                vacc = open_(points.resident_account(vol.id), "resident", vol.id, vol.grid_code)
                book(
                    award(f"task_done:{task['id']}", "task_done", vacc, 20, "完成志愿任务"),
                    now,
                    "演示",
                )
        account_ids = {code: ids(PointAccountRow) for code in accounts}
        s.execute(
            insert(PointAccountRow),
            [
                {**a, "id": account_ids[c], "balance": ledger.balance(c), "opened_at": now}
                for c, a in accounts.items()
            ],
        )
        txn_rows, entry_rows = [], []
        for txn, at, actor, data in journal:
            tid = ids(PointTransactionRow)
            txn_rows.append(
                dict(
                    id=tid,
                    key=txn.key,
                    kind=txn.kind,
                    memo=txn.memo,
                    at=at,
                    actor_name=actor,
                    reverses_key=None,
                    data=data,
                )
            )
            entry_rows += [
                dict(
                    id=ids(PointEntryRow),
                    transaction_id=tid,
                    account_id=account_ids[p.account],
                    amount=p.amount,
                )
                for p in txn.postings
            ]
        for model, batch in (
            (PointItemRow, item_rows),
            (CommunityTaskRow, tasks),
            (PointTransactionRow, txn_rows),
            (PointEntryRow, entry_rows),
        ):
            if batch:
                s.execute(insert(model), batch)
        uow.commit()
    return len(journal)


def _wishes(ctx: CityLoop, rng: random.Random, grid: str, now: Any) -> int:
    community = access.community_of(grid) or grid
    with ctx.uow() as uow:
        s = uow.session
        members = (
            s.execute(
                select(ResidentRow).where(
                    ResidentRow.grid_code.startswith(community), ResidentRow.relation == "户主"
                )
            )
            .scalars()
            .all()
        )
        if len(members) < 3:
            return 0
        author = members[0]
        user_id = (
            author.user_id
            or s.execute(select(UserRow.id).where(UserRow.username == "resident")).scalar()
        )
        if user_id is None:
            return 0
        created: list[int] = []
        for i, (title, content) in enumerate(_WISHES):
            w = WishRow(
                community_code=community,
                title=title,
                content=content,
                category_code=None,
                author_user_id=user_id,
                author_resident_id=author.id,
                status="open",
                created_at=now - timedelta(days=10 - i),
            )
            s.add(w)
            s.flush()
            created.append(w.id)
            share = 0.95 if i == 3 else rng.uniform(0.2, 0.7)
            for m in members[: max(3, int(len(members) * (0.5 if i == 3 else 0.2)))]:
                assert m.household_id is not None
                s.add(
                    WishVoteRow(
                        wish_id=w.id,
                        resident_id=m.id,
                        household_id=m.household_id,
                        support=rng.random() < share,
                        at=now,
                    )
                )
        uow.commit()
    for wid in created:
        with ctx.uow() as uow:
            wish = uow.session.get(WishRow, wid)
            assert wish is not None
            passed = wishes._tally(ctx, uow.session, wish).passed
        if passed:
            wishes.adopt(ctx, wid)
    return len(created)


def _snaps(ctx: CityLoop, rng: random.Random, grid: str, now: Any) -> int:
    with ctx.uow() as uow:
        s = uow.session
        estate = s.execute(select(EstateRow).where(EstateRow.grid_code == grid)).scalar()
        reporters = (
            s.execute(select(UserRow.id).where(UserRow.username.in_(["resident", "grid"])))
            .scalars()
            .all()
        )
        if estate is None or estate.lon is None or estate.lat is None or not reporters:
            return 0
        n = 0
        groups: list[int] = []
        for text, count in (("小区门口路灯不亮", 3), ("垃圾桶满溢无人清运", 1), ("井盖松动", 1)):
            g = SnapGroupRow(
                text=text,
                lon=estate.lon,
                lat=estate.lat + 0.001 * len(groups),
                grid_code=grid,
                category_code=None,
                first_at=now,
                last_at=now,
                reports=count,
                reporters=min(count, len(reporters)),
                status="open",
            )
            s.add(g)
            s.flush()
            groups.append(g.id)
            for i in range(count):
                s.add(
                    SnapRow(
                        group_id=g.id,
                        reporter_user_id=reporters[i % len(reporters)],
                        reporter_role="resident",
                        text=text,
                        address=estate.name,
                        lon=g.lon,
                        lat=g.lat,
                        category_code=None,
                        attachments=[],
                        at=now,
                    )
                )
                n += 1
        uow.commit()
    snaps.escalate(ctx, groups[0])
    return n


def _disputes(
    ctx: CityLoop, rng: random.Random, grid: str, now: Any, today: date, people: PeopleGenerator
) -> int:
    from cityloop.community.mediation.service import _limit
    from cityloop.services.deadlines import deadline

    cipher = cipher_for(ctx.settings)
    with ctx.uow() as uow:
        s = uow.session
        for i, (kind, title) in enumerate(_DISPUTES):
            level = LEVELS[0] if i < 8 else LEVELS[1 if i < 11 else 2]
            opened = now - timedelta(days=3 * i + 1)
            status = ["open", "mediating", "settled", "closed"][i % 4]
            d = DisputeRow(
                case_no=f"TJ{ctx.local(opened):%Y%m%d}-D{i:04d}",
                title=title,
                description=f"{title}，当事人申请调解",
                type=kind,
                level=level,
                region_code=grid,
                parties=[
                    {
                        "name": people.full_name(),
                        "role": "申请人",
                        "phone_enc": cipher.encrypt(people.phone()),
                    },
                    {"name": people.full_name(), "role": "被申请人", "phone_enc": None},
                ],
                mediator="人民调解员",
                status=status,
                opened_at=opened,
                level_since=opened,
                due_at=deadline(ctx, opened, _limit(ctx, level))[0],
                settled_at=opened + timedelta(days=2) if status in ("settled", "closed") else None,
                agreement="双方达成调解协议" if status in ("settled", "closed") else "",
                escalations=LEVELS.index(level),
            )
            s.add(d)
            s.flush()
            s.add(
                DisputeEventRow(
                    dispute_id=d.id,
                    kind="open",
                    at=opened,
                    actor_name="演示",
                    note=d.description,
                    data={"level": "community"},
                )
            )
        uow.commit()
    return len(_DISPUTES)


__all__ = ["load_community", "utcnow"]
