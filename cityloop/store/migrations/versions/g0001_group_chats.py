"""Micro-grid group chats (微网格长微信群主题数据库): micro-grids, their groups, messages and
topics

Revision ID: g0001
Revises: c0001
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "g0001"
down_revision = "c0001"
branch_labels = ("groups",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "micro_grids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("estate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("buildings", sa.JSON(), nullable=False),
        sa.Column("leader_name", sa.String(length=80), nullable=False),
        sa.Column("leader_kind", sa.String(length=10), nullable=False),
        sa.Column("leader_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"],
            ["community_estates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_micro_grids_grid_code"), "micro_grids", ["grid_code"], unique=False)
    op.create_index(
        op.f("ix_micro_grids_leader_user_id"), "micro_grids", ["leader_user_id"], unique=False
    )
    op.create_table(
        "chat_groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "micro_grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column(
            "last_message_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"],
            ["micro_grids.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id", name="uq_chat_groups_external"),
    )
    op.create_index(
        op.f("ix_chat_groups_micro_grid_id"), "chat_groups", ["micro_grid_id"], unique=False
    )
    op.create_table(
        "chat_topics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("estate_key", sa.String(length=40), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column(
            "micro_grid_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("first_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("work_order_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"],
            ["micro_grids.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_chat_topics_estate_key"), "chat_topics", ["estate_key"], unique=False)
    op.create_index("ix_chat_topics_status", "chat_topics", ["status", "last_at"], unique=False)
    op.create_index(op.f("ix_chat_topics_grid_code"), "chat_topics", ["grid_code"], unique=False)
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("sender_nick", sa.String(length=80), nullable=False),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("sent_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("why", sa.String(length=40), nullable=False),
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_groups.id"],
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["chat_topics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "external_id", name="uq_chat_messages_external"),
    )
    op.create_index(op.f("ix_chat_messages_sent_at"), "chat_messages", ["sent_at"], unique=False)
    op.create_index(
        "ix_chat_messages_group_time", "chat_messages", ["group_id", "sent_at"], unique=False
    )
    op.create_index(op.f("ix_chat_messages_topic_id"), "chat_messages", ["topic_id"], unique=False)


def downgrade() -> None:
    op.drop_table("chat_messages")
    op.drop_table("chat_topics")
    op.drop_table("chat_groups")
    op.drop_table("micro_grids")
