"""Tables of the analytics package, registered on the shared metadata.

- `analytics_workdays`: one row per calendar day with the working seconds of all earlier days,
  so working time between two instants is a difference of two lookups in SQL;
- `analytics_kpi_daily` / `analytics_kpi_hist`: the KPI rollup, one row per (dimension,
  scope, day, member) with the counts of `formulas.COUNTS`, and per month histograms of
  working-hour durations; `scope` is '' for the whole city or the code of the district or
  street the row is limited to (a supervisor's jurisdiction);
- `analytics_state`: small key/value state (calendar signature, rollup watermark).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base, OrderEventRow, WorkOrderRow


class WorkDayRow(Base):
    __tablename__ = "analytics_workdays"
    dayno: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10))
    workday: Mapped[bool] = mapped_column(Boolean)
    cum_before: Mapped[float] = mapped_column(Float)  # working seconds from the base day
    month_start: Mapped[int] = mapped_column(Integer)  # dayno of the first of its month


class KpiDailyRow(Base):
    __tablename__ = "analytics_kpi_daily"
    dim: Mapped[str] = mapped_column(String(12), primary_key=True)
    scope: Mapped[str] = mapped_column(String(15), primary_key=True, default="")
    dayno: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    member: Mapped[str] = mapped_column(String(40), primary_key=True)
    intake: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    urges: Mapped[int] = mapped_column(Integer, default=0)
    urged_orders: Mapped[int] = mapped_column(Integer, default=0)
    on_spot: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # m0001
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    accepted_in_limit: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    accept_ws: Mapped[float] = mapped_column(Float, default=0.0)
    due: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    good: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    reply_ws: Mapped[float] = mapped_column(Float, default=0.0)


class KpiHistRow(Base):
    """Duration histograms per month (dayno of the month's first day): p90 for whole months."""

    __tablename__ = "analytics_kpi_hist"
    dim: Mapped[str] = mapped_column(String(12), primary_key=True)
    scope: Mapped[str] = mapped_column(String(15), primary_key=True, default="")
    dayno: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    member: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(6), primary_key=True)  # accept | reply
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class AnalyticsStateRow(Base):
    __tablename__ = "analytics_state"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime]


# Indexes on core tables that the KPI queries range over (migration a0001).
Index("ix_work_orders_replied_at", WorkOrderRow.replied_at)
Index("ix_order_events_action_at", OrderEventRow.action, OrderEventRow.at)
