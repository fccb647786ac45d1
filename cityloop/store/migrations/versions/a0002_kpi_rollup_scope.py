"""KPI rollup rows per jurisdiction: a `scope` column (district or street code, '' = city)

The rollup is derived data, so the tables are recreated empty and the rollup watermark is
dropped: KPI tables answer live until `cityloop analyse refresh-kpi --full` runs again.

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None

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


def _scope(scoped: bool) -> list[sa.Column[str]]:
    return [sa.Column("scope", sa.String(length=15), nullable=False)] if scoped else []


def _create(scoped: bool) -> None:
    key = ["dim", "scope", "dayno", "member"] if scoped else ["dim", "dayno", "member"]
    op.create_table(
        "analytics_kpi_daily",
        sa.Column("dim", sa.String(length=12), nullable=False),
        *_scope(scoped),
        sa.Column("dayno", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS_INT),
        sa.Column("accept_ws", sa.Float(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS_INT2),
        sa.Column("reply_ws", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )
    op.create_table(
        "analytics_kpi_hist",
        sa.Column("dim", sa.String(length=12), nullable=False),
        *_scope(scoped),
        sa.Column("dayno", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key, "kind", "bucket"),
    )


def _recreate(scoped: bool) -> None:
    op.drop_table("analytics_kpi_hist")
    op.drop_table("analytics_kpi_daily")
    _create(scoped)
    op.execute("DELETE FROM analytics_state WHERE name = 'kpi_rollup'")


def upgrade() -> None:
    _recreate(scoped=True)


def downgrade() -> None:
    _recreate(scoped=False)
