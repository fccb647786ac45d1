"""The application context: settings, database, clock, SLA clock and caches, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cityloop.domain.sla import OfficeHours, SlaClock
from cityloop.services.clock import Clock, SystemClock
from cityloop.services.reference import ReferenceCache
from cityloop.services.uow import UnitOfWork
from cityloop.settings import Settings
from cityloop.store.db import make_engine, make_session_factory
from cityloop.workcalendar import DatabaseWorkCalendar


@dataclass
class CityLoop:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    sla: SlaClock
    reference: ReferenceCache
    # services.understanding.Understanding, attached by build_context (it needs the context).
    understanding: Any = field(default=None)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.settings.tz)

    def now_local(self) -> datetime:
        return self.local(self.clock.now())


def build_context(settings: Settings, clock: Clock | None = None) -> CityLoop:
    from cityloop.audit.keys import configure

    configure(settings)  # the audit trail's sealing key and algorithm for this process
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    calendar = DatabaseWorkCalendar(
        engine,
        settings.calendar_refresh_seconds,
        extra_holidays={date.fromisoformat(d) for d in settings.extra_holidays},
        extra_workdays={date.fromisoformat(d) for d in settings.extra_workdays},
    )
    ctx = CityLoop(
        settings=settings,
        engine=engine,
        session_factory=factory,
        clock=clock or SystemClock(),
        sla=SlaClock(calendar, OfficeHours.parse(settings.office_hours)),
        reference=ReferenceCache(factory),
    )
    from cityloop.services.understanding import Understanding

    ctx.understanding = Understanding(ctx)
    return ctx
