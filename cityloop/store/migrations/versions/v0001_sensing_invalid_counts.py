"""sensing: invalid-message counts per device and reason (for the device and alarm page)

Revision ID: v0001
Revises: s0001
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "v0001"
down_revision = "s0001"
branch_labels = ("sensing_invalid",)
depends_on = None

Utc = cityloop.store.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sensing_invalid_counts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_at", Utc, nullable=False),
        sa.Column("last_detail", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "device_id", "reason"),
    )


def downgrade() -> None:
    op.drop_table("sensing_invalid_counts")
