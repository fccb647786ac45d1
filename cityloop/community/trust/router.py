"""/api/v1/community/trust: trust-based property books and owners' votes (信托制物业)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.api.edge import CityDate
from cityloop.community.trust import books, votes
from cityloop.community.trust.ledger import CHART, Line

router = APIRouter(prefix="/api/v1/community/trust", tags=["community: trust property"])

Yuan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Id = Annotated[int, Field(ge=1, le=2**53)]
Period = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])]


class CompoundCreate(BaseModel):
    estate_id: Id
    property_company: str = Field(..., min_length=2, max_length=100)
    bank_account: str = Field("", max_length=60, pattern=r"^[0-9 -]*$")
    owners_public_share: float = Field(1.0, ge=0, le=1)


class MemberIn(BaseModel):
    user_id: Id
    capacity: Literal["property", "committee"]


class RelatedPartyIn(BaseModel):
    name: str = Field(..., min_length=2, max_length=100)


class BudgetIn(BaseModel):
    year: int = Field(..., ge=2000, le=2100)
    amounts: dict[Annotated[str, Field(pattern=r"^\d{4}$")], Yuan] = Field(..., max_length=50)


class LineIn(BaseModel):
    account: str = Field(..., pattern=r"^\d{4}$")
    debit: Yuan = Decimal(0)
    credit: Yuan = Decimal(0)


class EntryIn(BaseModel):
    entry_date: CityDate
    memo: str = Field(..., min_length=2, max_length=200)
    lines: list[LineIn] = Field(..., min_length=2, max_length=50)
    payee: str | None = Field(None, max_length=100)
    basis: str = Field("", max_length=200, description="合同或审批依据")
    vouchers: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20
    )


class ReverseIn(BaseModel):
    reason: str = Field(..., min_length=2, max_length=150)


class ReviewIn(BaseModel):
    note: str = Field("", max_length=200)


class OwnerIn(BaseModel):
    house_id: Id
    resident_id: Id | None = None
    developer: bool = False


class VoteCreate(BaseModel):
    title: str = Field(..., min_length=2, max_length=200)
    description: str = Field("", max_length=5000)
    matter: int = Field(..., ge=1, le=9, description="《民法典》第二百七十八条第几项")
    closes_at: AwareDatetime


class BallotIn(BaseModel):
    house_id: Id
    choice: Literal["agree", "oppose", "abstain"]
    proxy_document: str = Field("", max_length=200, description="授权委托书编号（代投时必填）")


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


@router.get("/accounts", operation_id="trustChartOfAccounts")
def chart() -> list[dict[str, Any]]:
    return [
        {"code": a.code, "name": a.name, "kind": a.kind.value, "public_income": a.public_income}
        for a in CHART.values()
    ]


@router.post("/compounds", status_code=201, operation_id="trustCreateCompound")
def create_compound(body: CompoundCreate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return books.create_compound(
        ctx,
        actor,
        body.estate_id,
        body.property_company,
        body.bank_account,
        body.owners_public_share,
    )


@router.get("/compounds", operation_id="trustListCompounds")
def list_compounds(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return books.list_compounds(ctx, actor)


@router.post("/compounds/{compound_id}/members", status_code=201, operation_id="trustAddMember")
def add_member(compound_id: Id, body: MemberIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return books.add_member(ctx, actor, compound_id, body.user_id, body.capacity)


@router.post(
    "/compounds/{compound_id}/related-parties", status_code=201, operation_id="trustRelatedParty"
)
def add_related(
    compound_id: Id, body: RelatedPartyIn, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    return books.add_related_party(ctx, actor, compound_id, body.name)


@router.put("/compounds/{compound_id}/budget", operation_id="trustSetBudget")
def set_budget(compound_id: Id, body: BudgetIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    amounts = {k: _fen(v) for k, v in body.amounts.items()}
    return books.set_budget(ctx, actor, compound_id, body.year, amounts)


@router.post("/compounds/{compound_id}/entries", status_code=201, operation_id="trustPostEntry")
def post_entry(compound_id: Id, body: EntryIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    lines = [Line(x.account, _fen(x.debit), _fen(x.credit)) for x in body.lines]
    return books.post_entry(
        ctx,
        actor,
        compound_id,
        entry_date=body.entry_date,
        memo=body.memo,
        lines=lines,
        payee=body.payee,
        basis=body.basis,
        vouchers=body.vouchers,
    )


@router.get("/compounds/{compound_id}/entries", operation_id="trustListEntries")
def list_entries(
    compound_id: Id,
    period: Period,
    ctx: Ctx,
    actor: CurrentActor,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    return books.list_entries(ctx, actor, compound_id, period, page, page_size)


@router.post(
    "/compounds/{compound_id}/entries/{entry_id}/reverse",
    status_code=201,
    operation_id="trustReverseEntry",
)
def reverse_entry(
    compound_id: Id, entry_id: Id, body: ReverseIn, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    return books.reverse_entry(ctx, actor, compound_id, entry_id, body.reason)


@router.post("/compounds/{compound_id}/entries/{entry_id}/review", operation_id="trustReviewEntry")
def review_entry(
    compound_id: Id, entry_id: Id, body: ReviewIn, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    return books.review_entry(ctx, actor, compound_id, entry_id, body.note)


@router.get("/compounds/{compound_id}/statement", operation_id="trustMonthlyStatement")
def monthly_statement(
    compound_id: Id, period: Period, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    return books.monthly_statement(ctx, actor, compound_id, period)


@router.post("/compounds/{compound_id}/owners", status_code=201, operation_id="trustRegisterOwner")
def register_owner(compound_id: Id, body: OwnerIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return votes.register_owner(
        ctx, actor, compound_id, body.house_id, body.resident_id, body.developer
    )


@router.post("/compounds/{compound_id}/votes", status_code=201, operation_id="trustOpenVote")
def open_vote(compound_id: Id, body: VoteCreate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return votes.open_vote(
        ctx,
        actor,
        compound_id,
        title=body.title,
        matter=body.matter,
        closes_at=body.closes_at,
        description=body.description,
    )


@router.get("/compounds/{compound_id}/votes", operation_id="trustListVotes")
def list_votes(compound_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return votes.list_votes(ctx, actor, compound_id)


@router.get("/votes/{vote_id}", operation_id="trustGetVote")
def get_vote(vote_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return votes.get_vote(ctx, actor, vote_id)


@router.put("/votes/{vote_id}/ballot", operation_id="trustCastBallot")
def cast_ballot(vote_id: Id, body: BallotIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """One ballot per owner; casting again before the close changes it."""
    return votes.cast_ballot(
        ctx,
        actor,
        vote_id,
        house_id=body.house_id,
        choice=body.choice,
        proxy_document=body.proxy_document,
    )


@router.post("/votes/{vote_id}/close", operation_id="trustCloseVote")
def close_vote(vote_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return votes.close_vote(ctx, actor, vote_id)
