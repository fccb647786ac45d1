"""clock: a timer on every step (order_step_deadlines), life-safety flags and emergency
hand-offs, and time limits wide enough for their clock ("24h@natural")

Revision ID: k0001
Revises: 0004
Create Date: 2026-12-01 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "k0001"
down_revision = "0004"
branch_labels = ("clock",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = cityloop.store.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "order_step_deadlines",
        sa.Column("id", BigId, nullable=False),
        sa.Column("work_order_id", BigId, sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("step", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=40), nullable=True),
        sa.Column("limit_text", sa.String(length=24), nullable=False),
        sa.Column("clock", sa.String(length=8), nullable=False),
        sa.Column("started_at", Utc, nullable=False),
        sa.Column("due_at", Utc, nullable=False),
        sa.Column("warn_at", Utc, nullable=False),
        sa.Column("finished_at", Utc, nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_order_step_deadlines_work_order_id", "order_step_deadlines", ["work_order_id"]
    )
    op.create_index("ix_step_deadlines_open_due", "order_step_deadlines", ["finished_at", "due_at"])
    op.create_index(
        "ix_step_deadlines_open_warn", "order_step_deadlines", ["finished_at", "warn_at"]
    )
    op.create_index(
        "ix_step_deadlines_step_started", "order_step_deadlines", ["step", "started_at"]
    )
    op.add_column(
        "work_orders",
        sa.Column("life_safety", sa.Boolean(), nullable=False, server_default="0"),
    )
    op.add_column("work_orders", sa.Column("handoffs", sa.JSON(), nullable=True))
    op.add_column(
        "appeals", sa.Column("life_safety", sa.Boolean(), nullable=False, server_default="0")
    )
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        for column in ("time_limit", "pending_extension"):
            op.alter_column(
                "work_orders",
                column,
                type_=sa.String(length=24),
                existing_type=sa.String(length=10),
                existing_nullable=True,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for column in ("time_limit", "pending_extension"):
            op.alter_column(
                "work_orders",
                column,
                type_=sa.String(length=10),
                existing_type=sa.String(length=24),
                existing_nullable=True,
            )
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("life_safety")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("handoffs")
        batch.drop_column("life_safety")
    op.drop_table("order_step_deadlines")
