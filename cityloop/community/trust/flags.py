"""What owners watch in their trust ledger (居民关注的风险提示) — pure rules.

* an expense without a voucher (支出无凭证);
* a payee that is a related party of the property company (关联方交易);
* an expense category over its yearly budget (超预算);
* public income of which the owners got less than their agreed share (公共收益未足额入账):
  income from the common parts belongs to the owners; the property company keeps at most the
  share the owners' assembly agreed to.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cityloop.community.trust.ledger import (
    CHART,
    PROPERTY_SHARE,
    Account,
    AccountKind,
    Line,
    yuan,
)


@dataclass(frozen=True)
class Flag:
    code: str  # no_voucher | related_party | over_budget | public_income_short
    message: str
    account: str | None = None


FLAG_LABELS = {
    "no_voucher": "支出无凭证",
    "related_party": "关联方交易",
    "over_budget": "超预算",
    "public_income_short": "公共收益未足额入账",
}


def normalise_name(name: str) -> str:
    """Company names compare without width, case or spaces (（） vs (), 有限公司 kept)."""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def entry_flags(
    lines: list[Line],
    *,
    vouchers: int,
    payee: str | None,
    related_parties: Iterable[str],
    owners_public_share: float,
    chart: Mapping[str, Account] = CHART,
) -> list[Flag]:
    """Flags of one entry on its own (budgets need the year's totals: `budget_flags`)."""
    flags: list[Flag] = []
    expense = sum(x.debit - x.credit for x in lines if chart[x.account].kind is AccountKind.EXPENSE)
    if expense > 0 and vouchers == 0:
        flags.append(Flag("no_voucher", f"支出 {yuan(expense)} 元未附凭证"))
    related = {normalise_name(p) for p in related_parties if p.strip()}
    if payee and normalise_name(payee) in related:
        flags.append(Flag("related_party", f"收款方 {payee} 是物业服务企业的关联方"))
    public = sum(x.credit - x.debit for x in lines if chart[x.account].public_income)
    kept = sum(x.credit - x.debit for x in lines if x.account == PROPERTY_SHARE)
    gross = public + max(kept, 0)
    if gross > 0 and public * 1_000_000 < round(owners_public_share * 1_000_000) * gross:
        flags.append(
            Flag(
                "public_income_short",
                f"公共收益 {yuan(gross)} 元中业主仅得 {yuan(public)} 元，"
                f"低于约定的 {owners_public_share:.0%}",
            )
        )
    return flags


def budget_flags(
    spent: Mapping[str, int], budget: Mapping[str, int], chart: Mapping[str, Account] = CHART
) -> list[Flag]:
    """Expense accounts whose spending this year exceeds the year's budget."""
    out = []
    for account, amount in sorted(spent.items()):
        limit = budget.get(account)
        if limit is not None and amount > limit:
            name = chart[account].name if account in chart else account
            out.append(
                Flag(
                    "over_budget",
                    f"{name} 已支出 {yuan(amount)} 元，超出年度预算 {yuan(limit)} 元",
                    account,
                )
            )
    return out
