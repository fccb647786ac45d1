"""Engine and session factory for the configured database (SQLite by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from cityloop.settings import Settings
from cityloop.store import column_limits


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size // 2,
        # Recycling beats a ping per checkout: the ping is a round trip on every request.
        pool_recycle=1800,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers go on while one writer commits. FULL syncs the WAL at every commit, so an
    # appeal acknowledged to its caller survives a power cut; NORMAL would only keep the file
    # consistent and could lose the last commits (docs/RELIABILITY.md has the cost).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    column_limits.install()  # each value checked against its column before a flush sends it
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one read on a hot path: in autocommit on PostgreSQL, so the read is a
    single round trip (no BEGIN before it, no ROLLBACK when the connection goes back)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    with conn:
        yield conn
