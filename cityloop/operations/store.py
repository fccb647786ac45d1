"""Tables of the operations package: job runs, delivered messages, preferences, tail cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class JobRunRow(Base):
    """One run of a scheduled or requested job: what `cityloop jobs list` and the admin page
    show. `period` is the scheduled time the run is for (the cron tick), so two workers that
    both tried the same period would show as two rows of one period."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))  # running | succeeded | failed
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(String(300), default="")
    worker: Mapped[str] = mapped_column(String(80), default="")
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)


class MessageRow(Base):
    """One message to one recipient on one channel, tracked until it is delivered or given
    up. `key` makes creation idempotent (an event tailed twice makes no second message); the
    claim columns let any number of delivery workers share the queue without sending twice."""

    __tablename__ = "notification_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(12))  # inbox | email | sms | wecom | dingtalk
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(300), default="")  # e-mail, phone or robot
    ticket_no: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # queued → sent | failed (retried later) → … → given_up
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    __table_args__ = (
        Index("ix_notification_messages_due", "status", "next_attempt_at"),
        Index("ix_notification_messages_inbox", "user_id", "channel", "read_at"),
    )


class PreferenceRow(Base):
    """A user's notification preferences. No row: the defaults (inbox, and e-mail/SMS where
    the user has an address; every event; no quiet hours)."""

    __tablename__ = "notification_preferences"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[list[Any]] = mapped_column(default=list)
    email: Mapped[str] = mapped_column(String(200), default="")
    muted_events: Mapped[list[Any]] = mapped_column(default=list)
    quiet_hours: Mapped[str] = mapped_column(String(11), default="")  # "22:00-07:00"
    updated_at: Mapped[datetime]


class CursorRow(Base):
    """How far a tail (order events, sensor incidents, the residents' outbox) has been read."""

    __tablename__ = "operations_cursors"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
