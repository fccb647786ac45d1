"""Incident flash reports (突发事件快报)

Revision ID: f0001
Revises: 0004
Create Date: 2026-12-01 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "f0001"
down_revision = "0004"
branch_labels = ("flash",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flash_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "work_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("work_orders.id"),
            nullable=False,
        ),
        sa.Column("ticket_no", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("heading", sa.String(length=120), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("as_of", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("street_code", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_order_id", "kind", "seq", name="uq_flash_reports_step"),
    )
    op.create_index("ix_flash_reports_order", "flash_reports", ["work_order_id"])
    op.create_index("ix_flash_reports_created_at", "flash_reports", ["created_at"])


def downgrade() -> None:
    op.drop_table("flash_reports")
