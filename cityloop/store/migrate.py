"""Create or upgrade the schema with Alembic (cityloop init)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cityloop.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, settings: Settings | None = None) -> None:
    """Upgrade every branch to its head. `settings` reach the revisions that need keys (y0001
    encrypts TOTP secrets); without them a revision uses the environment's."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["settings"] = settings
        # Feature packages keep their own migration branch off the core; upgrade them all.
        command.upgrade(cfg, "heads")
