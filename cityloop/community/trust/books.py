"""Use cases of the trust books: set a compound up, post, reverse and review entries, and
publish monthly statements with the running balance and the flags owners watch.

Posted entries are append-only; every posting, reversal, review and setting change is an
audit record (so it is in the tamper-evident trail).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.community.common import audit
from cityloop.community.store import BuildingRow, EstateRow, HouseRow
from cityloop.community.trust import access
from cityloop.community.trust.flags import FLAG_LABELS, Flag, budget_flags, entry_flags
from cityloop.community.trust.ledger import (
    CHART,
    AccountKind,
    LedgerError,
    Line,
    reversal,
    statement,
    validate,
    yuan,
)
from cityloop.community.trust.store import (
    TrustBudgetRow,
    TrustCompoundRow,
    TrustEntryRow,
    TrustLineRow,
    TrustMemberRow,
    TrustOwnerRow,
    TrustRelatedPartyRow,
)
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _invalid(err: LedgerError) -> InvalidCommand:
    return InvalidCommand(err.field, err.code, err.params)


def _mask_account(number: str) -> str:
    return f"****{number[-4:]}" if len(number) > 4 else number


def _my_houses(s: Session, actor: Actor, c: TrustCompoundRow) -> list[dict[str, Any]]:
    """The houses the actor owns in the compound (what they may vote for in person)."""
    resident_id = access.resident_id_of(s, actor)
    if resident_id is None:
        return []
    rows = s.execute(
        select(HouseRow.id, BuildingRow.name, HouseRow.room, HouseRow.area)
        .join(TrustOwnerRow, TrustOwnerRow.house_id == HouseRow.id)
        .join(BuildingRow, BuildingRow.id == HouseRow.building_id)
        .where(TrustOwnerRow.compound_id == c.id, TrustOwnerRow.resident_id == resident_id)
        .order_by(HouseRow.id)
    ).all()
    return [{"house_id": h, "label": f"{b}{r}", "area": a} for h, b, r, a in rows]


def compound_view(s: Session, actor: Actor, c: TrustCompoundRow) -> dict[str, Any]:
    estate = s.get(EstateRow, c.estate_id)
    return {
        "id": c.id,
        "estate_id": c.estate_id,
        "estate_name": estate.name if estate else None,
        "grid_code": c.grid_code,
        "property_company": c.property_company,
        "bank_account": _mask_account(c.bank_account),
        "owners_public_share": c.owners_public_share,
        "my_capacity": access.capacity_of(s, actor, c.id),
        "my_houses": _my_houses(s, actor, c),
    }


def create_compound(
    ctx: CityLoop,
    actor: Actor,
    estate_id: int,
    property_company: str,
    bank_account: str = "",
    owners_public_share: float = 1.0,
) -> dict[str, Any]:
    if not 0.0 <= owners_public_share <= 1.0:
        raise InvalidCommand("owners_public_share", "number_range", {"min": 0, "max": 1})
    with ctx.uow() as uow:
        s = uow.session
        estate = s.get(EstateRow, estate_id)
        if estate is None:
            raise InvalidCommand("estate_id", "unknown_estate", {"id": estate_id})
        access.require_setup(actor, estate.grid_code)
        row = TrustCompoundRow(
            estate_id=estate_id,
            grid_code=estate.grid_code,
            property_company=property_company.strip(),
            bank_account=bank_account.strip(),
            owners_public_share=owners_public_share,
            next_entry_no=1,
            created_at=ctx.clock.now(),
        )
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            raise InvalidCommand("estate_id", "compound_exists") from None
        audit(s, actor, "trust_compound_create", f"trust:{row.id}", {"estate_id": estate_id})
        uow.commit()
        return compound_view(s, actor, row)


def list_compounds(ctx: CityLoop, actor: Actor) -> list[dict[str, Any]]:
    with ctx.uow() as uow:
        s = uow.session
        rows = s.execute(select(TrustCompoundRow).order_by(TrustCompoundRow.id)).scalars()
        return [compound_view(s, actor, c) for c in rows if access.may_read(s, actor, c)]


def add_member(
    ctx: CityLoop, actor: Actor, compound_id: int, user_id: int, capacity: str
) -> dict[str, Any]:
    if capacity not in access.CAPACITY_LABELS:
        raise InvalidCommand("capacity", "trust_capacity")
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id)
        access.require_setup(actor, compound.grid_code)
        s.add(TrustMemberRow(compound_id=compound_id, user_id=user_id, capacity=capacity))
        try:
            s.flush()
        except IntegrityError:
            raise InvalidCommand("user_id", "trust_member_exists") from None
        audit(
            s, actor, "trust_member_add", f"trust:{compound_id}", {"user": user_id, "as": capacity}
        )
        uow.commit()
    return {"compound_id": compound_id, "user_id": user_id, "capacity": capacity}


def add_related_party(ctx: CityLoop, actor: Actor, compound_id: int, name: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id)
        if access.capacity_of(s, actor, compound_id) != access.COMMITTEE:
            access.require_setup(actor, compound.grid_code)
        s.add(TrustRelatedPartyRow(compound_id=compound_id, name=name.strip()))
        audit(s, actor, "trust_related_party", f"trust:{compound_id}", {"name": name})
        uow.commit()
    return {"compound_id": compound_id, "name": name.strip()}


def set_budget(
    ctx: CityLoop, actor: Actor, compound_id: int, year: int, amounts: dict[str, int]
) -> dict[str, Any]:
    for account, amount in amounts.items():
        if account not in CHART or CHART[account].kind is not AccountKind.EXPENSE:
            raise InvalidCommand(f"amounts.{account}", "budget_expense_only")
        if amount < 0:
            raise InvalidCommand(f"amounts.{account}", "negative_amount")
    with ctx.uow() as uow:
        s = uow.session
        access.load_compound(s, actor, compound_id)
        access.require_capacity(s, actor, compound_id, access.COMMITTEE)
        for account, amount in amounts.items():
            row = s.execute(
                select(TrustBudgetRow).where(
                    TrustBudgetRow.compound_id == compound_id,
                    TrustBudgetRow.year == year,
                    TrustBudgetRow.account == account,
                )
            ).scalar()
            if row is None:
                s.add(
                    TrustBudgetRow(
                        compound_id=compound_id, year=year, account=account, amount=amount
                    )
                )
            else:
                row.amount = amount
        audit(s, actor, "trust_budget", f"trust:{compound_id}", {"year": year, **amounts})
        uow.commit()
    return {"compound_id": compound_id, "year": year, "amounts": amounts}


def _lines_of(s: Session, entry_ids: list[int]) -> dict[int, list[Line]]:
    out: dict[int, list[Line]] = {i: [] for i in entry_ids}
    if not entry_ids:
        return out
    rows = s.execute(
        select(TrustLineRow).where(TrustLineRow.entry_id.in_(entry_ids)).order_by(TrustLineRow.id)
    ).scalars()
    for r in rows:
        out[r.entry_id].append(Line(r.account, r.debit, r.credit))
    return out


def _year_spending(s: Session, compound_id: int, year: int) -> dict[str, int]:
    rows = s.execute(
        select(TrustLineRow.account, func.sum(TrustLineRow.debit - TrustLineRow.credit))
        .join(TrustEntryRow, TrustEntryRow.id == TrustLineRow.entry_id)
        .where(
            TrustEntryRow.compound_id == compound_id, TrustEntryRow.period.startswith(f"{year}-")
        )
        .group_by(TrustLineRow.account)
    ).all()
    return {a: int(v or 0) for a, v in rows if a in CHART and CHART[a].kind is AccountKind.EXPENSE}


def _budget(s: Session, compound_id: int, year: int) -> dict[str, int]:
    rows = s.execute(
        select(TrustBudgetRow.account, TrustBudgetRow.amount).where(
            TrustBudgetRow.compound_id == compound_id, TrustBudgetRow.year == year
        )
    ).all()
    return {a: int(v) for a, v in rows}


def _insert_entry(
    s: Session,
    actor: Actor,
    compound: TrustCompoundRow,
    *,
    entry_date: date,
    memo: str,
    lines: list[Line],
    payee: str | None,
    basis: str,
    vouchers: list[str],
    reverses_id: int | None,
    now: Any,
) -> TrustEntryRow:
    related = s.execute(
        select(TrustRelatedPartyRow.name).where(TrustRelatedPartyRow.compound_id == compound.id)
    ).scalars()
    flags: list[Flag] = []
    if reverses_id is None:
        flags = entry_flags(
            lines,
            vouchers=len(vouchers),
            payee=payee,
            related_parties=list(related),
            owners_public_share=compound.owners_public_share,
        )
    entry_no = compound.next_entry_no
    compound.next_entry_no = entry_no + 1  # the compound row serialises numbering
    entry = TrustEntryRow(
        compound_id=compound.id,
        entry_no=entry_no,
        entry_date=entry_date,
        period=entry_date.strftime("%Y-%m"),
        memo=memo.strip(),
        payee=(payee or "").strip() or None,
        basis=basis.strip(),
        vouchers=vouchers,
        flags=[{"code": f.code, "label": FLAG_LABELS[f.code], "message": f.message} for f in flags],
        reverses_id=reverses_id,
        posted_by=actor.user_id,
        posted_at=now,
        reviewed_by=None,
        reviewed_at=None,
        review_note="",
    )
    s.add(entry)
    s.flush()
    for line in lines:
        s.add(
            TrustLineRow(
                entry_id=entry.id, account=line.account, debit=line.debit, credit=line.credit
            )
        )
    return entry


def post_entry(
    ctx: CityLoop,
    actor: Actor,
    compound_id: int,
    *,
    entry_date: date,
    memo: str,
    lines: list[Line],
    payee: str | None = None,
    basis: str = "",
    vouchers: list[str] | None = None,
) -> dict[str, Any]:
    try:
        validate(lines)
    except LedgerError as err:
        raise _invalid(err) from None
    if entry_date > ctx.now_local().date():
        raise InvalidCommand("entry_date", "after_today")
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id, lock=True)
        access.require_capacity(s, actor, compound_id, access.PROPERTY)
        entry = _insert_entry(
            s,
            actor,
            compound,
            entry_date=entry_date,
            memo=memo,
            lines=lines,
            payee=payee,
            basis=basis,
            vouchers=list(vouchers or []),
            reverses_id=None,
            now=ctx.clock.now(),
        )
        audit(
            s,
            actor,
            "trust_entry_post",
            f"trust:{compound_id}:{entry.entry_no}",
            {"lines": [[x.account, x.debit, x.credit] for x in lines], "memo": memo[:100]},
        )
        uow.commit()
        return _entry_view(entry, lines)


def reverse_entry(
    ctx: CityLoop, actor: Actor, compound_id: int, entry_id: int, reason: str
) -> dict[str, Any]:
    if not reason.strip():
        raise InvalidCommand("reason", "reason_required")
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id, lock=True)
        access.require_capacity(s, actor, compound_id, access.PROPERTY)
        original = s.get(TrustEntryRow, entry_id)
        if original is None or original.compound_id != compound_id:
            raise NotFound(f"trust entry {entry_id}")
        if original.reverses_id is not None:
            raise InvalidCommand("entry_id", "reversal_not_reversible")
        already = s.execute(
            select(TrustEntryRow.entry_no).where(TrustEntryRow.reverses_id == entry_id)
        ).scalar()
        if already is not None:
            raise InvalidCommand("entry_id", "entry_already_reversed", {"entry_no": already})
        lines = reversal(_lines_of(s, [entry_id])[entry_id])
        entry = _insert_entry(
            s,
            actor,
            compound,
            entry_date=ctx.now_local().date(),
            memo=f"冲销第 {original.entry_no} 号凭证：{reason.strip()}"[:200],
            lines=lines,
            payee=original.payee,
            basis=original.basis,
            vouchers=[],
            reverses_id=entry_id,
            now=ctx.clock.now(),
        )
        audit(
            s,
            actor,
            "trust_entry_reverse",
            f"trust:{compound_id}:{entry.entry_no}",
            {"reverses": original.entry_no, "reason": reason[:100]},
        )
        uow.commit()
        return _entry_view(entry, lines)


def review_entry(
    ctx: CityLoop, actor: Actor, compound_id: int, entry_id: int, note: str = ""
) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        access.load_compound(s, actor, compound_id)
        access.require_capacity(s, actor, compound_id, access.COMMITTEE)
        entry = s.get(TrustEntryRow, entry_id)
        if entry is None or entry.compound_id != compound_id:
            raise NotFound(f"trust entry {entry_id}")
        if entry.reviewed_at is not None:
            raise InvalidCommand("entry_id", "entry_reviewed")
        entry.reviewed_by = actor.user_id
        entry.reviewed_at = ctx.clock.now()
        entry.review_note = note.strip()[:200]
        audit(
            s, actor, "trust_entry_review", f"trust:{compound_id}:{entry.entry_no}", {"note": note}
        )
        uow.commit()
        return _entry_view(entry, _lines_of(s, [entry.id])[entry.id])


def _entry_view(e: TrustEntryRow, lines: list[Line]) -> dict[str, Any]:
    return {
        "id": e.id,
        "entry_no": e.entry_no,
        "entry_date": e.entry_date.isoformat(),
        "period": e.period,
        "memo": e.memo,
        "payee": e.payee,
        "basis": e.basis,
        "vouchers": e.vouchers,
        "flags": e.flags,
        "reverses_id": e.reverses_id,
        "reviewed": e.reviewed_at is not None,
        "review_note": e.review_note,
        "lines": [
            {
                "account": x.account,
                "account_name": CHART[x.account].name,
                "debit": yuan(x.debit) if x.debit else "",
                "credit": yuan(x.credit) if x.credit else "",
            }
            for x in lines
        ],
    }


def _check_period(period: str) -> None:
    if not _PERIOD.match(period):
        raise InvalidCommand("period", "month_format")


def list_entries(
    ctx: CityLoop, actor: Actor, compound_id: int, period: str, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    _check_period(period)
    with ctx.uow() as uow:
        s = uow.session
        access.load_compound(s, actor, compound_id)
        where = (TrustEntryRow.compound_id == compound_id, TrustEntryRow.period == period)
        total = s.execute(select(func.count()).select_from(TrustEntryRow).where(*where)).scalar()
        rows = list(
            s.execute(
                select(TrustEntryRow)
                .where(*where)
                .order_by(TrustEntryRow.entry_no)
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).scalars()
        )
        lines = _lines_of(s, [r.id for r in rows])
        return {
            "total": int(total or 0),
            "page": page,
            "page_size": page_size,
            "items": [_entry_view(r, lines[r.id]) for r in rows],
        }


def monthly_statement(ctx: CityLoop, actor: Actor, compound_id: int, period: str) -> dict[str, Any]:
    """The month's income and expense by account, opening and closing balance of the trust
    account, and every flag of the month and of the year's budget."""
    _check_period(period)
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id)

        def lines_where(*cond: Any) -> list[Line]:
            rows = s.execute(
                select(TrustLineRow.account, TrustLineRow.debit, TrustLineRow.credit)
                .join(TrustEntryRow, TrustEntryRow.id == TrustLineRow.entry_id)
                .where(TrustEntryRow.compound_id == compound_id, *cond)
            ).all()
            return [Line(a, int(d), int(c)) for a, d, c in rows]

        result = statement(
            period,
            lines_where(TrustEntryRow.period < period),
            lines_where(TrustEntryRow.period == period),
        )
        year = int(period[:4])
        entry_flags_ = s.execute(
            select(TrustEntryRow.entry_no, TrustEntryRow.flags).where(
                TrustEntryRow.compound_id == compound_id, TrustEntryRow.period == period
            )
        ).all()
        unreviewed = s.execute(
            select(func.count())
            .select_from(TrustEntryRow)
            .where(
                TrustEntryRow.compound_id == compound_id,
                TrustEntryRow.period == period,
                TrustEntryRow.reviewed_at.is_(None),
            )
        ).scalar()
        flags = [{"entry_no": no, **f} for no, fs in entry_flags_ for f in (fs or [])]
        flags += [
            {"entry_no": None, "code": f.code, "label": FLAG_LABELS[f.code], "message": f.message}
            for f in budget_flags(
                _year_spending(s, compound_id, year), _budget(s, compound_id, year)
            )
        ]
        return {
            "compound": compound_view(s, actor, compound),
            "period": period,
            "opening_balance": yuan(result.opening_balance),
            "closing_balance": yuan(result.closing_balance),
            "total_income": yuan(result.total_income),
            "total_expense": yuan(result.total_expense),
            "income": [
                {"account": a, "name": CHART[a].name, "amount": yuan(v)}
                for a, v in result.income.items()
            ],
            "expense": [
                {"account": a, "name": CHART[a].name, "amount": yuan(v)}
                for a, v in result.expense.items()
            ],
            "unreviewed_entries": int(unreviewed or 0),
            "flags": flags,
        }
