"""Tables of trust-based property management (信托制物业): per compound (小区) a trust account
with an append-only double-entry ledger, budgets, related parties, members (the property
company's accountants and the owners' committee), owners of each house, and owners' votes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class TrustCompoundRow(Base):
    """A compound under trust management: its estate, trust account and agreed terms."""

    __tablename__ = "trust_compounds"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("community_estates.id"), unique=True)
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    property_company: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(60), default="")  # shown masked
    # The owners' share of public income (广告、停车等公共收益) the assembly agreed to.
    owners_public_share: Mapped[float] = mapped_column(Float, default=1.0)
    next_entry_no: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]


class TrustMemberRow(Base):
    """Who keeps the books (`property`: the property company's accountant) and who reviews
    them (`committee`: a member of the owners' committee, 业委会)."""

    __tablename__ = "trust_members"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    capacity: Mapped[str] = mapped_column(String(12))
    __table_args__ = (UniqueConstraint("compound_id", "user_id", name="uq_trust_members_user"),)


class TrustRelatedPartyRow(Base):
    """A related party of the property company (关联方): payments to it are flagged."""

    __tablename__ = "trust_related_parties"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class TrustBudgetRow(Base):
    """The year's budget of one expense account, fen."""

    __tablename__ = "trust_budgets"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        UniqueConstraint("compound_id", "year", "account", name="uq_trust_budgets_account"),
    )


class TrustEntryRow(Base):
    """One posted entry (记账凭证). Never updated after posting except for the committee's
    review stamp; a correction is a new entry with `reverses_id`."""

    __tablename__ = "trust_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"))
    entry_no: Mapped[int] = mapped_column(Integer)
    entry_date: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    memo: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str | None] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(200), default="")  # contract or approval
    vouchers: Mapped[list[Any]]  # attachment references
    flags: Mapped[list[Any]]  # flags raised at posting, kept with the entry
    reverses_id: Mapped[int | None] = mapped_column(BigInteger)
    posted_by: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime]
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        UniqueConstraint("compound_id", "entry_no", name="uq_trust_entries_no"),
        Index("ix_trust_entries_period", "compound_id", "period"),
    )


class TrustLineRow(Base):
    __tablename__ = "trust_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("trust_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(8))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)


class TrustOwnerRow(Base):
    """An owner of a house on the property register (a house may have several)."""

    __tablename__ = "trust_owners"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("community_houses.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"), index=True)
    # The owner as a person: a registered resident, or the developer for unsold houses.
    resident_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    developer: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (
        UniqueConstraint("house_id", "resident_id", name="uq_trust_owners_house_resident"),
    )


class TrustVoteRow(Base):
    """A vote on a public matter (业主共同决定事项, Civil Code art. 278)."""

    __tablename__ = "trust_votes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("trust_compounds.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    matter: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    result: Mapped[dict[str, Any] | None]  # the published tally, set on closing
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class TrustBallotRow(Base):
    """One owner's ballot (个人选择对其他居民保密); a proxy's ballot names the proxy."""

    __tablename__ = "trust_ballots"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("trust_votes.id"), index=True)
    owner_key: Mapped[str] = mapped_column(String(200))
    choice: Mapped[str] = mapped_column(String(8))
    cast_by: Mapped[int | None] = mapped_column(BigInteger)
    proxy_name: Mapped[str] = mapped_column(String(80), default="")
    proxy_document: Mapped[str] = mapped_column(String(200), default="")  # 授权委托书
    cast_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("vote_id", "owner_key", name="uq_trust_ballots_owner"),)
