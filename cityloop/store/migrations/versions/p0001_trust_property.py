"""Trust-based property management (信托制物业): trust accounts, an append-only ledger,
budgets, related parties, house owners and owners' votes

Revision ID: p0001
Revises: c0001
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "p0001"
down_revision = "c0001"
branch_labels = ("trust",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_compounds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "estate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("property_company", sa.String(length=100), nullable=False),
        sa.Column("bank_account", sa.String(length=60), nullable=False),
        sa.Column("owners_public_share", sa.Float(), nullable=False),
        sa.Column("next_entry_no", sa.Integer(), nullable=False),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"],
            ["community_estates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("estate_id"),
    )
    op.create_index(
        op.f("ix_trust_compounds_grid_code"), "trust_compounds", ["grid_code"], unique=False
    )
    op.create_table(
        "trust_budgets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("compound_id", "year", "account", name="uq_trust_budgets_account"),
    )
    op.create_index(
        op.f("ix_trust_budgets_compound_id"), "trust_budgets", ["compound_id"], unique=False
    )
    op.create_table(
        "trust_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry_no", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("payee", sa.String(length=100), nullable=True),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("vouchers", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_by", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("compound_id", "entry_no", name="uq_trust_entries_no"),
    )
    op.create_index(
        "ix_trust_entries_period", "trust_entries", ["compound_id", "period"], unique=False
    )
    op.create_table(
        "trust_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("compound_id", "user_id", name="uq_trust_members_user"),
    )
    op.create_index(op.f("ix_trust_members_user_id"), "trust_members", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_trust_members_compound_id"), "trust_members", ["compound_id"], unique=False
    )
    op.create_table(
        "trust_related_parties",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_trust_related_parties_compound_id"),
        "trust_related_parties",
        ["compound_id"],
        unique=False,
    )
    op.create_table(
        "trust_votes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("matter", sa.Integer(), nullable=False),
        sa.Column("opens_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_trust_votes_compound_id"), "trust_votes", ["compound_id"], unique=False
    )
    op.create_table(
        "trust_ballots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vote_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_key", sa.String(length=200), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("cast_by", sa.BigInteger(), nullable=True),
        sa.Column("proxy_name", sa.String(length=80), nullable=False),
        sa.Column("proxy_document", sa.String(length=200), nullable=False),
        sa.Column("cast_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["trust_votes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vote_id", "owner_key", name="uq_trust_ballots_owner"),
    )
    op.create_index(op.f("ix_trust_ballots_vote_id"), "trust_ballots", ["vote_id"], unique=False)
    op.create_table(
        "trust_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account", sa.String(length=8), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["trust_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_trust_lines_entry_id"), "trust_lines", ["entry_id"], unique=False)
    op.create_table(
        "trust_owners",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("house_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "compound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.Column("developer", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["trust_compounds.id"],
        ),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["community_houses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("house_id", "resident_id", name="uq_trust_owners_house_resident"),
    )
    op.create_index(op.f("ix_trust_owners_house_id"), "trust_owners", ["house_id"], unique=False)
    op.create_index(
        op.f("ix_trust_owners_compound_id"), "trust_owners", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_trust_owners_resident_id"), "trust_owners", ["resident_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("trust_owners")
    op.drop_table("trust_lines")
    op.drop_table("trust_ballots")
    op.drop_table("trust_votes")
    op.drop_table("trust_related_parties")
    op.drop_table("trust_members")
    op.drop_table("trust_entries")
    op.drop_table("trust_budgets")
    op.drop_table("trust_compounds")
