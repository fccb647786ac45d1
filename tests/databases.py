"""A database of a test's own, apart from the session's shared schema (not a test module).

On SQLite a fresh file; on PostgreSQL (CITYLOOP_TEST_DATABASE_URL) a fresh schema of the test
database, reached through search_path, so the shared fixture's `public` schema is untouched and
the sequences start at 1 as on a new installation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine

from cityloop.settings import Settings
from cityloop.store.db import make_engine
from cityloop.store.migrate import upgrade


def _pg_url() -> str:
    return os.environ.get("CITYLOOP_TEST_DATABASE_URL", "")


@contextmanager
def own_database(tmp_path: Path, name: str) -> Iterator[str]:
    """Yield the URL of an empty, migrated database named for the test; drop it afterwards."""
    base = _pg_url()
    if not base:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        _migrate(url, tmp_path)
        yield url
        return
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={name}')}"
    try:
        _migrate(url, tmp_path)
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


def _migrate(url: str, data_dir: Path) -> None:
    engine = make_engine(Settings(database_url=url, data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    upgrade(engine)
    engine.dispose()
