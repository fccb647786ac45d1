"""Ticket numbers (受理编号) such as 20261124-000123.

Numbers are handed out from blocks reserved in the database (hi/lo), so an intake does not
wait on one hot counter row; a block left unused by a restart leaves a gap, never a duplicate.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cityloop.store.models import TicketCounterRow


class TicketAllocator:
    def __init__(self, engine: Engine, block: int = 100) -> None:
        self._engine = engine
        self._block = block
        self._lock = threading.Lock()
        self._day = ""
        self._next = 0
        self._end = 0

    def next(self, local_time: datetime) -> str:
        day = local_time.strftime("%Y%m%d")
        with self._lock:
            if day != self._day or self._next >= self._end:
                self._end = self._reserve(day)
                self._next = self._end - self._block
                self._day = day
            self._next += 1
            return f"{day}-{self._next:06d}"

    def _reserve(self, day: str) -> int:
        """Reserve the next block for `day`; returns the block's (exclusive) upper end."""
        for _ in range(5):
            with Session(self._engine) as session:
                top = session.execute(
                    update(TicketCounterRow)
                    .where(TicketCounterRow.day == day)
                    .values(value=TicketCounterRow.value + self._block)
                    .returning(TicketCounterRow.value)
                ).scalar_one_or_none()
                if top is None:
                    session.add(TicketCounterRow(day=day, value=self._block))
                    try:
                        session.commit()
                    except IntegrityError:  # another worker created the day's row first
                        session.rollback()
                        continue
                    return self._block
                session.commit()
                return int(top)
        raise RuntimeError("could not reserve ticket numbers")
