"""Tables of the micro-grid group chats (微网格长微信群主题数据库): micro-grids below the unit
grid with their leaders, their building groups, the messages those groups settle into, and the
topics the messages gather into."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, BigId


class MicroGridRow(Base):
    """微网格: one building or a few, with its leader (微网格长), inside a unit grid."""

    __tablename__ = "micro_grids"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("community_estates.id"))
    buildings: Mapped[list[Any]]  # building names as residents say them: ["3栋"]
    leader_name: Mapped[str] = mapped_column(String(80))
    leader_kind: Mapped[str] = mapped_column(String(10))  # resident | worker
    leader_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime]


class ChatGroupRow(Base):
    """A group of a micro-grid (楼栋群) on WeCom, or kept as exports."""

    __tablename__ = "chat_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    micro_grid_id: Mapped[int] = mapped_column(ForeignKey("micro_grids.id"), index=True)
    platform: Mapped[str] = mapped_column(String(10))  # wecom | export
    external_id: Mapped[str] = mapped_column(String(80))  # WeCom roomid, or a name
    name: Mapped[str] = mapped_column(String(100))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_chat_groups_external"),)


class ChatTopicRow(Base):
    """主题: messages about the same matter over days and across groups of one estate."""

    __tablename__ = "chat_topics"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    estate_key: Mapped[str] = mapped_column(String(40), index=True)
    grid_code: Mapped[str] = mapped_column(String(20), index=True)
    micro_grid_id: Mapped[int] = mapped_column(ForeignKey("micro_grids.id"))
    title: Mapped[str] = mapped_column(String(120))  # the first message, masked
    objects: Mapped[list[Any]]
    places: Mapped[dict[str, Any]]
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(Integer, default=0)
    residents: Mapped[int] = mapped_column(Integer, default=0)
    # open → escalated (enough residents) → confirmed (an order) | dismissed
    status: Mapped[str] = mapped_column(String(10), default="open")
    work_order_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (Index("ix_chat_topics_status", "status", "last_at"),)


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id"))
    external_id: Mapped[str] = mapped_column(String(80))
    sender_key: Mapped[str] = mapped_column(String(64))  # keyed hash: counts people, names none
    sender_nick: Mapped[str] = mapped_column(String(80))  # shown masked to most roles
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    why: Mapped[str] = mapped_column(String(40), default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("chat_topics.id"), index=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # questions
    __table_args__ = (
        UniqueConstraint("group_id", "external_id", name="uq_chat_messages_external"),
        Index("ix_chat_messages_group_time", "group_id", "sent_at"),
    )
