"""Alembic environment: the URL comes from the caller (cityloop init), not from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from cityloop.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
connection = config.attributes.get("connection")


def run() -> None:
    if connection is not None:
        _migrate(connection)
        return
    assert url, "cityloop init passes the database URL"
    engine = create_engine(url)
    with engine.begin() as conn:
        _migrate(conn)


def _migrate(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
