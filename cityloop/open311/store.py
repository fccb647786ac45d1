"""Storage of Open311 API clients. Only the SHA-256 of a key is kept, never the key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class Open311ClientRow(Base):
    """An Open311 client application (a civic-tech app, a partner's portal) and its key."""

    __tablename__ = "open311_clients"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=60)
