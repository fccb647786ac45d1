"""The embedded default commits durably: WAL with a sync of the log at every commit."""

from __future__ import annotations

from pathlib import Path

from cityloop.settings import Settings
from cityloop.store.db import make_engine


def test_sqlite_syncs_every_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(Settings(database_url=url, data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            # 2 = FULL: an acknowledged commit is on disk before the answer, even on power loss
            # (NORMAL, 1, syncs only at checkpoints under WAL).
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    finally:
        engine.dispose()
