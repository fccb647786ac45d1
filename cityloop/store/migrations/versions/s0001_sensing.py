"""Sensing: devices, processed messages, incidents, webhook vendors

Revision ID: s0001
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "s0001"
down_revision = "0002"
branch_labels = ("sensing",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = cityloop.store.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sensing_devices",
        sa.Column("id", BigId, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column("community_code", sa.String(length=20), nullable=True),
        sa.Column("owner_code", sa.String(length=40), nullable=True),
        sa.Column("owner_kind", sa.String(length=12), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("last_seen_at", Utc, nullable=True),
        sa.Column("registered_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_sensing_devices_tenant_device", "sensing_devices", ["tenant", "device_id"], unique=True
    )
    op.create_index("ix_sensing_devices_type", "sensing_devices", ["type"])
    op.create_index("ix_sensing_devices_grid_code", "sensing_devices", ["grid_code"])
    op.create_table(
        "sensing_processed",
        sa.Column("device_pk", BigId, nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("device_pk", "message_id"),
    )
    op.create_index("ix_sensing_processed_processed_at", "sensing_processed", ["processed_at"])
    op.create_table(
        "sensing_incidents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("device_pk", BigId, nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("work_order_id", sa.BigInteger(), nullable=True),
        sa.Column("ticket_no", sa.String(length=20), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("opened_at", Utc, nullable=False),
        sa.Column("last_at", Utc, nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("closed_at", Utc, nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["device_pk"], ["sensing_devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sensing_incidents_device_rule", "sensing_incidents", ["device_pk", "rule_id"]
    )
    op.create_index(
        "uq_sensing_incidents_open",
        "sensing_incidents",
        ["device_pk", "rule_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "sensing_vendors",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("sensing_vendors")
    op.drop_index("uq_sensing_incidents_open", table_name="sensing_incidents")
    op.drop_index("ix_sensing_incidents_device_rule", table_name="sensing_incidents")
    op.drop_table("sensing_incidents")
    op.drop_index("ix_sensing_processed_processed_at", table_name="sensing_processed")
    op.drop_table("sensing_processed")
    op.drop_index("ix_sensing_devices_grid_code", table_name="sensing_devices")
    op.drop_index("ix_sensing_devices_type", table_name="sensing_devices")
    op.drop_index("uq_sensing_devices_tenant_device", table_name="sensing_devices")
    op.drop_table("sensing_devices")
