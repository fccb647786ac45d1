"""Community database and participation: people and houses, wishes, snap reports, points,
mediation

Revision ID: c0001
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "c0001"
down_revision = "0002"
branch_labels = ("community",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_community_changes_entity", "community_changes", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "community_disputes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_no", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("region_code", sa.String(length=20), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("mediator", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opened_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("level_since", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("follow_up_due", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "followed_up_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_no"),
    )
    op.create_index(
        op.f("ix_community_disputes_due_at"), "community_disputes", ["due_at"], unique=False
    )
    op.create_index(
        op.f("ix_community_disputes_region_code"),
        "community_disputes",
        ["region_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_disputes_type"), "community_disputes", ["type"], unique=False
    )
    op.create_table(
        "community_estates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("grid_code", "name", name="uq_community_estates_name"),
    )
    op.create_index(
        op.f("ix_community_estates_grid_code"), "community_estates", ["grid_code"], unique=False
    )
    op.create_table(
        "community_point_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "community_point_transactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("reverses_key", sa.String(length=120), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("reverses_key"),
    )
    op.create_index(
        op.f("ix_community_point_transactions_at"),
        "community_point_transactions",
        ["at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_point_transactions_kind"),
        "community_point_transactions",
        ["kind"],
        unique=False,
    )
    op.create_table(
        "community_buildings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "estate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["estate_id"],
            ["community_estates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("estate_id", "name", name="uq_community_buildings_name"),
    )
    op.create_index(
        op.f("ix_community_buildings_estate_id"), "community_buildings", ["estate_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_buildings_grid_code"), "community_buildings", ["grid_code"], unique=False
    )
    op.create_table(
        "community_dispute_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "dispute_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["community_disputes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_dispute_events_dispute_id"),
        "community_dispute_events",
        ["dispute_id"],
        unique=False,
    )
    op.create_table(
        "community_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("read_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        op.f("ix_community_notifications_user_id"),
        "community_notifications",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "community_snap_groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column("category_code", sa.String(length=12), nullable=True),
        sa.Column("first_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("reporters", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("escalated_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("ticket_no", sa.String(length=20), nullable=True),
        sa.Column("due_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_snap_groups_grid_code"),
        "community_snap_groups",
        ["grid_code"],
        unique=False,
    )
    op.create_table(
        "community_shops",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("business", sa.String(length=40), nullable=False),
        sa.Column("licence_no", sa.String(length=40), nullable=False),
        sa.Column("contact_name", sa.String(length=80), nullable=False),
        sa.Column("contact_phone_enc", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["community_buildings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_shops_building_id"), "community_shops", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_shops_grid_code"), "community_shops", ["grid_code"], unique=False
    )
    op.create_table(
        "community_snaps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "reporter_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reporter_role", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("category_code", sa.String(length=12), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_snap_groups.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_snaps_group_id"), "community_snaps", ["group_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_snaps_reporter_user_id"),
        "community_snaps",
        ["reporter_user_id"],
        unique=False,
    )
    op.create_table(
        "community_units",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["community_buildings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("building_id", "name", name="uq_community_units_name"),
    )
    op.create_index(
        op.f("ix_community_units_building_id"), "community_units", ["building_id"], unique=False
    )
    op.create_table(
        "community_houses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "estate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("room", sa.String(length=20), nullable=False),
        sa.Column("area", sa.Float(), nullable=True),
        sa.Column("usage", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["community_buildings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["estate_id"],
            ["community_estates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["community_units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "room", name="uq_community_houses_room"),
    )
    op.create_index(
        op.f("ix_community_houses_building_id"), "community_houses", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_houses_estate_id"), "community_houses", ["estate_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_houses_grid_code"), "community_houses", ["grid_code"], unique=False
    )
    op.create_index(
        op.f("ix_community_houses_unit_id"), "community_houses", ["unit_id"], unique=False
    )
    op.create_table(
        "community_households",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("house_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["community_houses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        op.f("ix_community_households_grid_code"),
        "community_households",
        ["grid_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_households_house_id"), "community_households", ["house_id"], unique=False
    )
    op.create_table(
        "community_garbage_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=60), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.String(length=60), nullable=True),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["community_households.id"],
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        op.f("ix_community_garbage_events_at"), "community_garbage_events", ["at"], unique=False
    )
    op.create_index(
        op.f("ix_community_garbage_events_household_id"),
        "community_garbage_events",
        ["household_id"],
        unique=False,
    )
    op.create_table(
        "community_residents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("id_number_enc", sa.Text(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("residence", sa.String(length=16), nullable=False),
        sa.Column("party_member", sa.Boolean(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["community_households.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number_hash"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_index(
        op.f("ix_community_residents_grid_code"), "community_residents", ["grid_code"], unique=False
    )
    op.create_index(
        op.f("ix_community_residents_household_id"),
        "community_residents",
        ["household_id"],
        unique=False,
    )
    op.create_table(
        "community_care_tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.Column("set_by_id", sa.BigInteger(), nullable=True),
        sa.Column("set_by_name", sa.String(length=80), nullable=False),
        sa.Column("set_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["community_residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resident_id", "tag", name="uq_community_care_tag"),
    )
    op.create_index(
        op.f("ix_community_care_tags_resident_id"),
        "community_care_tags",
        ["resident_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_care_tags_tag"), "community_care_tags", ["tag"], unique=False
    )
    op.create_table(
        "community_point_accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column(
            "resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("region_code", sa.String(length=20), nullable=True),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["community_households.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["community_residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        op.f("ix_community_point_accounts_region_code"),
        "community_point_accounts",
        ["region_code"],
        unique=False,
    )
    op.create_table(
        "community_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "reported_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "claimed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["community_residents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["community_residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_tasks_community_code"),
        "community_tasks",
        ["community_code"],
        unique=False,
    )
    op.create_table(
        "community_wishes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("community_code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=12), nullable=True),
        sa.Column(
            "author_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "author_resident_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("adopted_at", cityloop.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("ticket_no", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_resident_id"],
            ["community_residents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_wishes_community_code"),
        "community_wishes",
        ["community_code"],
        unique=False,
    )
    op.create_table(
        "community_point_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["community_point_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["community_point_transactions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_community_point_entries_account_id"),
        "community_point_entries",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_point_entries_transaction_id"),
        "community_point_entries",
        ["transaction_id"],
        unique=False,
    )
    op.create_table(
        "community_wish_votes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("wish_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("at", cityloop.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["community_households.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["community_residents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["wish_id"],
            ["community_wishes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wish_id", "resident_id", name="uq_community_wish_vote"),
    )
    op.create_index(
        op.f("ix_community_wish_votes_wish_id"), "community_wish_votes", ["wish_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_community_wish_votes_wish_id"), table_name="community_wish_votes")
    op.drop_table("community_wish_votes")
    op.drop_index(
        op.f("ix_community_point_entries_transaction_id"), table_name="community_point_entries"
    )
    op.drop_index(
        op.f("ix_community_point_entries_account_id"), table_name="community_point_entries"
    )
    op.drop_table("community_point_entries")
    op.drop_index(op.f("ix_community_wishes_community_code"), table_name="community_wishes")
    op.drop_table("community_wishes")
    op.drop_index(op.f("ix_community_tasks_community_code"), table_name="community_tasks")
    op.drop_table("community_tasks")
    op.drop_index(
        op.f("ix_community_point_accounts_region_code"), table_name="community_point_accounts"
    )
    op.drop_table("community_point_accounts")
    op.drop_index(op.f("ix_community_care_tags_tag"), table_name="community_care_tags")
    op.drop_index(op.f("ix_community_care_tags_resident_id"), table_name="community_care_tags")
    op.drop_table("community_care_tags")
    op.drop_index(op.f("ix_community_residents_household_id"), table_name="community_residents")
    op.drop_index(op.f("ix_community_residents_grid_code"), table_name="community_residents")
    op.drop_table("community_residents")
    op.drop_index(
        op.f("ix_community_garbage_events_household_id"), table_name="community_garbage_events"
    )
    op.drop_index(op.f("ix_community_garbage_events_at"), table_name="community_garbage_events")
    op.drop_table("community_garbage_events")
    op.drop_index(op.f("ix_community_households_house_id"), table_name="community_households")
    op.drop_index(op.f("ix_community_households_grid_code"), table_name="community_households")
    op.drop_table("community_households")
    op.drop_index(op.f("ix_community_houses_unit_id"), table_name="community_houses")
    op.drop_index(op.f("ix_community_houses_grid_code"), table_name="community_houses")
    op.drop_index(op.f("ix_community_houses_estate_id"), table_name="community_houses")
    op.drop_index(op.f("ix_community_houses_building_id"), table_name="community_houses")
    op.drop_table("community_houses")
    op.drop_index(op.f("ix_community_units_building_id"), table_name="community_units")
    op.drop_table("community_units")
    op.drop_index(op.f("ix_community_snaps_reporter_user_id"), table_name="community_snaps")
    op.drop_index(op.f("ix_community_snaps_group_id"), table_name="community_snaps")
    op.drop_table("community_snaps")
    op.drop_index(op.f("ix_community_shops_grid_code"), table_name="community_shops")
    op.drop_index(op.f("ix_community_shops_building_id"), table_name="community_shops")
    op.drop_table("community_shops")
    op.drop_index(op.f("ix_community_snap_groups_grid_code"), table_name="community_snap_groups")
    op.drop_table("community_snap_groups")
    op.drop_index(op.f("ix_community_notifications_user_id"), table_name="community_notifications")
    op.drop_table("community_notifications")
    op.drop_index(
        op.f("ix_community_dispute_events_dispute_id"), table_name="community_dispute_events"
    )
    op.drop_table("community_dispute_events")
    op.drop_index(op.f("ix_community_buildings_grid_code"), table_name="community_buildings")
    op.drop_index(op.f("ix_community_buildings_estate_id"), table_name="community_buildings")
    op.drop_table("community_buildings")
    op.drop_index(
        op.f("ix_community_point_transactions_kind"), table_name="community_point_transactions"
    )
    op.drop_index(
        op.f("ix_community_point_transactions_at"), table_name="community_point_transactions"
    )
    op.drop_table("community_point_transactions")
    op.drop_table("community_point_items")
    op.drop_index(op.f("ix_community_estates_grid_code"), table_name="community_estates")
    op.drop_table("community_estates")
    op.drop_index(op.f("ix_community_disputes_type"), table_name="community_disputes")
    op.drop_index(op.f("ix_community_disputes_region_code"), table_name="community_disputes")
    op.drop_index(op.f("ix_community_disputes_due_at"), table_name="community_disputes")
    op.drop_table("community_disputes")
    op.drop_index("ix_community_changes_entity", table_name="community_changes")
    op.drop_table("community_changes")
