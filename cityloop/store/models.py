"""SQLAlchemy 2 models. Timestamps are stored in UTC; the domain works in city time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class RegionRow(Base):
    """城市/区/街道/社区/单元网格."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(20), index=True)
    geometry: Mapped[dict[str, Any]]
    center_lon: Mapped[float | None] = mapped_column(Float)
    center_lat: Mapped[float | None] = mapped_column(Float)


class DepartmentRow(Base):
    """职能部门/承办单位."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))


class CategoryRow(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    path: Mapped[str] = mapped_column(String(400), unique=True)
    # normal | urgent | life_safety; NULL inherits the parent's (u0001).
    default_urgency: Mapped[str | None] = mapped_column(String(12))


class RuleSetRow(Base):
    """One version of the linkage list; orders keep the version they were dispatched under."""

    __tablename__ = "linkage_rule_sets"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RuleRow(Base):
    __tablename__ = "linkage_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("linkage_rule_sets.version"), index=True)
    category_code: Mapped[str] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(String(20))
    lead_department: Mapped[str] = mapped_column(String(40))
    co_departments: Mapped[list[Any]]
    limits: Mapped[dict[str, Any]]


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(30))
    region_code: Mapped[str | None] = mapped_column(String(20))
    department_code: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LoginFailureRow(Base):
    """Failed logins, for throttling that holds across workers and restarts."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime]


class TicketCounterRow(Base):
    __tablename__ = "ticket_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class WorkOrderRow(Base):
    """工单."""

    __tablename__ = "work_orders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(10))
    # 生命安全: never left in a queue (top of the duty dispatcher's, natural clock); k0001.
    life_safety: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Emergency hand-offs (110/119/120/122 联动): [{agency, to, at, note}]; k0001.
    handoffs: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    grid_code: Mapped[str | None] = mapped_column(String(20), index=True)
    community_code: Mapped[str | None] = mapped_column(String(20))
    street_code: Mapped[str | None] = mapped_column(String(20), index=True)
    district_code: Mapped[str | None] = mapped_column(String(20))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lead_department: Mapped[str | None] = mapped_column(String(40), index=True)
    time_limit: Mapped[str | None] = mapped_column(String(24))  # e.g. 5d, 24h@natural
    rule_version: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(index=True)
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    warn_at: Mapped[datetime | None]
    reply_text: Mapped[str] = mapped_column(Text, default="")
    pending_extension: Mapped[str | None] = mapped_column(String(24))
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(24))
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # 就地处置: reported and closed by the grid worker in one step, counted apart (m0001).
    handled_on_spot: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    routing: Mapped[dict[str, Any]]  # how it was routed: rule, suggestions, confidence
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]

    assignments: Mapped[list[AssignmentRow]] = relationship(
        back_populates="order", order_by="AssignmentRow.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_work_orders_status_due", "status", "due_at"),
        # Same-incident candidates (a category family's recent orders) and the category filter.
        Index("ix_work_orders_category_received", "category_code", "received_at"),
        # The command-centre's replies window (on-time and satisfaction rates over a period).
        Index("ix_work_orders_replied_at", "replied_at"),
        # The few life-safety orders, newest first (生命安全 alarm and tab; z0001). The
        # predicates are written as the queries render `life_safety.is_(True)`, so each
        # database's planner sees that the index covers them.
        Index(
            "ix_work_orders_life_safety",
            "received_at",
            postgresql_where=text("life_safety IS true"),
            sqlite_where=text("life_safety IS 1"),
        ),
    )


class AssignmentRow(Base):
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[WorkOrderRow] = relationship(back_populates="assignments")


class AppealRow(Base):
    """诉求: what came in, from whom, through which channel."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_status: Mapped[str] = mapped_column(String(16))
    grid_code: Mapped[str | None] = mapped_column(String(20))
    reporter_name: Mapped[str | None] = mapped_column(String(80))
    reporter_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    category_code: Mapped[str | None] = mapped_column(String(12))
    category_source: Mapped[str] = mapped_column(String(12))  # operator | model | none
    urgency: Mapped[str] = mapped_column(String(10))
    life_safety: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    attachments: Mapped[list[Any]]
    received_at: Mapped[datetime]
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    # What the machine understood: category suggestions, place, same-incident match.
    understanding: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_appeals_channel_ext"),)


class OrderEventRow(Base):
    """Append-only history of a work order: nothing updates or deletes these rows."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]]
    # Tamper evidence (cityloop.audit): the writer's seal, then the sealing step's number in
    # the timeline's chain and link to the record before (docs/SECURITY.md).
    mac: Mapped[str | None] = mapped_column(String(72))
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    chain_hash: Mapped[str | None] = mapped_column(String(72))

    __table_args__ = (
        Index("uq_order_events_chain_seq", "chain_seq", unique=True),
        Index(
            "ix_order_events_unsealed",
            "id",
            postgresql_where=text("chain_seq IS NULL"),
            sqlite_where=text("chain_seq IS NULL"),
        ),
    )


class AuditRow(Base):
    """The audit trail (安全审计): logins, user and configuration changes, imports, exports,
    reads of unmasked personal data. Append-only and chained like the timeline."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]]
    role: Mapped[str] = mapped_column(String(30), default="")
    result: Mapped[str] = mapped_column(String(10), default="success")  # success | failure
    source: Mapped[str | None] = mapped_column(String(64))  # client address
    user_agent: Mapped[str | None] = mapped_column(String(200))
    mac: Mapped[str | None] = mapped_column(String(72))
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    chain_hash: Mapped[str | None] = mapped_column(String(72))

    __table_args__ = (
        Index("uq_audit_log_chain_seq", "chain_seq", unique=True),
        Index(
            "ix_audit_log_unsealed",
            "id",
            postgresql_where=text("chain_seq IS NULL"),
            sqlite_where=text("chain_seq IS NULL"),
        ),
    )


class AuditChainStateRow(Base):
    """Per log: records at or below `legacy_below` predate tamper evidence (written before
    migration t0001) and are sealed as found; `purged_*` is the archived head the chain
    continues from once old records were purged."""

    __tablename__ = "audit_chain_state"
    log: Mapped[str] = mapped_column(String(20), primary_key=True)
    legacy_below: Mapped[int] = mapped_column(BigInteger, default=0)
    purged_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    purged_hash: Mapped[str] = mapped_column(String(72), default="genesis")


class GazetteerRow(Base):
    """地址库: named places (小区, roads, landmarks, shops …) with coordinates."""

    __tablename__ = "gazetteer_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(20))
    aliases: Mapped[list[Any]]
    district: Mapped[str | None] = mapped_column(String(60))
    street: Mapped[str | None] = mapped_column(String(60))


class NotificationRow(Base):
    """Outbox of messages to residents (SMS): written in the transaction of the step that
    causes them, sent by a gateway adapter, so none is lost if sending fails."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(12))
    recipient: Mapped[str] = mapped_column(String(40))
    ticket_no: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


# Feature packages keep their tables beside their code; importing them here registers the
# tables on Base.metadata for Alembic and the tests.
import cityloop.analytics.flash.store  # noqa: E402,F401
import cityloop.analytics.store  # noqa: E402,F401
import cityloop.community.groups.store  # noqa: E402,F401
import cityloop.community.store  # noqa: E402,F401
import cityloop.community.trust.store  # noqa: E402,F401
import cityloop.knowledge.store  # noqa: E402,F401
import cityloop.open311.store  # noqa: E402,F401
import cityloop.operations.store  # noqa: E402,F401
import cityloop.sensing.store  # noqa: E402,F401
import cityloop.store.steps  # noqa: E402,F401
