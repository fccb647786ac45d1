"""Tables of the sensing feature, registered on the shared metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class DeviceRow(Base):
    """A registered device (设备台账): where it is, who owns it, whether it is heard from."""

    __tablename__ = "sensing_devices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32), index=True)
    model: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(20), index=True)
    community_code: Mapped[str | None] = mapped_column(String(20))
    owner_code: Mapped[str | None] = mapped_column(String(40))  # a community or a department
    owner_kind: Mapped[str | None] = mapped_column(String(12))  # "community" | "department"
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)  # care_tags, household, …
    marks: Mapped[dict[str, Any]] = mapped_column(default=dict)  # absence: rule → last ok time
    status: Mapped[str] = mapped_column(String(12), default="unknown")  # online|offline|unknown
    last_seen_at: Mapped[datetime | None]
    registered_at: Mapped[datetime]
    __table_args__ = (
        Index("uq_sensing_devices_tenant_device", "tenant", "device_id", unique=True),
    )


class ProcessedMessageRow(Base):
    """A message whose effect is committed: a redelivered copy does nothing a second time."""

    __tablename__ = "sensing_processed"
    device_pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class IncidentRow(Base):
    """One rule firing on one device and the order it opened; at most one open per pair."""

    __tablename__ = "sensing_incidents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("sensing_devices.id", ondelete="CASCADE"),
    )
    rule_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12))  # open | recovered | closed
    work_order_id: Mapped[int | None] = mapped_column(BigInteger)
    ticket_no: Mapped[str | None] = mapped_column(String(20))
    message_id: Mapped[str | None] = mapped_column(String(64))
    reading: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_at: Mapped[datetime]
    last_at: Mapped[datetime]
    repeats: Mapped[int] = mapped_column(Integer, default=0)  # de-duplicated firings
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        Index("ix_sensing_incidents_device_rule", "device_pk", "rule_id"),
        Index(
            "uq_sensing_incidents_open",
            "device_pk",
            "rule_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class VendorRow(Base):
    """A vendor posting events over the webhook; only the SHA-256 of its token is kept."""

    __tablename__ = "sensing_vendors"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class InvalidCountRow(Base):
    """How many messages of one device the pipeline refused, by reason (无效消息计数); the
    device is '' when even the topic could not be read."""

    __tablename__ = "sensing_invalid_counts"
    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime]
    last_detail: Mapped[str] = mapped_column(String(200), default="")
