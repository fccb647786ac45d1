"""Trust property rules: Civil Code art. 278 tallies at each boundary, the double-entry ledger
and the flags residents watch (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityloop.community.trust.flags import budget_flags, entry_flags, normalise_name
from cityloop.community.trust.ledger import (
    LedgerError,
    Line,
    balance,
    reversal,
    statement,
    validate,
)
from cityloop.community.trust.voting import (
    DEVELOPER,
    Choice,
    House,
    Matter,
    area_to_centi,
    owner_key,
    tally,
)

A, N, X = Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN  # agree, no, abstain


def equal_houses(n: int, area: int = 10_000) -> list[House]:
    return [House(i, area, f"o{i}") for i in range(n)]


def ballots(choices: list[Choice]) -> dict[str, Choice]:
    return {f"o{i}": c for i, c in enumerate(choices)}


# -- participation: at least 2/3 of area and of owners (以上 includes the figure) ----------
def test_exactly_two_thirds_taking_part_is_a_quorum() -> None:
    result = tally(equal_houses(9), ballots([A] * 6), Matter.PROPERTY_SERVICE)
    assert result.quorum_met and result.passed
    assert (result.participating_owners, result.total_owners) == (6, 9)


def test_one_owner_short_of_two_thirds_decides_nothing() -> None:
    result = tally(equal_houses(9), ballots([A] * 5), Matter.PROPERTY_SERVICE)
    assert not result.quorum_met and not result.passed


def test_owners_enough_but_area_short_of_two_thirds() -> None:
    # Six of nine owners take part but hold only the six small flats.
    houses = [House(i, 5_000, f"o{i}") for i in range(6)] + [
        House(i, 40_000, f"o{i}") for i in range(6, 9)
    ]
    result = tally(houses, ballots([A] * 6), Matter.PROPERTY_SERVICE)
    assert not result.quorum_met


def test_area_boundary_counted_in_hundredths() -> None:
    # Total 300.00 m² and three owners; two take part. 200.00 m² is exactly 2/3, 199.99 is not.
    exact = [House(1, 19_999, "a"), House(2, 10_000, "b"), House(3, 1, "c")]
    short = [House(1, 19_998, "a"), House(2, 10_001, "b"), House(3, 1, "c")]
    votes = {"a": A, "c": A}
    assert tally(exact, votes, Matter.OTHER_MAJOR).participating_area_centi == 20_000
    assert tally(exact, votes, Matter.OTHER_MAJOR).quorum_met
    assert not tally(short, votes, Matter.OTHER_MAJOR).quorum_met


# -- ordinary matters: more than half (过半数 excludes the figure) ----------------------------
def test_exactly_half_agreeing_does_not_pass() -> None:
    result = tally(equal_houses(6), ballots([A, A, A, N, N, N]), Matter.COMMITTEE)
    assert result.quorum_met and not result.passed


def test_one_more_than_half_passes() -> None:
    result = tally(equal_houses(7), ballots([A, A, A, A, N, N, N]), Matter.COMMITTEE)
    assert result.passed and result.rule == "majority"


def test_abstentions_take_part_but_do_not_agree() -> None:
    result = tally(equal_houses(6), ballots([A, A, A, X, X, N]), Matter.MANAGEMENT_STATUTE)
    assert result.participating_owners == 6 and result.abstain_owners == 2
    assert not result.passed


def test_majority_of_owners_but_not_of_area_fails() -> None:
    houses = [House(i, 5_000, f"o{i}") for i in range(4)] + [
        House(i, 30_000, f"o{i}") for i in range(4, 6)
    ]
    result = tally(houses, ballots([A, A, A, A, N, N]), Matter.PROPERTY_SERVICE)
    assert result.quorum_met and not result.passed  # 4/6 owners but 200 of 800 m²


def test_using_the_maintenance_fund_is_an_ordinary_matter() -> None:
    # Art. 278 item 5 (使用维修资金) needs more than half; raising it (item 6) needs 3/4.
    votes = ballots([A, A, A, A, N, N])
    assert tally(equal_houses(6), votes, Matter.USE_MAINTENANCE_FUND).passed
    assert not tally(equal_houses(6), votes, Matter.RAISE_MAINTENANCE_FUND).passed


# -- items 6–8: three quarters of the participating area and owners ------------------------
@pytest.mark.parametrize(
    "matter", [Matter.RAISE_MAINTENANCE_FUND, Matter.REBUILD, Matter.COMMON_PARTS_USE]
)
def test_exactly_three_quarters_passes_a_qualified_matter(matter: Matter) -> None:
    result = tally(equal_houses(8), ballots([A] * 6 + [N, N]), matter)
    assert result.passed and result.rule == "three_quarters"


@pytest.mark.parametrize(
    "matter", [Matter.RAISE_MAINTENANCE_FUND, Matter.REBUILD, Matter.COMMON_PARTS_USE]
)
def test_short_of_three_quarters_fails_a_qualified_matter(matter: Matter) -> None:
    assert not tally(equal_houses(8), ballots([A] * 5 + [N, N, N]), matter).passed


def test_three_quarters_of_owners_but_not_of_area() -> None:
    houses = [House(i, 10_000, f"o{i}") for i in range(6)] + [
        House(6, 30_000, "o6"),
        House(7, 30_000, "o7"),
    ]
    result = tally(houses, ballots([A] * 6 + [N, N]), Matter.REBUILD)
    assert result.quorum_met and not result.passed  # 600 of 1200 m² agree


# -- who counts as an owner ---------------------------------------------------------------
def test_several_houses_of_one_buyer_count_as_one_owner_with_their_area() -> None:
    houses = [House(1, 10_000, "zhang"), House(2, 10_000, "zhang"), House(3, 10_000, "li")]
    result = tally(houses, {"zhang": A}, Matter.OTHER_MAJOR)
    assert result.total_owners == 2 and result.participating_owners == 1
    assert result.participating_area_centi == 20_000


def test_unsold_houses_of_the_developer_count_as_one_owner() -> None:
    houses = [House(i, 10_000, DEVELOPER) for i in range(5)] + equal_houses(2)
    assert tally(houses, {}, Matter.OTHER_MAJOR).total_owners == 3


def test_co_owners_make_one_key_whatever_their_order() -> None:
    assert owner_key([7, 3]) == owner_key(["3", "7"]) == "3+7"
    assert owner_key([], developer=True) == DEVELOPER
    with pytest.raises(ValueError):
        owner_key([])


def test_area_rounds_half_up_to_hundredths() -> None:
    assert area_to_centi("89.375") == 8938
    assert area_to_centi(89.37) == 8937
    with pytest.raises(ValueError):
        area_to_centi(0)


def test_ballots_of_non_owners_are_not_counted() -> None:
    result = tally(equal_houses(3), {"o0": A, "o1": A, "tenant": A}, Matter.OTHER_MAJOR)
    assert result.participating_owners == 2


@given(st.lists(st.sampled_from([A, N, X, None]), min_size=1, max_size=30))
def test_a_vote_never_passes_without_quorum_or_with_a_minority(
    choices: list[Choice | None],
) -> None:
    houses = equal_houses(len(choices))
    votes = {f"o{i}": c for i, c in enumerate(choices) if c is not None}
    for matter in Matter:
        result = tally(houses, votes, matter)
        if result.passed:
            assert result.quorum_met
            assert result.agree_owners * 2 > result.participating_owners


# -- the ledger ---------------------------------------------------------------------------
def test_an_unbalanced_entry_is_refused_with_the_amounts() -> None:
    with pytest.raises(LedgerError) as err:
        validate([Line("1001", debit=10_000), Line("6001", credit=9_999)])
    assert err.value.code == "unbalanced" and "100.00" in err.value.message


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([Line("1001", debit=100)], "entry_too_short", "lines"),
        (
            [Line("9999", debit=100), Line("6001", credit=100)],
            "unknown_account",
            "lines[1].account",
        ),
        ([Line("1001", debit=100, credit=100), Line("6001", credit=0)], "one_side", "lines[1]"),
        ([Line("1001", debit=-5), Line("6001", credit=-5)], "negative_amount", "lines[1]"),
    ],
)
def test_malformed_entries_name_the_line(lines: list[Line], code: str, field: str) -> None:
    with pytest.raises(LedgerError) as err:
        validate(lines)
    assert (err.value.code, err.value.field) == (code, field)


def test_a_reversal_cancels_the_entry() -> None:
    entry = [Line("6605", debit=50_000), Line("1001", credit=50_000)]
    validate(reversal(entry))
    assert all(v == 0 for v in balance(entry + reversal(entry)).values())


def test_monthly_statement_and_running_balance() -> None:
    before = [Line("1001", debit=1_000_000), Line("6001", credit=1_000_000)]
    during = [
        Line("1001", debit=200_000),
        Line("6003", credit=200_000),
        Line("6602", debit=150_000),
        Line("1001", credit=150_000),
    ]
    result = statement("2026-11", before, during)
    assert result.opening_balance == 1_000_000
    assert result.income == {"6003": 200_000} and result.expense == {"6602": 150_000}
    assert result.closing_balance == 1_050_000


# -- flags --------------------------------------------------------------------------------
EXPENSE = [Line("6605", debit=80_000), Line("1001", credit=80_000)]


def test_an_expense_without_voucher_is_flagged() -> None:
    flags = entry_flags(
        EXPENSE, vouchers=0, payee="某维修公司", related_parties=[], owners_public_share=1.0
    )
    assert [f.code for f in flags] == ["no_voucher"]
    assert not entry_flags(
        EXPENSE, vouchers=1, payee="某维修公司", related_parties=[], owners_public_share=1.0
    )


def test_a_related_payee_is_flagged_whatever_the_bracket_width() -> None:
    flags = entry_flags(
        EXPENSE,
        vouchers=1,
        payee="蓉城物业（集团）有限公司",
        related_parties=["蓉城物业(集团)有限公司"],
        owners_public_share=1.0,
    )
    assert [f.code for f in flags] == ["related_party"]
    assert normalise_name(" Ａ公司 ") == "a公司"


def test_public_income_short_of_the_owners_share_is_flagged() -> None:
    kept_too_much = [
        Line("1001", debit=100_000),
        Line("6003", credit=60_000),
        Line("2241", credit=40_000),
    ]
    fair = [Line("1001", debit=100_000), Line("6003", credit=70_000), Line("2241", credit=30_000)]
    flags = entry_flags(
        kept_too_much, vouchers=1, payee=None, related_parties=[], owners_public_share=0.7
    )
    assert [f.code for f in flags] == ["public_income_short"]
    assert not entry_flags(
        fair, vouchers=1, payee=None, related_parties=[], owners_public_share=0.7
    )


def test_over_budget_only_when_spending_exceeds_the_budget() -> None:
    flags = budget_flags({"6602": 100_001, "6603": 50_000}, {"6602": 100_000, "6603": 50_000})
    assert [(f.code, f.account) for f in flags] == [("over_budget", "6602")]
