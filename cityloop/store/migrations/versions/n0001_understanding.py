"""understanding: gazetteer, notification outbox, appeals.understanding

Revision ID: n0001
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "n0001"
down_revision = "0002"
branch_labels = ("understanding",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gazetteer_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=True),
        sa.Column("street", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gazetteer_entries_name", "gazetteer_entries", ["name"])
    op.create_table(
        "notifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("ticket_no", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", cityloop.store.models.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])
    op.create_index("ix_notifications_ticket_no", "notifications", ["ticket_no"])
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("understanding", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("understanding")
    op.drop_index("ix_notifications_ticket_no", "notifications")
    op.drop_index("ix_notifications_created_at", "notifications")
    op.drop_table("notifications")
    op.drop_index("ix_gazetteer_entries_name", "gazetteer_entries")
    op.drop_table("gazetteer_entries")
