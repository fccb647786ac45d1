"""Audit: result, role, source and user agent as columns; seals and a hash chain on the audit
log and the work-order timeline; on PostgreSQL, both tables refuse UPDATE, DELETE and TRUNCATE

The trigger lets one UPDATE through: the sealing step numbering and linking a record that has
no number yet, with its content unchanged. The archive command purges records past retention
after setting `cityloop.audit_purge` for its own transaction (docs/SECURITY.md).

Revision ID: t0001
Revises: 0004
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = "0004"
branch_labels = ("audit",)
depends_on = None

TABLES = ("audit_log", "order_events")

GUARD = """
CREATE OR REPLACE FUNCTION cityloop_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('cityloop.audit_purge', true) = 'on' AND TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL
       AND (OLD.mac IS NULL OR NEW.mac IS NOT DISTINCT FROM OLD.mac)
       AND (to_jsonb(NEW) - 'mac' - 'chain_seq' - 'chain_hash')
           = (to_jsonb(OLD) - 'mac' - 'chain_seq' - 'chain_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cityloop: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""

# The chain's state (the archived head the chain continues from) changes only with a purge.
STATE_GUARD = """
CREATE OR REPLACE FUNCTION cityloop_audit_state_guard() RETURNS trigger AS $$
BEGIN
    IF current_setting('cityloop.audit_purge', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'cityloop: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.add_column("audit_log", sa.Column("role", sa.String(30), nullable=False, server_default=""))
    op.add_column(
        "audit_log", sa.Column("result", sa.String(10), nullable=False, server_default="success")
    )
    op.add_column("audit_log", sa.Column("source", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("user_agent", sa.String(200), nullable=True))
    # Records written before this revision kept these four inside `detail`.
    if pg:
        op.execute(
            "UPDATE audit_log SET role = COALESCE(detail->>'role', ''),"
            " result = COALESCE(detail->>'result', 'success'),"
            " source = detail->>'source', user_agent = detail->>'user_agent'"
        )
    else:
        op.execute(
            "UPDATE audit_log SET role = COALESCE(json_extract(detail, '$.role'), ''),"
            " result = COALESCE(json_extract(detail, '$.result'), 'success'),"
            " source = json_extract(detail, '$.source'),"
            " user_agent = json_extract(detail, '$.user_agent')"
        )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    for table in TABLES:
        op.add_column(table, sa.Column("mac", sa.String(72), nullable=True))
        op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("chain_hash", sa.String(72), nullable=True))
        op.create_index(f"uq_{table}_chain_seq", table, ["chain_seq"], unique=True)
        op.create_index(
            f"ix_{table}_unsealed",
            table,
            ["id"],
            postgresql_where=sa.text("chain_seq IS NULL"),
            sqlite_where=sa.text("chain_seq IS NULL"),
        )
    state = op.create_table(
        "audit_chain_state",
        sa.Column("log", sa.String(20), primary_key=True),
        sa.Column("legacy_below", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("purged_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("purged_hash", sa.String(72), nullable=False, server_default="genesis"),
    )
    for table in TABLES:
        top = bind.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()
        op.bulk_insert(state, [{"log": table, "legacy_below": int(top)}])
    if pg:
        op.execute(GUARD)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION cityloop_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION cityloop_audit_append_only()"
            )
        op.execute(STATE_GUARD)
        op.execute(
            "CREATE TRIGGER audit_chain_state_guard BEFORE UPDATE OR DELETE ON audit_chain_state"
            " FOR EACH ROW EXECUTE FUNCTION cityloop_audit_state_guard()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_state_guard ON audit_chain_state")
        op.execute("DROP FUNCTION IF EXISTS cityloop_audit_append_only()")
        op.execute("DROP FUNCTION IF EXISTS cityloop_audit_state_guard()")
    op.drop_table("audit_chain_state")
    for table in TABLES:
        op.drop_index(f"ix_{table}_unsealed", table_name=table)
        op.drop_index(f"uq_{table}_chain_seq", table_name=table)
        with op.batch_alter_table(table) as batch:
            for col in ("chain_hash", "chain_seq", "mac"):
                batch.drop_column(col)
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for col in ("user_agent", "source", "result", "role"):
            batch.drop_column(col)
