"""Ticket numbers (受理编号) such as 20261124-000123: per day, in the order appeals are recorded.

The day's number is taken from a per-day counter row (ticket_counters) by the same transaction
that writes the appeal — on PostgreSQL inside the one intake statement (fast_insert.py),
elsewhere as the first statement of the intake's unit of work. The counter's row lock is held
until that transaction ends, so numbers follow the order in which appeals are committed, every
worker draws from the same sequence, and an intake that fails (a duplicate external id, a
crash) rolls its increment back: no blocks, no gaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

__all__ = ["COUNTER_UPSERT", "format_ticket", "take_ticket", "ticket_day"]

# Portable upsert (PostgreSQL ≥ 9.5, SQLite ≥ 3.35): creates the day's row at 1 or adds 1.
COUNTER_UPSERT = (
    "INSERT INTO ticket_counters (day, value) VALUES ({day}, 1) "
    "ON CONFLICT (day) DO UPDATE SET value = ticket_counters.value + 1 "
    "RETURNING value"
)
_TAKE = text(COUNTER_UPSERT.format(day=":day"))


def ticket_day(local_time: datetime) -> str:
    """The counter key: the day of receipt in the city's local time, ``YYYYMMDD``."""
    return local_time.strftime("%Y%m%d")


def format_ticket(day: str, number: int) -> str:
    # Six digits as the hotline prints them; a day beyond 999 999 appeals simply grows a digit.
    return f"{day}-{number:06d}"


def take_ticket(conn: Connection, day: str) -> str:
    """The day's next number, taken inside the caller's transaction (commit or roll back with
    the appeal it numbers)."""
    number = conn.execute(_TAKE, {"day": day}).scalar_one()
    return format_ticket(day, int(number))
