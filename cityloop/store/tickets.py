"""Ticket numbers (受理编号) such as 20261124-000123: per day, in the order appeals are recorded.

Every worker draws from one sequence per day, inside the transaction that writes the appeal:

* PostgreSQL: a sequence per day (``ticket_seq_YYYYMMDD``), taken by the one intake statement
  (fast_insert.py) or by the unit of work. A sequence hands out numbers without holding a lock
  until commit — a counter row would serialise every intake behind the previous one's WAL flush
  (measured: ~1 000 commits/s on one row against ~3 500/s without it, bench/intake_bench.py).
  A number is consumed only when the appeal is written: the intake statement skips it for an
  external id already taken, so gaps come only from a crash or two simultaneous copies of one
  appeal. The sequence starts after the highest number the day already has, so a migration or
  restore continues without a clash.
* SQLite: the day's row in ``ticket_counters``, incremented as the first statement of the
  intake's transaction; SQLite writes one transaction at a time anyway, and a failed intake rolls
  its increment back.
"""

from __future__ import annotations

import re
import threading
from contextlib import suppress
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = [
    "COUNTER_UPSERT",
    "ensure_day_sequence",
    "format_ticket",
    "sequence_name",
    "take_ticket",
    "ticket_day",
]

# Portable upsert (PostgreSQL ≥ 9.5, SQLite ≥ 3.35): creates the day's row at 1 or adds 1.
COUNTER_UPSERT = (
    "INSERT INTO ticket_counters (day, value) VALUES ({day}, 1) "
    "ON CONFLICT (day) DO UPDATE SET value = ticket_counters.value + 1 "
    "RETURNING value"
)
_TAKE_COUNTER = text(COUNTER_UPSERT.format(day=":day"))
_TAKE_SEQUENCE = text("SELECT nextval(CAST(:seq AS regclass))")
_DAY = re.compile(r"^\d{8}$")
# The highest number a day already has; the range on the unique index finds it at once.
_TOP = text(
    "SELECT MAX(CAST(SUBSTR(ticket_no, 10) AS INTEGER)) FROM appeals "
    "WHERE ticket_no >= :lo AND ticket_no < :hi"
)
_created: set[tuple[str, str]] = set()  # (database, day) whose sequence this process has seen
_lock = threading.Lock()


def ticket_day(local_time: datetime) -> str:
    """The counter key: the day of receipt in the city's local time, ``YYYYMMDD``."""
    return local_time.strftime("%Y%m%d")


def format_ticket(day: str, number: int) -> str:
    # Six digits as the hotline prints them; a day beyond 999 999 appeals simply grows a digit.
    return f"{day}-{number:06d}"


def sequence_name(day: str) -> str:
    if not _DAY.match(day):  # the name goes into DDL: only the eight digits may vary
        raise ValueError(f"ticket day must be YYYYMMDD, got {day!r}")
    return f"ticket_seq_{day}"


def ensure_day_sequence(engine: Engine, day: str) -> str:
    """Create the day's sequence once (PostgreSQL), in its own short transaction, not inside
    the intake's; cheap after the first call of the day in a process."""
    name = sequence_name(day)
    key = (engine.url.render_as_string(hide_password=True), day)
    if key in _created:
        return name
    with _lock:
        if key not in _created:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                top = conn.execute(_TOP, {"lo": f"{day}-", "hi": f"{day}."}).scalar() or 0
                # Another worker may create it at the same instant (IF NOT EXISTS is not
                # atomic against a concurrent CREATE): then it exists, which is all we need.
                with suppress(DBAPIError):
                    conn.execute(
                        text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(top) + 1}")
                    )
            _created.add(key)
    return name


def take_ticket(conn: Connection, day: str) -> str:
    """The day's next number, taken inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        seq = ensure_day_sequence(conn.engine, day)
        number = conn.execute(_TAKE_SEQUENCE, {"seq": seq}).scalar_one()
    else:
        number = conn.execute(_TAKE_COUNTER, {"day": day}).scalar_one()
    return format_ticket(day, int(number))
