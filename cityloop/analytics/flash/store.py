"""The flash reports written so far: one row per (order, kind, number), so a report is never
written twice however many workers run the job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class FlashReportRow(Base):
    __tablename__ = "flash_reports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    ticket_no: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # first | follow_up | final
    seq: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(120))
    paragraphs: Mapped[list[Any]]
    as_of: Mapped[datetime]  # the moment the report describes (the step that made it)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Where the order lies, for scoping the list to a supervisor's jurisdiction.
    street_code: Mapped[str | None] = mapped_column(String(20))
    __table_args__ = (
        UniqueConstraint("work_order_id", "kind", "seq", name="uq_flash_reports_step"),
        Index("ix_flash_reports_order", "work_order_id"),
    )
