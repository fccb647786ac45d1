"""Work orders by category family and time: (category_code, received_at) replaces the index on
category_code alone

Same-incident linking looks, for every new appeal, for the open orders of its category family
received in the last days; the list filters by category. Both are served by the composite
index, at no extra cost to intake (one index for one).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_work_orders_category_received", "work_orders", ["category_code", "received_at"]
    )
    op.drop_index("ix_work_orders_category_code", table_name="work_orders")


def downgrade() -> None:
    op.create_index("ix_work_orders_category_code", "work_orders", ["category_code"])
    op.drop_index("ix_work_orders_category_received", table_name="work_orders")
