"""Property tests of the pure points ledger: no member balance is ever negative, every
transaction balances, replaying the journal (with duplicates) gives the same balances."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityloop.community.points.ledger import (
    ISSUANCE,
    REDEMPTION,
    SYSTEM_ACCOUNTS,
    InsufficientBalance,
    KeyReused,
    Ledger,
    LedgerError,
    Posting,
    Transaction,
    Unbalanced,
    award,
    plan,
    replay,
    spend,
    transfer,
)

MEMBERS = ["resident:1", "resident:2", "household:A", "household:B"]
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

op = st.one_of(
    st.tuples(st.just("award"), st.sampled_from(MEMBERS), st.integers(1, 500)),
    st.tuples(st.just("spend"), st.sampled_from(MEMBERS), st.integers(1, 800)),
    st.tuples(
        st.just("transfer"), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.integers(1, 300)
    ),
    st.tuples(st.just("reverse"), st.integers(0, 60)),
    st.tuples(st.just("replay"), st.integers(0, 60)),
)


def _apply(ledger: Ledger, ops: list[tuple]) -> None:
    for n, o in enumerate(ops):
        try:
            if o[0] == "award":
                ledger.post(award(f"e{n}", "award", o[1], o[2]))
            elif o[0] == "spend":
                ledger.post(spend(f"e{n}", "redeem", o[1], o[2]))
            elif o[0] == "transfer":
                if o[1] != o[2]:
                    ledger.post(transfer(f"e{n}", "transfer", o[1], o[2], o[3]))
            elif o[0] == "reverse" and ledger.journal:
                target = ledger.journal[o[1] % len(ledger.journal)]
                if target.reverses is None:
                    ledger.reverse(target.key, f"r:{target.key}", "测试冲正")
            elif o[0] == "replay" and ledger.journal:
                before = dict(ledger.balances)
                assert ledger.post(ledger.journal[o[1] % len(ledger.journal)]) is False
                assert ledger.balances == before
        except (InsufficientBalance, LedgerError):
            pass  # refused as a whole: checked by the invariants below


@PROPS
@given(st.lists(op, max_size=60))
def test_invariants_hold_after_any_sequence(ops: list[tuple]) -> None:
    ledger = Ledger()
    for m in MEMBERS:
        ledger.open(m)
    _apply(ledger, ops)
    for account, balance in ledger.balances.items():
        if account not in SYSTEM_ACCOUNTS:
            assert balance >= 0, account
    for txn in ledger.journal:
        assert sum(p.amount for p in txn.postings) == 0
    assert sum(ledger.balances.values()) == 0  # double entry: the books always balance
    # Issued minus redeemed is what members hold.
    held = sum(v for a, v in ledger.balances.items() if a not in SYSTEM_ACCOUNTS)
    assert held == -ledger.balance(ISSUANCE) - ledger.balance(REDEMPTION)


@PROPS
@given(st.lists(op, max_size=60), st.randoms(use_true_random=False))
def test_replay_is_idempotent(ops: list[tuple], rnd) -> None:
    ledger = Ledger()
    for m in MEMBERS:
        ledger.open(m)
    _apply(ledger, ops)
    again = replay(ledger.journal, MEMBERS)
    assert again.balances == ledger.balances
    # Replaying the journal with every transaction delivered twice changes nothing.
    doubled = [t for t in ledger.journal for _ in (0, 1)]
    assert replay(doubled, MEMBERS).balances == ledger.balances


@PROPS
@given(st.lists(st.integers(-1000, 1000).filter(bool), min_size=1, max_size=5))
def test_unbalanced_transactions_are_refused(amounts: list[int]) -> None:
    postings = tuple(Posting(MEMBERS[i % 4], a) for i, a in enumerate(amounts))
    balances = dict.fromkeys([*MEMBERS, *SYSTEM_ACCOUNTS], 10_000)
    txn = Transaction("k", "x", postings)
    if sum(amounts) != 0 or len(amounts) < 2:
        with pytest.raises(Unbalanced):
            plan(balances, txn)


def test_key_reused_for_another_transaction_is_refused() -> None:
    ledger = Ledger()
    ledger.open("resident:1")
    assert ledger.post(award("k1", "award", "resident:1", 5)) is True
    assert ledger.post(award("k1", "award", "resident:1", 5)) is False
    with pytest.raises(KeyReused):
        ledger.post(award("k1", "award", "resident:1", 6))


def test_reversal_cannot_overdraw_and_happens_once() -> None:
    ledger = Ledger()
    ledger.open("resident:1")
    ledger.post(award("a", "award", "resident:1", 100))
    ledger.post(spend("s", "redeem", "resident:1", 80))
    with pytest.raises(InsufficientBalance):
        ledger.reverse("a", "r:a", "错发")  # 80 already spent
    ledger.reverse("s", "r:s", "退货")
    assert ledger.balance("resident:1") == 100
    with pytest.raises(LedgerError):
        ledger.reverse("s", "r2:s", "again")
