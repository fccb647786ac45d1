"""Analytics: working-day calendar, KPI rollup and state; indexes the KPI queries range over

Revision ID: a0001
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "a0001"
down_revision = "0002"
branch_labels = ("analytics",)
depends_on = "0003"

_COUNTS_INT = (
    "intake",
    "valid",
    "completed",
    "urges",
    "urged_orders",
    "dispatched",
    "returned",
    "accepted",
    "accepted_in_limit",
    "pending",
)
_COUNTS_INT2 = ("due", "on_time", "replied", "rated", "good", "reworked")


def upgrade() -> None:
    op.create_table(
        "analytics_workdays",
        sa.Column("dayno", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("cum_before", sa.Float(), nullable=False),
        sa.Column("month_start", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dayno"),
    )
    op.create_table(
        "analytics_kpi_daily",
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("dayno", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS_INT),
        sa.Column("accept_ws", sa.Float(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS_INT2),
        sa.Column("reply_ws", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "dayno", "member"),
    )
    op.create_table(
        "analytics_kpi_hist",
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("dayno", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "dayno", "member", "kind", "bucket"),
    )
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("updated_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # ix_work_orders_replied_at comes from the dashboard migration (0003), a dependency.
    op.create_index("ix_order_events_action_at", "order_events", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_order_events_action_at", table_name="order_events")
    op.drop_table("analytics_state")
    op.drop_table("analytics_kpi_hist")
    op.drop_table("analytics_kpi_daily")
    op.drop_table("analytics_workdays")
