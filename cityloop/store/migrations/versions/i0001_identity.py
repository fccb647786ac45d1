"""identity: server-side sessions, account security state, password history, recovery codes,
login throttling, shared rate-limit counters

Revision ID: i0001
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "i0001"
down_revision = "0004"
branch_labels = ("identity",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Utc = cityloop.store.models.UtcDateTime


def _user_fk() -> sa.Column[int]:
    return sa.Column(
        "user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "user_security",
        _user_fk(),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", Utc(), nullable=True),
        sa.Column("demo_account", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_pending_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=48), nullable=False),
        _user_fk(),
        sa.Column("created_at", Utc(), nullable=False),
        sa.Column("last_seen_at", Utc(), nullable=False),
        sa.Column("expires_at", Utc(), nullable=False),
        sa.Column("ended_at", Utc(), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "password_history",
        sa.Column("id", BigId, nullable=False),
        _user_fk(),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", Utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", BigId, nullable=False),
        _user_fk(),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", Utc(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_at", Utc(), nullable=False),
        sa.Column("not_before", Utc(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reset_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    for table in (
        "rate_limits",
        "login_throttle",
        "recovery_codes",
        "password_history",
        "user_sessions",
        "user_security",
    ):
        op.drop_table(table)
