"""Points (积分) use cases: the store adapter around the pure ledger core.

Each posting loads the accounts it touches, asks `ledger.plan` whether it may be posted, then
writes the transaction, its entries and the new balances in one database transaction. The
balance update is guarded in SQL too (`balance + delta >= 0`), so two concurrent redemptions can
never overdraw an account; the unique transaction key makes posting idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.community import access
from cityloop.community.common import NotFound, category_by_path, require, resident_of
from cityloop.community.config import load as load_config
from cityloop.community.linkage import open_order
from cityloop.community.points.ledger import (
    ISSUANCE,
    REDEMPTION,
    SYSTEM_ACCOUNTS,
    InsufficientBalance,
    KeyReused,
    LedgerError,
    Posting,
    Transaction,
    award,
    plan,
    reversal,
    spend,
)
from cityloop.community.points.rules import PointRules, drop_fraud, parse_rules, recycling_points
from cityloop.community.store import (
    CommunityTaskRow,
    EstateRow,
    GarbageEventRow,
    HouseholdRow,
    HouseRow,
    PointAccountRow,
    PointEntryRow,
    PointItemRow,
    PointTransactionRow,
    ResidentRow,
)
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_name
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import RegionRow, utcnow
from cityloop.store.prefix import starts_with

T = TypeVar("T")
VOLUNTEER_KINDS = ("task_reported", "task_done")
MAX_QUANTITY = 20  # rewards redeemed at once


def rules(ctx: CityLoop) -> PointRules:
    return parse_rules(load_config(ctx.settings).points)


def resident_account(resident_id: int) -> str:
    return f"resident:{resident_id}"


def household_account(code: str) -> str:
    return f"household:{code}"


def _ledger_errors(fn: Callable[[], T]) -> T:
    """Run a use case; ledger refusals become 422s; a concurrent duplicate key is retried once
    (the retry finds the transaction already posted and answers with it)."""
    for attempt in (1, 2):
        try:
            return fn()
        except LedgerError as exc:
            raise InvalidCommand(exc.field, exc.code, exc.params) from exc
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# -- accounts and posting ------------------------------------------------------------------
def _system_accounts(s: Session) -> None:
    have = set(
        s.execute(
            select(PointAccountRow.code).where(PointAccountRow.code.in_(SYSTEM_ACCOUNTS))
        ).scalars()
    )
    for code in SYSTEM_ACCOUNTS:
        if code not in have:
            s.add(
                PointAccountRow(
                    code=code, kind="system", allow_negative=True, balance=0, opened_at=utcnow()
                )
            )
    s.flush()


def _ensure_resident(s: Session, r: ResidentRow) -> PointAccountRow:
    return _ensure_account(s, resident_account(r.id), "resident", r.grid_code, resident_id=r.id)


def _ensure_household(s: Session, h: HouseholdRow) -> PointAccountRow:
    return _ensure_account(
        s, household_account(h.code), "household", h.grid_code, household_id=h.id
    )


def _ensure_account(
    s: Session, code: str, kind: str, region_code: str | None, **owner: int
) -> PointAccountRow:
    """A member's account, opened on first use (members may never go below zero)."""
    row = s.execute(select(PointAccountRow).where(PointAccountRow.code == code)).scalar()
    if row is None:
        row = PointAccountRow(
            code=code,
            kind=kind,
            region_code=region_code,
            allow_negative=False,
            balance=0,
            opened_at=utcnow(),
            **owner,
        )
        s.add(row)
        s.flush()
    return row


def _stored(s: Session, row: PointTransactionRow) -> Transaction:
    entries = s.execute(
        select(PointAccountRow.code, PointEntryRow.amount)
        .join(PointAccountRow, PointAccountRow.id == PointEntryRow.account_id)
        .where(PointEntryRow.transaction_id == row.id)
        .order_by(PointEntryRow.id)
    ).all()
    return Transaction(
        row.key,
        row.kind,
        tuple(Posting(c, a) for c, a in entries),
        row.memo,
        row.reverses_key,
    )


