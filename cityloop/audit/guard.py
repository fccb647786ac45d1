"""The one way past PostgreSQL's append-only triggers on the audit tables (migration t0001):
a transaction that sets `cityloop.audit_purge`. Used by the retention purge after archiving,
by the demo's rebuild and by the test suite's cleanup; nothing on a request's path."""

from __future__ import annotations

from sqlalchemy import Connection


def allow_purge(conn: Connection) -> None:
    """Let this transaction delete audit records (PostgreSQL; SQLite has no triggers)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL cityloop.audit_purge = 'on'")
