"""operations: job runs, notification messages and preferences, tail cursors; the
procrastinate job queue's schema on PostgreSQL

Revision ID: o0001
Revises: 0004
Create Date: 2026-12-01 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "o0001"
down_revision = "0004"
branch_labels = ("operations",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = cityloop.store.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", Utc, nullable=False),
        sa.Column("finished_at", Utc, nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])
    op.create_table(
        "notification_messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("ticket_no", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Utc, nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", Utc, nullable=True),
        sa.Column("sent_at", Utc, nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("read_at", Utc, nullable=True),
        sa.Column("created_at", Utc, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        "ix_notification_messages_due", "notification_messages", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_notification_messages_inbox",
        "notification_messages",
        ["user_id", "channel", "read_at"],
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("muted_events", sa.JSON(), nullable=False),
        sa.Column("quiet_hours", sa.String(length=11), nullable=False),
        sa.Column("updated_at", Utc, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "operations_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", Utc, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The job queue (procrastinate 3.x): its own tables, functions and triggers, from the
        # schema file of the installed version. Later procrastinate upgrades ship their own
        # SQL migrations, applied by a later revision of this branch.
        from procrastinate.schema import SchemaManager

        # Straight to the driver: the schema's '%' signs are not parameter placeholders.
        cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())
        cursor.close()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in (
            "procrastinate_events",
            "procrastinate_periodic_defers",
            "procrastinate_jobs",
            "procrastinate_workers",
        ):
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.drop_table("operations_cursors")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notification_messages_inbox", "notification_messages")
    op.drop_index("ix_notification_messages_due", "notification_messages")
    op.drop_table("notification_messages")
    op.drop_index("ix_job_runs_job_started", "job_runs")
    op.drop_table("job_runs")
