"""Dashboard indexes: the replies window of the command-centre summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On-time and satisfaction rates read the orders replied in a period (replied_at >= start);
    # without this index they visit every order.
    op.create_index("ix_work_orders_replied_at", "work_orders", ["replied_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_orders_replied_at", table_name="work_orders")
