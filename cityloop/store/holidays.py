"""The holiday calendar's tables: the State Council's arrangement per year, as data.

``holiday_days`` lists the exceptions to the Monday–Friday week: days off (法定节假日 and the
weekend days inside a holiday block) and make-up working days (调休上班). ``holiday_years``
says which years have an arrangement at all; each edit of a year raises its ``revision``, so
``calendar_stamp`` — one small aggregate — tells every worker whether its copy is stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, Connection, Date, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from cityloop.store.models import Base

__all__ = [
    "HOLIDAY",
    "WORKDAY",
    "CalendarSnapshot",
    "HolidayDayRow",
    "HolidayYearRow",
    "calendar_stamp",
    "load_snapshot",
    "package_arrangement",
]

HOLIDAY = "holiday"  # a day off although it may be Monday–Friday
WORKDAY = "workday"  # a make-up working day (调休), usually a Saturday or Sunday

# chinese_calendar names its holidays in English; the console and the CSV use Chinese.
PACKAGE_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class HolidayYearRow(Base):
    """A year whose arrangement is in the table (holiday_days is then authoritative for it)."""

    __tablename__ = "holiday_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))  # chinesecalendar | admin | import
    revision: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(80))


class HolidayDayRow(Base):
    __tablename__ = "holiday_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # HOLIDAY | WORKDAY
    name: Mapped[str] = mapped_column(String(40))  # 春节, 国庆节调休 …
    source: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(80))


@dataclass(frozen=True)
class CalendarSnapshot:
    """The table as one worker last read it."""

    stamp: tuple[int, int]
    years: frozenset[int]
    workday: dict[date, bool]  # the listed days: True = make-up working day, False = day off


def calendar_stamp(conn: Connection) -> tuple[int, int]:
    """(years, total revisions): changes with every edit, read from a table of a few rows."""
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(HolidayYearRow.revision), 0))
    ).one()
    return int(count), int(total)


def load_snapshot(conn: Connection) -> CalendarSnapshot:
    stamp = calendar_stamp(conn)
    years = frozenset(int(y) for y in conn.execute(select(HolidayYearRow.year)).scalars())
    workday = {
        day: kind == WORKDAY
        for day, kind in conn.execute(select(HolidayDayRow.day, HolidayDayRow.kind))
    }
    return CalendarSnapshot(stamp, years, workday)


def package_arrangement() -> dict[int, list[tuple[date, str, str]]]:
    """The `chinesecalendar` package's arrangement: year → [(day, kind, Chinese name)]."""
    import chinese_calendar

    out: dict[int, list[tuple[date, str, str]]] = {}
    for table, kind, suffix in (
        (chinese_calendar.holidays, HOLIDAY, ""),
        (chinese_calendar.workdays, WORKDAY, "调休"),
    ):
        for day, name in table.items():
            zh = PACKAGE_NAMES_ZH.get(name, name)
            out.setdefault(day.year, []).append((day, kind, f"{zh}{suffix}"))
    for days in out.values():
        days.sort()
    return out
