"""Tables of the community side (社区): the community database, wish wall, snap reports, points
ledger and dispute mediation. Registered on the shared metadata like Open311's tables.

Personal data (ID numbers, phones) is stored encrypted (`*_enc`, AES-GCM, see `crypto.py`); a
keyed hash (`*_hash`) finds a person by ID number without decrypting every row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


# -- community database (全业务数据库) -----------------------------------------------------
class EstateRow(Base):
    """小区: a residential estate inside a unit grid."""

    __tablename__ = "community_estates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (UniqueConstraint("grid_code", "name", name="uq_community_estates_name"),)


class BuildingRow(Base):
    """楼栋."""

    __tablename__ = "community_buildings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("community_estates.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    floors: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("estate_id", "name", name="uq_community_buildings_name"),)


class UnitRow(Base):
    """单元."""

    __tablename__ = "community_units"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("community_buildings.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    __table_args__ = (UniqueConstraint("building_id", "name", name="uq_community_units_name"),)


class HouseRow(Base):
    """房屋: one dwelling (a room number in a unit)."""

    __tablename__ = "community_houses"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("community_units.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("community_buildings.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("community_estates.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    room: Mapped[str] = mapped_column(String(20))
    area: Mapped[float | None] = mapped_column(Float)
    usage: Mapped[str] = mapped_column(String(16), default="owner_occupied")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (UniqueConstraint("unit_id", "room", name="uq_community_houses_room"),)


class HouseholdRow(Base):
    """户: the people living together in one house; `code` is the household's code (一户一码)."""

    __tablename__ = "community_households"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("community_houses.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]


class ResidentRow(Base):
    """人口: a person registered in the community database."""

    __tablename__ = "community_residents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    gender: Mapped[str] = mapped_column(String(8), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_households.id"), index=True
    )
    relation: Mapped[str] = mapped_column(String(16), default="")  # 与户主关系
    residence: Mapped[str] = mapped_column(String(16), default="registered")  # 户籍/常住/流动
    party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]


class ShopRow(Base):
    """沿街商铺, in a building."""

    __tablename__ = "community_shops"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_buildings.id"), index=True
    )
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    business: Mapped[str] = mapped_column(String(40), default="")
    licence_no: Mapped[str] = mapped_column(String(40), default="")
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_phone_enc: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class CareTagRow(Base):
    """关爱标签 (独居老人, 残疾人, 低保 …) on a resident, with who set it and when."""

    __tablename__ = "community_care_tags"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("community_residents.id"), index=True)
    tag: Mapped[str] = mapped_column(String(20), index=True)
    set_by_id: Mapped[int | None] = mapped_column(BigInteger)
    set_by_name: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("resident_id", "tag", name="uq_community_care_tag"),)


class ChangeRow(Base):
    """Every change to a registry record: who, when, field, old → new (insert-only).
    Encrypted fields are recorded masked, never in clear."""

    __tablename__ = "community_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    __table_args__ = (Index("ix_community_changes_entity", "entity", "entity_id"),)


# -- wish wall (心愿墙) ---------------------------------------------------------------------
class WishRow(Base):
    __tablename__ = "community_wishes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(20), index=True)  # 社区 region
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(12))
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_resident_id: Mapped[int] = mapped_column(ForeignKey("community_residents.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    adopted_at: Mapped[datetime | None]
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    ticket_no: Mapped[str | None] = mapped_column(String(20))


class WishVoteRow(Base):
    """One resident's vote on a wish (support or oppose); withdrawing deletes it."""

    __tablename__ = "community_wish_votes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("community_wishes.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("community_residents.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("community_households.id"))
    support: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("wish_id", "resident_id", name="uq_community_wish_vote"),)


# -- snap-and-report (随手拍) ---------------------------------------------------------------
class SnapGroupRow(Base):
    """Reports of the same problem at the same place (one incident)."""

    __tablename__ = "community_snap_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(20), index=True)
    category_code: Mapped[str | None] = mapped_column(String(12))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    reports: Mapped[int] = mapped_column(Integer, default=0)
    reporters: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|escalated|resolved
    escalated_at: Mapped[datetime | None]
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    ticket_no: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class SnapRow(Base):
    __tablename__ = "community_snaps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_snap_groups.id"), index=True)
    reporter_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_role: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    category_code: Mapped[str | None] = mapped_column(String(12))
    attachments: Mapped[list[Any]]
    at: Mapped[datetime]


class NotificationRow(Base):
    """A message to one user (a reporter told the outcome of their snap report …)."""

    __tablename__ = "community_notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(80), unique=True)  # at most one per event and user
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]]
    at: Mapped[datetime]
    read_at: Mapped[datetime | None]


# -- points ledger (积分) ------------------------------------------------------------------
class PointAccountRow(Base):
    """An account of the double-entry ledger. `balance` is the sum of its entries, kept with
    every posting; only system accounts (issuance, redemption) may go below zero."""

    __tablename__ = "community_point_accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # resident:12, household:HH-1
    kind: Mapped[str] = mapped_column(String(12))  # resident | household | system
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("community_residents.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("community_households.id"))
    region_code: Mapped[str | None] = mapped_column(String(20), index=True)  # owner's grid
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime]


class PointTransactionRow(Base):
    """A balanced transaction; `key` is the source event's id (idempotent posting)."""

    __tablename__ = "community_point_transactions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    reverses_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    data: Mapped[dict[str, Any]]


class PointEntryRow(Base):
    __tablename__ = "community_point_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("community_point_transactions.id"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("community_point_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class PointItemRow(Base):
    """A reward that points redeem: at a station, a shop or in the online catalogue."""

    __tablename__ = "community_point_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(12))  # station | shop | online
    place: Mapped[str] = mapped_column(String(100), default="")
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class GarbageEventRow(Base):
    """A smart bin or AI camera event (投放, 称重回收, 违规) and what it earned."""

    __tablename__ = "community_garbage_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("community_households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # drop | recycle | violation
    at: Mapped[datetime] = mapped_column(index=True)
    device: Mapped[str] = mapped_column(String(60), default="")
    data: Mapped[dict[str, Any]]
    points: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[str | None] = mapped_column(String(60))  # fraud check that held it back
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))


class CommunityTaskRow(Base):
    """A community task (志愿服务) reported by a resident and claimed by a volunteer."""

    __tablename__ = "community_tasks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(100))
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|claimed|done
    reported_by: Mapped[int] = mapped_column(ForeignKey("community_residents.id"))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("community_residents.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


# -- dispute mediation (矛盾纠纷调解) ---------------------------------------------------------
class DisputeRow(Base):
    __tablename__ = "community_disputes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(24), index=True)
    level: Mapped[str] = mapped_column(String(12))  # community | street | district
    region_code: Mapped[str] = mapped_column(String(20), index=True)  # grid or community
    parties: Mapped[list[Any]]
    mediator: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(12))  # open|mediating|settled|failed|closed
    opened_at: Mapped[datetime]
    level_since: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    settled_at: Mapped[datetime | None]
    agreement: Mapped[str] = mapped_column(Text, default="")
    follow_up_due: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    follow_up: Mapped[str] = mapped_column(Text, default="")
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class DisputeEventRow(Base):
    """The case's history: sessions, escalations, agreement, follow-up (insert-only)."""

    __tablename__ = "community_dispute_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("community_disputes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    actor_name: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]]
