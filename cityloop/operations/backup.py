"""Backup and restore of the whole database.

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot while
the server keeps writing. PostgreSQL: pg_dump's custom format and pg_restore --clean, the
tools of the server's own version. Both return row counts per table for the caller (and the
round-trip test) to compare."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cityloop.services.context import CityLoop
from cityloop.store.models import Base


class BackupError(Exception):
    pass


def row_counts(ctx: CityLoop) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
        }


def _sqlite_path(ctx: CityLoop) -> Path:
    db = make_url(ctx.settings.sqlalchemy_url).database
    if not db:
        raise BackupError("in-memory SQLite database has no file to back up")
    return Path(db)


def _pg_args(ctx: CityLoop) -> tuple[list[str], dict[str, str]]:
    url = make_url(ctx.settings.sqlalchemy_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or ""]
    env = {"PGPASSWORD": url.password or ""} if url.password else {}
    return [*args, "-d", url.database or ""], env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found (Debian: apt-get install postgresql-client)")
    return path


def backup_database(ctx: CityLoop, file: Path) -> dict[str, int]:
    file.parent.mkdir(parents=True, exist_ok=True)
    if ctx.engine.dialect.name == "sqlite":
        src = sqlite3.connect(_sqlite_path(ctx))
        dst = sqlite3.connect(file)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        import os

        args, env = _pg_args(ctx)
        done = subprocess.run(
            [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(file), *args],
            capture_output=True,
            env={**os.environ, **env},
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(done.stderr.decode(errors="replace").strip()[:300])
    return row_counts(ctx)


def restore_database(ctx: CityLoop, file: Path) -> dict[str, int]:
    if not file.is_file():
        raise BackupError(f"{file}: no such file")
    ctx.engine.dispose()  # no pooled connection may hold the old database open
    if ctx.engine.dialect.name == "sqlite":
        try:
            src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{file}: not a SQLite backup ({exc})") from exc
        dst = sqlite3.connect(_sqlite_path(ctx))
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        import os

        args, env = _pg_args(ctx)
        done = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(file),
            ],
            capture_output=True,
            env={**os.environ, **env},
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(done.stderr.decode(errors="replace").strip()[:300])
    return row_counts(ctx)