def post(
    s: Session, txn: Transaction, at: datetime, actor: str, data: dict[str, Any] | None = None
) -> tuple[PointTransactionRow, bool]:
    """Post `txn` (staged in the session); (row, False) when it was posted before."""
    existing = s.execute(
        select(PointTransactionRow).where(PointTransactionRow.key == txn.key)
    ).scalar_one_or_none()
    if existing is not None:
        if not _stored(s, existing).same_as(txn):
            raise KeyReused("key", "ledger_key_reused", key=txn.key)
        return existing, False
    _system_accounts(s)
    codes = sorted({p.account for p in txn.postings})
    accounts = {
        a.code: a
        for a in s.execute(
            select(PointAccountRow)
            .where(PointAccountRow.code.in_(codes))
            .order_by(PointAccountRow.id)
            .with_for_update()
        ).scalars()
    }
    after = plan(
        {c: a.balance for c, a in accounts.items()},
        txn,
        {c for c, a in accounts.items() if a.allow_negative},
    )
    if txn.reverses is not None:
        original = s.execute(
            select(PointTransactionRow.id).where(PointTransactionRow.key == txn.reverses)
        ).scalar()
        if original is None:
            raise LedgerError("reverses", "unknown_transaction", key=txn.reverses)
        if s.execute(
            select(PointTransactionRow.id).where(PointTransactionRow.reverses_key == txn.reverses)
        ).first():
            raise LedgerError("reverses", "already_reversed", key=txn.reverses)
    row = PointTransactionRow(
        key=txn.key,
        kind=txn.kind,
        memo=txn.memo,
        at=at,
        actor_name=actor,
        reverses_key=txn.reverses,
        data=data or {},
    )
    s.add(row)
    s.flush()
    for p in txn.postings:
        s.add(
            PointEntryRow(transaction_id=row.id, account_id=accounts[p.account].id, amount=p.amount)
        )
    for code, new_balance in after.items():
        acc = accounts[code]
        delta = new_balance - acc.balance
        done = s.execute(
            update(PointAccountRow)
            .where(
                PointAccountRow.id == acc.id,
                or_(
                    PointAccountRow.allow_negative.is_(True),
                    PointAccountRow.balance + delta >= 0,
                ),
            )
            .values(balance=PointAccountRow.balance + delta)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise InsufficientBalance("points", "points_changed", account=code)
        acc.balance = new_balance
    s.flush()
    return row, True


def _txn_view(row: PointTransactionRow, created: bool) -> dict[str, Any]:
    return {
        "key": row.key,
        "kind": row.kind,
        "memo": row.memo,
        "at": row.at,
        "created": created,
        "reverses": row.reverses_key,
        "data": row.data,
    }


# -- residents' accounts -------------------------------------------------------------------
def _resident_for(s: Session, actor: Actor, resident_id: int | None) -> ResidentRow:
    if resident_id is None:
        return resident_of(s, actor)[0]
    r = s.get(ResidentRow, resident_id)
    if r is None or not access.in_region(actor, r.grid_code):
        raise NotFound(f"resident {resident_id}")
    if actor.role is Role.RESIDENT:
        if r.user_id != actor.user_id:
            raise NotFound(f"resident {resident_id}")
    elif not access.may_edit(actor, r.grid_code):
        raise PermissionDenied("not yours to change")
    return r


def open_account(ctx: CityLoop, actor: Actor, resident_id: int | None) -> dict[str, Any]:
    """Open a resident's account (and their household's, 一户一码) with the opening award."""
    rule = rules(ctx).rule("open_account")

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            r = _resident_for(s, actor, resident_id)
            account = _ensure_resident(s, r)
            household = s.get(HouseholdRow, r.household_id) if r.household_id else None
            if household is not None:
                _ensure_household(s, household)
            txn = award(
                f"open_account:{r.id}", "open_account", account.code, rule.points, rule.label
            )
            row, created = post(s, txn, ctx.clock.now(), actor.name)
            uow.commit()
            return _txn_view(row, created)

    return _ledger_errors(run)


def face_verified(ctx: CityLoop, actor: Actor, resident_id: int | None) -> dict[str, Any]:
    rule = rules(ctx).rule("face_verification")

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            r = _resident_for(s, actor, resident_id)
            account = _ensure_resident(s, r)
            txn = award(
                f"face_verification:{r.id}",
                "face_verification",
                account.code,
                rule.points,
                rule.label,
            )
            row, created = post(s, txn, ctx.clock.now(), actor.name)
            uow.commit()
            return _txn_view(row, created)

    return _ledger_errors(run)


# -- garbage sorting (垃圾分类) --------------------------------------------------------------
def garbage_event(
    ctx: CityLoop,
    actor: Actor,
    *,
    household_code: str,
    kind: str,
    event_id: str,
    device: str,
    at: datetime,
    material: str | None = None,
    kilograms: float | None = None,
) -> dict[str, Any]:
    """A smart bin or AI camera event: a correct drop (+5, fraud-checked), weighed recycling
    (points by weight and material) or a violation (no points; a work order)."""
    require(actor, {Role.ADMIN}, "post device events")
    if kind not in ("drop", "recycle", "violation"):
        raise InvalidCommand("kind", "enum", {"expected": ["drop", "recycle", "violation"]})
    if at.tzinfo is None:
        raise InvalidCommand("at", "time_zone_required")
    rs = rules(ctx)
    key = f"garbage:{device}:{event_id}"

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            existing = s.execute(
                select(GarbageEventRow).where(GarbageEventRow.key == key)
            ).scalar_one_or_none()
            if existing is not None:
                return {**_event_view(existing), "created": False}
            household = s.execute(
                select(HouseholdRow).where(HouseholdRow.code == household_code)
            ).scalar_one_or_none()
            if household is None:
                raise InvalidCommand(
                    "household_code", "unknown_household", {"code": household_code}
                )
            account = _ensure_household(s, household)
            points, flagged, data = 0, None, {}
            if kind == "drop":
                rule = rs.rule("correct_drop")
                local = ctx.local(at)
                day_start = datetime.combine(local.date(), time(0), local.tzinfo)
                earlier = list(
                    s.execute(
                        select(GarbageEventRow.at).where(
                            GarbageEventRow.household_id == household.id,
                            GarbageEventRow.kind == "drop",
                            GarbageEventRow.points > 0,
                            GarbageEventRow.at >= day_start,
                            GarbageEventRow.at < day_start + timedelta(days=1),
                        )
                    ).scalars()
                )
                flagged = drop_fraud(rs, earlier, at)
                points = 0 if flagged else rule.points
            elif kind == "recycle":
                rule = rs.rule("recycling")
                if material is None or kilograms is None:
                    raise InvalidCommand("material", "recycling_weight_required")
                points = recycling_points(rule, material, kilograms)
                data = {"material": material, "kilograms": kilograms}
            else:
                rule = rs.rule("violation")
            event = GarbageEventRow(
                key=key,
                household_id=household.id,
                kind=kind,
                at=at,
                device=device,
                data=data,
                points=points,
                flagged=flagged,
            )
            s.add(event)
            s.flush()
            if points > 0:
                post(
                    s,
                    award(key, rule.name, account.code, points, rule.label),
                    at,
                    actor.name,
                    {"device": device, **data},
                )
            place = _household_place(s, household)
            uow.commit()
            event_id_ = event.id
        if kind == "violation" and rule.work_order:
            _violation_order(ctx, event_id_, household_code, device, rule.category, place)
        with ctx.uow() as uow:
            row = uow.session.get(GarbageEventRow, event_id_)
            assert row is not None
            return {**_event_view(row), "created": True}

    return _ledger_errors(run)


def _household_place(s: Session, h: HouseholdRow) -> tuple[str, float | None, float | None]:
    found = s.execute(
        select(EstateRow)
        .join(HouseRow, HouseRow.estate_id == EstateRow.id)
        .where(HouseRow.id == h.house_id)
    ).scalar_one()
    return found.name, found.lon, found.lat


def _violation_order(
    ctx: CityLoop,
    event_id: int,
    household_code: str,
    device: str,
    category: str | None,
    place: tuple[str, float | None, float | None],
) -> None:
    estate, lon, lat = place
    result = open_order(
        ctx,
        source="AI摄像头",
        external_id=f"garbage-violation-{event_id}",
        title=f"【垃圾分类】{estate}违规投放",
        content=(
            f"AI摄像头（{device}）发现{estate}垃圾违规投放，户码 {household_code}。"
            "请责任人（楼栋长/物业/分类督导员）到场整改并上门宣传，本次不计积分。"
        ),
        channel="sensor",
        category_code=category_by_path(ctx, category),
        lon=lon,
        lat=lat,
        address=estate,
    )
    with ctx.uow() as uow:
        row = uow.session.get(GarbageEventRow, event_id)
        assert row is not None
        row.work_order_id = result.work_order_id
        uow.commit()


def _event_view(e: GarbageEventRow) -> dict[str, Any]:
    return {
        "id": e.id,
        "key": e.key,
        "kind": e.kind,
        "at": e.at,
        "device": e.device,
        "points": e.points,
        "flagged": e.flagged,
        "data": e.data,
        "work_order_id": e.work_order_id,
    }


def monthly_grant(ctx: CityLoop, actor: Actor, month: str) -> dict[str, int]:
    """The monthly household grant (+400) to every household with a registered resident;
    posting the same month again changes nothing."""
    require(actor, {Role.ADMIN}, "grant monthly points")
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError as exc:
        raise InvalidCommand("month", "month_format") from exc
    rule = rules(ctx).rule("monthly_grant")

    def run() -> dict[str, int]:
        posted = skipped = 0
        with ctx.uow() as uow:
            s = uow.session
            households = s.execute(
                select(HouseholdRow).where(
                    select(ResidentRow.id)
                    .where(
                        ResidentRow.household_id == HouseholdRow.id, ResidentRow.active.is_(True)
                    )
                    .exists()
                )
            ).scalars()
            for h in households:
                account = _ensure_household(s, h)
                txn = award(
                    f"monthly_grant:{h.code}:{month}",
                    "monthly_grant",
                    account.code,
                    rule.points,
                    f"{rule.label} {month}",
                )
                _row, created = post(s, txn, ctx.clock.now(), actor.name)
                posted += created
                skipped += not created
            uow.commit()
        return {"posted": posted, "already": skipped}

    return _ledger_errors(run)


# -- redemption ------------------------------------------------------------------------------
def _account_for(s: Session, actor: Actor, code: str) -> PointAccountRow:
    acc = s.execute(select(PointAccountRow).where(PointAccountRow.code == code)).scalar()
    if acc is None or acc.kind == "system":
        raise NotFound(f"account {code}")
    if actor.role is Role.RESIDENT:
        resident, household = resident_of(s, actor)
        if code not in (resident_account(resident.id), household_account(household.code)):
            raise NotFound(f"account {code}")
    elif not access.in_region(actor, acc.region_code):
        raise NotFound(f"account {code}")
    return acc


def redeem(
    ctx: CityLoop, actor: Actor, account: str, item_id: int, quantity: int, request_id: str
) -> dict[str, Any]:
    """Spend points on a reward: at a station or shop (staff on the resident's behalf) or
    online (the resident). `request_id` makes a retried request harmless."""
    if actor.role not in (Role.RESIDENT, Role.ADMIN, Role.GRID_WORKER, Role.SUPERVISOR):
        raise PermissionDenied("not for this role")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidCommand("quantity", "number_range", {"min": 1, "max": MAX_QUANTITY})
    key = f"redeem:{request_id}"

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            acc = _account_for(s, actor, account)
            item = s.get(PointItemRow, item_id)
            if item is None or not item.active:
                raise InvalidCommand("item_id", "unknown_reward", {"id": item_id})
            txn = spend(
                key, "redeem", acc.code, item.cost * quantity, f"兑换 {item.name} ×{quantity}"
            )
            done = s.execute(
                select(PointTransactionRow).where(PointTransactionRow.key == key)
            ).scalar_one_or_none()
            if done is None:
                took = s.execute(
                    update(PointItemRow)
                    .where(PointItemRow.id == item.id, PointItemRow.stock >= quantity)
                    .values(stock=PointItemRow.stock - quantity)
                    .execution_options(synchronize_session=False)
                )
                if took.rowcount != 1:  # type: ignore[attr-defined]
                    raise InvalidCommand("item_id", "out_of_stock")
            data = {"item_id": item.id, "quantity": quantity, "channel": item.channel}
            row, created = post(s, txn, ctx.clock.now(), actor.name, data)
            uow.commit()
            return _txn_view(row, created)

    return _ledger_errors(run)


def reverse(ctx: CityLoop, actor: Actor, key: str, reason: str) -> dict[str, Any]:
    """冲正: undo a transaction with a reason; a reversed redemption puts the stock back."""
    require(actor, {Role.ADMIN, Role.SUPERVISOR}, "reverse points")
    if len(reason.strip()) < 2:
        raise InvalidCommand("reason", "reason_required")

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            original = s.execute(
                select(PointTransactionRow).where(PointTransactionRow.key == key)
            ).scalar_one_or_none()
            if original is None:
                raise NotFound(f"transaction {key}")
            regions = s.execute(
                select(PointAccountRow.region_code)
                .join(PointEntryRow, PointEntryRow.account_id == PointAccountRow.id)
                .where(
                    PointEntryRow.transaction_id == original.id, PointAccountRow.kind != "system"
                )
            ).scalars()
            if not all(access.in_region(actor, r) for r in regions):
                raise NotFound(f"transaction {key}")
            txn = reversal(_stored(s, original), f"reversal:{key}", reason.strip())
            row, created = post(s, txn, ctx.clock.now(), actor.name, {"reason": reason.strip()})
            if created and original.kind == "redeem":
                s.execute(
                    update(PointItemRow)
                    .where(PointItemRow.id == original.data.get("item_id"))
                    .values(stock=PointItemRow.stock + int(original.data.get("quantity", 0)))
                    .execution_options(synchronize_session=False)
                )
            uow.commit()
            return _txn_view(row, created)

    return _ledger_errors(run)


def list_items(ctx: CityLoop, channel: str | None) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        stmt = select(PointItemRow).where(PointItemRow.active.is_(True)).order_by(PointItemRow.id)
        if channel:
            stmt = stmt.where(PointItemRow.channel == channel)
        return [
            {
                "id": i.id,
                "name": i.name,
                "channel": i.channel,
                "place": i.place,
                "cost": i.cost,
                "stock": i.stock,
            }
            for i in uow.session.execute(stmt).scalars()
        ]


def create_item(
    ctx: CityLoop, actor: Actor, name: str, channel: str, place: str, cost: int, stock: int
) -> dict[str, Any]:
    require(actor, {Role.ADMIN}, "manage rewards")
    if channel not in rules(ctx).channels:
        raise InvalidCommand("channel", "enum", {"expected": list(rules(ctx).channels)})
    with ctx.uow() as uow:
        item = PointItemRow(
            name=name, channel=channel, place=place, cost=cost, stock=stock, active=True
        )
        uow.session.add(item)
        uow.commit()
        return {
            "id": item.id,
            "name": name,
            "channel": channel,
            "place": place,
            "cost": cost,
            "stock": stock,
        }


# -- reading ---------------------------------------------------------------------------------
def my_accounts(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        s = uow.session
        resident, household = resident_of(s, actor)
        codes = [resident_account(resident.id), household_account(household.code)]
        rows = s.execute(select(PointAccountRow).where(PointAccountRow.code.in_(codes))).scalars()
        return [{"code": a.code, "kind": a.kind, "balance": a.balance} for a in rows]


def account(ctx: CityLoop, actor: Actor, code: str, limit: int = 50) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        acc = _account_for(s, actor, code)
        lines = s.execute(
            select(PointTransactionRow, PointEntryRow.amount)
            .join(PointEntryRow, PointEntryRow.transaction_id == PointTransactionRow.id)
            .where(PointEntryRow.account_id == acc.id)
            .order_by(PointTransactionRow.at.desc(), PointTransactionRow.id.desc())
            .limit(limit)
        ).all()
        return {
            "code": acc.code,
            "kind": acc.kind,
            "balance": acc.balance,
            "opened_at": acc.opened_at,
            "lines": [
                {"key": t.key, "kind": t.kind, "memo": t.memo, "at": t.at, "amount": amount}
                for t, amount in lines
            ],
        }


def statement(ctx: CityLoop, actor: Actor, code: str, month: str) -> dict[str, Any]:
    """Monthly statement (月度对账单): opening balance, credits, debits, closing, every line."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as exc:
        raise InvalidCommand("month", "month_format") from exc
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    tz = ctx.settings.tz
    start, end = datetime.combine(first, time(0), tz), datetime.combine(nxt, time(0), tz)
    with ctx.uow() as uow:
        s = uow.session
        acc = _account_for(s, actor, code)
        base = (
            select(func.coalesce(func.sum(PointEntryRow.amount), 0))
            .join(PointTransactionRow, PointTransactionRow.id == PointEntryRow.transaction_id)
            .where(PointEntryRow.account_id == acc.id)
        )
        opening = int(s.execute(base.where(PointTransactionRow.at < start)).scalar_one())
        lines = s.execute(
            select(PointTransactionRow, PointEntryRow.amount)
            .join(PointEntryRow, PointEntryRow.transaction_id == PointTransactionRow.id)
            .where(
                PointEntryRow.account_id == acc.id,
                PointTransactionRow.at >= start,
                PointTransactionRow.at < end,
            )
            .order_by(PointTransactionRow.at, PointTransactionRow.id)
        ).all()
    credits = sum(a for _t, a in lines if a > 0)
    debits = -sum(a for _t, a in lines if a < 0)
    return {
        "account": code,
        "month": month,
        "opening": opening,
        "credits": credits,
        "debits": debits,
        "closing": opening + credits - debits,
        "lines": [
            {"at": t.at, "kind": t.kind, "memo": t.memo, "amount": a, "key": t.key}
            for t, a in lines
        ],
    }


def fraud_flags(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    require(actor, access.COMMUNITY_STAFF, "see fraud checks")
    stmt = (
        select(GarbageEventRow, HouseholdRow)
        .join(HouseholdRow, HouseholdRow.id == GarbageEventRow.household_id)
        .where(GarbageEventRow.flagged.is_not(None))
        .order_by(GarbageEventRow.at.desc())
    )
    prefix = access.region_prefix(actor)
    if prefix is not None:
        stmt = stmt.where(starts_with(HouseholdRow.grid_code, prefix))
    with ctx.uow() as uow:
        return [
            {**_event_view(e), "household_code": h.code}
            for e, h in uow.session.execute(stmt.limit(500)).all()
        ]


# -- volunteering (志愿服务) ------------------------------------------------------------------
def report_task(ctx: CityLoop, actor: Actor, title: str) -> dict[str, Any]:
    if actor.role is not Role.RESIDENT:
        raise PermissionDenied("tasks are reported by residents")
    rule = rules(ctx).rule("task_reported")

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            resident, _ = resident_of(s, actor)
            community = access.community_of(resident.grid_code) or resident.grid_code
            task = CommunityTaskRow(
                community_code=community,
                title=title.strip(),
                points=20,
                status="open",
                reported_by=resident.id,
                created_at=ctx.clock.now(),
            )
            s.add(task)
            s.flush()
            acc = _ensure_resident(s, resident)
            post(
                s,
                award(
                    f"task_reported:{task.id}",
                    "task_reported",
                    acc.code,
                    rule.points,
                    f"{rule.label}：{task.title}",
                ),
                ctx.clock.now(),
                actor.name,
            )
            uow.commit()
            return _task_view(task)

    return _ledger_errors(run)


def _task_view(t: CommunityTaskRow) -> dict[str, Any]:
    return {
        "id": t.id,
        "community_code": t.community_code,
        "title": t.title,
        "points": t.points,
        "status": t.status,
        "claimed": t.claimed_by is not None,
        "created_at": t.created_at,
        "done_at": t.done_at,
    }


def list_tasks(ctx: CityLoop, actor: Actor, status: str | None) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        s = uow.session
        stmt = select(CommunityTaskRow).order_by(CommunityTaskRow.id.desc())
        if actor.role is Role.RESIDENT:
            resident, _ = resident_of(s, actor)
            stmt = stmt.where(
                CommunityTaskRow.community_code == access.community_of(resident.grid_code)
            )
        else:
            prefix = access.region_prefix(actor)
            if prefix is not None:
                stmt = stmt.where(starts_with(CommunityTaskRow.community_code, prefix[:12]))
        if status:
            stmt = stmt.where(CommunityTaskRow.status == status)
        return [_task_view(t) for t in s.execute(stmt.limit(200)).scalars()]


def claim_task(ctx: CityLoop, actor: Actor, task_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        resident, _ = resident_of(s, actor)
        task = s.get(CommunityTaskRow, task_id)
        if task is None or not resident.grid_code.startswith(task.community_code):
            raise NotFound(f"task {task_id}")
        if task.status != "open":
            raise InvalidCommand("task", "task_claimed")
        task.status, task.claimed_by = "claimed", resident.id
        uow.commit()
        return _task_view(task)


def complete_task(ctx: CityLoop, actor: Actor, task_id: int, points: int | None) -> dict[str, Any]:
    """Staff confirm a claimed task is done; the volunteer earns the task's points."""
    require(actor, access.COMMUNITY_STAFF, "confirm tasks")
    rule = rules(ctx).rule("task_done")

    def run() -> dict[str, Any]:
        with ctx.uow() as uow:
            s = uow.session
            task = s.get(CommunityTaskRow, task_id)
            if task is None or not (
                access.in_region(actor, task.community_code)
                or (actor.region_code or "\x00").startswith(task.community_code)
            ):
                raise NotFound(f"task {task_id}")
            if task.status != "claimed" or task.claimed_by is None:
                raise InvalidCommand("task", "task_not_claimed")
            if points is not None:
                task.points = points
            volunteer = s.get(ResidentRow, task.claimed_by)
            assert volunteer is not None
            acc = _ensure_resident(s, volunteer)
            post(
                s,
                award(
                    f"task_done:{task.id}",
                    "task_done",
                    acc.code,
                    task.points,
                    f"{rule.label}：{task.title}",
                ),
                ctx.clock.now(),
                actor.name,
            )
            task.status, task.done_at = "done", ctx.clock.now()
            uow.commit()
            return _task_view(task)

    return _ledger_errors(run)


def ranking(
    ctx: CityLoop, actor: Actor, region: str | None, party_only: bool, limit: int = 20
) -> list[dict[str, Any]]:
    """Volunteer points per resident inside a community or street (志愿积分排行)."""
    kinds = [*VOLUNTEER_KINDS, *(f"reversal:{k}" for k in VOLUNTEER_KINDS)]
    stmt = (
        select(ResidentRow, func.sum(PointEntryRow.amount).label("points"))
        .join(PointAccountRow, PointAccountRow.resident_id == ResidentRow.id)
        .join(PointEntryRow, PointEntryRow.account_id == PointAccountRow.id)
        .join(PointTransactionRow, PointTransactionRow.id == PointEntryRow.transaction_id)
        .where(PointTransactionRow.kind.in_(kinds))
        .group_by(ResidentRow.id)
        .order_by(func.sum(PointEntryRow.amount).desc(), ResidentRow.id)
        .limit(limit)
    )
    if actor.role is Role.RESIDENT:
        with ctx.uow() as uow:
            own, _ = resident_of(uow.session, actor)
        region = region or access.community_of(own.grid_code)
    else:
        prefix = access.region_prefix(actor)
        if prefix is not None:
            stmt = stmt.where(starts_with(ResidentRow.grid_code, prefix))
    if region:
        stmt = stmt.where(starts_with(ResidentRow.grid_code, region))
    if party_only:
        stmt = stmt.where(ResidentRow.party_member.is_(True))
    with ctx.uow() as uow:
        s = uow.session
        rows = s.execute(stmt).all()
        names = dict(
            s.execute(
                select(RegionRow.code, RegionRow.name).where(RegionRow.level == "community")
            ).all()
        )
    return [
        {
            "rank": i,
            "resident_id": r.id,
            "name": mask_name(r.name),
            "party_member": r.party_member,
            "community_code": access.community_of(r.grid_code),
            "community_name": names.get(access.community_of(r.grid_code) or ""),
            "points": int(points),
        }
        for i, (r, points) in enumerate(rows, start=1)
    ]


__all__ = ["ISSUANCE", "REDEMPTION"]
