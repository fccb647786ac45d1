"""The knowledge base's one table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class KnowledgeEntryRow(Base):
    __tablename__ = "knowledge_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The category the question belongs to ('' for general questions).
    category_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How many consultations were closed with this answer (直接办结).
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    __table_args__ = (UniqueConstraint("category_code", "question", name="uq_knowledge_question"),)
