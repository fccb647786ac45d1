"""The points ledger (积分账本) core: double-entry, pure, no I/O.

Every transaction is a set of postings that sum to zero; points are created by debiting the
issuance account (a system account, the only kind allowed below zero) and spent by crediting the
redemption account. A transaction's key is the id of the event it records, so posting the same
event twice changes nothing (idempotent replay), and posting a *different* transaction under a
key already used is refused. A posting that would take a member's balance below zero is refused
as a whole.

`plan` is the one rule both the in-memory `Ledger` (property-tested) and the store adapter use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cityloop.domain.error_words import render

ISSUANCE = "system:issuance"
REDEMPTION = "system:redemption"
SYSTEM_ACCOUNTS = (ISSUANCE, REDEMPTION)


class LedgerError(Exception):
    """A transaction the ledger refuses; nothing was posted. `code` and `params` are those of
    the refused command it becomes (cityloop/domain/error_words.py)."""

    def __init__(self, field: str, code: str, **params: Any) -> None:
        self.field = field
        self.code = code
        self.params = params
        super().__init__(f"{field}: {self.message}")

    @property
    def message(self) -> str:
        return render(self.code, self.params, "en")


class Unbalanced(LedgerError):
    pass


class InsufficientBalance(LedgerError):
    pass


class KeyReused(LedgerError):
    pass


@dataclass(frozen=True)
class Posting:
    account: str
    amount: int  # positive: credit to the account (its balance grows); negative: debit


@dataclass(frozen=True)
class Transaction:
    key: str
    kind: str
    postings: tuple[Posting, ...]
    memo: str = ""
    reverses: str | None = None

    def same_as(self, other: Transaction) -> bool:
        return (
            self.kind == other.kind
            and _net(self.postings) == _net(other.postings)
            and self.reverses == other.reverses
        )


def _net(postings: Iterable[Posting]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in postings:
        out[p.account] = out.get(p.account, 0) + p.amount
    return {a: v for a, v in out.items() if v}


def transfer(
    key: str, kind: str, source: str, target: str, amount: int, memo: str = ""
) -> Transaction:
    """`amount` points from `source` to `target`."""
    return Transaction(key, kind, (Posting(source, -amount), Posting(target, amount)), memo)


def award(key: str, kind: str, account: str, points: int, memo: str = "") -> Transaction:
    return transfer(key, kind, ISSUANCE, account, points, memo)


def spend(key: str, kind: str, account: str, points: int, memo: str = "") -> Transaction:
    return transfer(key, kind, account, REDEMPTION, points, memo)


def reversal(original: Transaction, key: str, reason: str) -> Transaction:
    """The transaction that undoes `original` (冲正), with the reason as its memo."""
    if original.reverses is not None:
        raise LedgerError("key", "reversal_not_reversible")
    postings = tuple(Posting(p.account, -p.amount) for p in original.postings)
    kind = f"reversal:{original.kind}"[:24]
    return Transaction(key, kind, postings, reason, reverses=original.key)


def validate(txn: Transaction) -> None:
    if not txn.key or len(txn.key) > 120:
        raise LedgerError("key", "text_length", min=1, max=120)
    if len(txn.postings) < 2:
        raise Unbalanced("postings", "entry_too_short")
    for p in txn.postings:
        if p.amount == 0:
            raise Unbalanced("postings", "posting_zero")
        if not isinstance(p.amount, int) or isinstance(p.amount, bool):
            raise Unbalanced("postings", "int_type")
    if sum(p.amount for p in txn.postings) != 0:
        raise Unbalanced("postings", "postings_unbalanced")


def plan(
    balances: Mapping[str, int], txn: Transaction, allow_negative: Iterable[str] = SYSTEM_ACCOUNTS
) -> dict[str, int]:
    """The new balances of the accounts `txn` touches, or a LedgerError (nothing changes)."""
    validate(txn)
    free = set(allow_negative)
    after: dict[str, int] = {}
    for account, delta in _net(txn.postings).items():
        if account not in balances:
            raise LedgerError("account", "unknown_points_account", account=account)
        new = balances[account] + delta
        if new < 0 and account not in free:
            raise InsufficientBalance(
                "points",
                "insufficient_points",
                account=account,
                balance=balances[account],
                needed=-delta,
            )
        after[account] = new
    return after


@dataclass
class Ledger:
    """An in-memory ledger: accounts, balances and the transaction journal."""

    balances: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SYSTEM_ACCOUNTS, 0))
    journal: list[Transaction] = field(default_factory=list)
    _by_key: dict[str, Transaction] = field(default_factory=dict)
    _reversed: set[str] = field(default_factory=set)

    def open(self, account: str) -> None:
        self.balances.setdefault(account, 0)

    def post(self, txn: Transaction) -> bool:
        """Post `txn`; False when the same transaction was already posted (a replay)."""
        seen = self._by_key.get(txn.key)
        if seen is not None:
            if seen.same_as(txn):
                return False
            raise KeyReused("key", "ledger_key_reused", key=txn.key)
        if txn.reverses is not None:
            if txn.reverses not in self._by_key:
                raise LedgerError("reverses", "unknown_transaction", key=txn.reverses)
            if txn.reverses in self._reversed:
                raise LedgerError("reverses", "already_reversed", key=txn.reverses)
        after = plan(self.balances, txn)
        self.balances.update(after)
        self.journal.append(txn)
        self._by_key[txn.key] = txn
        if txn.reverses is not None:
            self._reversed.add(txn.reverses)
        return True

    def reverse(self, key: str, new_key: str, reason: str) -> Transaction:
        original = self._by_key.get(key)
        if original is None:
            raise LedgerError("key", "unknown_transaction", key=key)
        txn = reversal(original, new_key, reason)
        self.post(txn)
        return txn

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    def get(self, key: str) -> Transaction | None:
        return self._by_key.get(key)


def replay(journal: Iterable[Transaction], accounts: Iterable[str] = ()) -> Ledger:
    ledger = Ledger()
    for a in accounts:
        ledger.open(a)
    for txn in journal:
        for p in txn.postings:
            ledger.open(p.account)
        ledger.post(txn)
    return ledger
