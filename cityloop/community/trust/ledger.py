"""The open ledger of a compound's trust account (信托制物业的共有资金账) — pure.

Under trust-based property management (信托制物业, as in Chengdu Wuhou) the fees and public
income belong to the owners: they go into a trust account, the property company is paid an
agreed remuneration (酬金) out of it, and every movement is open to the owners.

The ledger is double-entry: every entry's debits equal its credits, amounts are whole fen
(分), and a posted entry is never changed — a mistake is corrected by a reversing entry that
points at it. Account codes follow the layout of China's accounting standards (1xxx assets,
2xxx liabilities, 3xxx owners' funds, 6xxx income and expense); a city can extend the chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cityloop.domain.error_words import render


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    FUND = "fund"  # owners' common funds (net assets)
    INCOME = "income"
    EXPENSE = "expense"


# Accounts whose balance grows with debits; the others grow with credits.
DEBIT_NORMAL = frozenset({AccountKind.ASSET, AccountKind.EXPENSE})


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    kind: AccountKind
    public_income: bool = False  # 公共收益: income from the owners' common parts


CHART: dict[str, Account] = {
    a.code: a
    for a in (
        Account("1001", "信托资金专户存款", AccountKind.ASSET),
        Account("1122", "应收物业费", AccountKind.ASSET),
        Account("2202", "应付账款", AccountKind.LIABILITY),
        Account("2241", "应付物业服务企业款项", AccountKind.LIABILITY),
        Account("3001", "业主共有资金", AccountKind.FUND),
        Account("6001", "物业费收入", AccountKind.INCOME),
        Account("6002", "停车费收入", AccountKind.INCOME, public_income=True),
        Account("6003", "广告收入", AccountKind.INCOME, public_income=True),
        Account("6004", "其他公共收益", AccountKind.INCOME, public_income=True),
        Account("6601", "人员费用", AccountKind.EXPENSE),
        Account("6602", "清洁卫生", AccountKind.EXPENSE),
        Account("6603", "绿化养护", AccountKind.EXPENSE),
        Account("6604", "秩序维护", AccountKind.EXPENSE),
        Account("6605", "共用设施设备维修", AccountKind.EXPENSE),
        Account("6606", "公共水电能耗", AccountKind.EXPENSE),
        Account("6607", "物业服务酬金", AccountKind.EXPENSE),
        Account("6608", "其他支出", AccountKind.EXPENSE),
    )
}

TRUST_CASH = "1001"  # the trust account itself: its balance is the running balance shown
PROPERTY_SHARE = "2241"  # where a property company's agreed share of public income goes


class LedgerError(ValueError):
    """An entry that breaks a ledger rule; `field` names the part of the entry, `code` and
    `params` are stable for the console (cityloop/domain/error_words.py); `message` is the
    Chinese wording."""

    def __init__(self, code: str, field: str, **params: Any) -> None:
        self.code = code
        self.field = field
        self.params = params
        super().__init__(f"{field}: {self.message}")

    @property
    def message(self) -> str:
        return render(self.code, self.params, "zh")


@dataclass(frozen=True)
class Line:
    account: str
    debit: int = 0  # fen
    credit: int = 0


def validate(lines: list[Line], chart: Mapping[str, Account] = CHART) -> None:
    """Raise LedgerError unless the lines make one balanced entry of known accounts."""
    if len(lines) < 2:
        raise LedgerError("entry_too_short", "lines")
    for i, line in enumerate(lines, start=1):
        where = f"lines[{i}]"
        if line.account not in chart:
            raise LedgerError("unknown_account", f"{where}.account", account=line.account)
        if line.debit < 0 or line.credit < 0:
            raise LedgerError("negative_amount", where)
        if (line.debit > 0) == (line.credit > 0):
            raise LedgerError("one_side", where)
    debit = sum(x.debit for x in lines)
    credit = sum(x.credit for x in lines)
    if debit != credit:
        raise LedgerError("unbalanced", "lines", debit=yuan(debit), credit=yuan(credit))


def reversal(lines: Iterable[Line]) -> list[Line]:
    """The lines of the entry that cancels `lines` (红字冲销 as a mirrored entry)."""
    return [Line(x.account, debit=x.credit, credit=x.debit) for x in lines]


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def balance(lines: Iterable[Line], chart: Mapping[str, Account] = CHART) -> dict[str, int]:
    """Each account's balance on its normal side (a positive asset is money held)."""
    out: dict[str, int] = {}
    for line in lines:
        kind = chart[line.account].kind
        signed = line.debit - line.credit
        out[line.account] = out.get(line.account, 0) + (signed if kind in DEBIT_NORMAL else -signed)
    return out


@dataclass(frozen=True)
class Statement:
    """A month's statement for the owners (月度收支公示)."""

    period: str  # YYYY-MM
    opening_balance: int  # trust account, fen
    income: dict[str, int] = field(default_factory=dict)  # account → fen
    expense: dict[str, int] = field(default_factory=dict)
    closing_balance: int = 0

    @property
    def total_income(self) -> int:
        return sum(self.income.values())

    @property
    def total_expense(self) -> int:
        return sum(self.expense.values())


def statement(
    period: str,
    before: Iterable[Line],
    during: Iterable[Line],
    chart: Mapping[str, Account] = CHART,
) -> Statement:
    """The statement of `period` from the lines posted before it and within it."""
    opening = balance(before, chart).get(TRUST_CASH, 0)
    moves = balance(during, chart)
    income = {a: v for a, v in sorted(moves.items()) if chart[a].kind is AccountKind.INCOME and v}
    expense = {a: v for a, v in sorted(moves.items()) if chart[a].kind is AccountKind.EXPENSE and v}
    return Statement(period, opening, income, expense, opening + moves.get(TRUST_CASH, 0))
