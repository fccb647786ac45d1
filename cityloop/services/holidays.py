"""The holiday calendar as data (节假日与调休): list, edit, import, and warn when a year is missing.

Every change is one transaction with its audit row; the editing worker re-reads the calendar at
once, the others within `calendar_refresh_seconds` (workcalendar.DatabaseWorkCalendar). Edits
change deadlines computed afterwards; deadlines already stored move only with
`cityloop deadlines recompute` (services/recompute.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.import_problems import ImportProblem, ImportRejected
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import TERMINAL
from cityloop.importers import decode_table
from cityloop.services.context import CityLoop
from cityloop.store.holidays import (
    HOLIDAY,
    WORKDAY,
    HolidayDayRow,
    HolidayYearRow,
    package_arrangement,
)
from cityloop.store.models import WorkOrderRow, utcnow
from cityloop.store.repositories import add_audit

__all__ = [
    "DayEntry",
    "calendar_status",
    "decode_csv",
    "import_csv",
    "list_year",
    "parse_csv",
    "remove_days",
    "seed_from_package",
    "set_days",
]

KIND_LABELS = {HOLIDAY: "休", WORKDAY: "班"}
# What administrators write in the kind column, in either language.
_KIND_WORDS = {
    "holiday": HOLIDAY,
    "休": HOLIDAY,
    "假": HOLIDAY,
    "休息": HOLIDAY,
    "放假": HOLIDAY,
    "节假日": HOLIDAY,
    "workday": WORKDAY,
    "班": WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    "补班": WORKDAY,
    "工作日": WORKDAY,
}
MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX = 40
# From this month on the next year's arrangement is due (the State Council publishes it in
# late autumn) and December orders already fall due in it.
WARN_FROM_MONTH = 11


@dataclass(frozen=True)
class DayEntry:
    day: date
    kind: str  # HOLIDAY | WORKDAY
    name: str


def _editor(actor: Actor | None) -> str:
    return (actor.name if actor else "命令行 cli")[:80]


_COLUMN_ZH = {"day": "日期", "kind": "类型", "name": "名称"}  # the import file's columns


def _check_entry(entry: DayEntry) -> InvalidCommand | None:
    """Why the entry cannot be stored (its field: day, kind or name), or None."""
    if not MIN_YEAR <= entry.day.year <= MAX_YEAR:
        return InvalidCommand("day", "holiday_year_range", {"min": MIN_YEAR, "max": MAX_YEAR})
    if entry.kind not in (HOLIDAY, WORKDAY):
        return InvalidCommand("kind", "holiday_kind")
    if entry.kind == WORKDAY and entry.day.weekday() < 5:
        return InvalidCommand("kind", "makeup_day_weekend", {"day": entry.day})
    if not entry.name.strip():
        return InvalidCommand("name", "holiday_name_required")
    if len(entry.name) > NAME_MAX:
        return InvalidCommand("name", "string_too_long", {"max_length": NAME_MAX})
    return None


def _touch_year(session: Session, year: int, source: str, editor: str) -> None:
    """Bump the year's revision (the workers' stamp); a year not yet in the table first takes
    the package's arrangement, so one edit does not wipe the year's other holidays."""
    row = session.get(HolidayYearRow, year)
    now = utcnow()
    if row is None:
        for day, kind, name in package_arrangement().get(year, []):
            session.add(
                HolidayDayRow(
                    day=day,
                    year=year,
                    kind=kind,
                    name=name,
                    source="chinesecalendar",
                    updated_at=now,
                    updated_by="chinesecalendar",
                )
            )
        session.add(
            HolidayYearRow(year=year, source=source, revision=1, updated_at=now, updated_by=editor)
        )
        session.flush()
        return
    row.revision += 1
    row.source, row.updated_at, row.updated_by = source, now, editor


def _after_edit(ctx: CityLoop) -> None:
    invalidate = getattr(ctx.sla.calendar, "invalidate", None)
    if invalidate is not None:
        invalidate()


def _entry_json(e: DayEntry) -> dict[str, str]:
    return {"day": e.day.isoformat(), "kind": e.kind, "name": e.name}


def set_days(
    ctx: CityLoop,
    actor: Actor | None,
    entries: Sequence[DayEntry],
    *,
    source: str = "admin",
    client: str | None = None,
) -> dict[str, Any]:
    """Add or change days (all or nothing); returns what was set."""
    if not entries:
        raise InvalidCommand("days", "too_short", {"min_length": 1})
    seen: set[date] = set()
    for i, e in enumerate(entries):
        problem = _check_entry(e)
        if problem is None and e.day in seen:
            problem = InvalidCommand("day", "listed_twice", {"value": e.day})
        if problem:
            raise InvalidCommand(f"days[{i}]", problem.code, problem.params)
        seen.add(e.day)
    editor = _editor(actor)
    with ctx.uow() as uow:
        s = uow.session
        for year in sorted({e.day.year for e in entries}):
            _touch_year(s, year, source, editor)
        now = utcnow()
        for e in entries:
            row = s.get(HolidayDayRow, e.day)
            if row is None:
                row = HolidayDayRow(day=e.day, year=e.day.year)
                s.add(row)
            row.kind, row.name, row.source = e.kind, e.name.strip(), source
            row.updated_at, row.updated_by = now, editor
        add_audit(
            s,
            actor,
            "holiday_calendar_set",
            ",".join(str(y) for y in sorted({e.day.year for e in entries})),
            {"days": [_entry_json(e) for e in entries]},
            source=client,
        )
        uow.after_commit(lambda: _after_edit(ctx))
        uow.commit()
    return {"set": [_entry_json(e) for e in entries]}


def remove_days(
    ctx: CityLoop, actor: Actor | None, days: Sequence[date], *, client: str | None = None
) -> dict[str, Any]:
    """Take days off the list (they become ordinary Monday–Friday / weekend days)."""
    if not days:
        raise InvalidCommand("days", "too_short", {"min_length": 1})
    editor = _editor(actor)
    with ctx.uow() as uow:
        s = uow.session
        for year in sorted({d.year for d in days}):
            _touch_year(s, year, "admin", editor)
        removed = []
        for i, d in enumerate(days):
            row = s.get(HolidayDayRow, d)
            if row is None:
                raise InvalidCommand(f"days[{i}]", "not_in_calendar", {"day": d})
            removed.append({"day": d.isoformat(), "kind": row.kind, "name": row.name})
            s.delete(row)
        add_audit(
            s,
            actor,
            "holiday_calendar_remove",
            ",".join(str(y) for y in sorted({d.year for d in days})),
            {"removed": removed},
            source=client,
        )
        uow.after_commit(lambda: _after_edit(ctx))
        uow.commit()
    return {"removed": removed}


# -- CSV import ---------------------------------------------------------------------------------

_COLUMNS = {
    "day": ("日期", "date", "day"),
    "kind": ("类型", "kind", "type"),
    "name": ("名称", "name", "节日"),
}


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    for sep in ("年", "月"):
        cleaned = cleaned.replace(sep, "-")
    cleaned = cleaned.rstrip("日")
    y, m, d = (int(p) for p in cleaned.split("-"))
    return date(y, m, d)


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel saves it in China, or an Excel
    workbook (.xlsx, its first sheet)."""
    return decode_table(raw)


def parse_csv(text: str) -> list[DayEntry]:
    """Rows ``日期,类型,名称`` (or ``date,kind,name``); every problem names its line (1 = the
    header) and column, in Chinese; nothing is returned unless there are none."""
    parser = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        reader = iter(list(parser))
    except csv.Error as exc:  # a line break in an unquoted cell, a NUL …
        problem = ImportProblem.of(parser.line_num or 1, "文件", "file_csv", detail=str(exc))
        raise ImportRejected([problem], "line") from exc
    header = [h.strip().lower() for h in next(reader, [])]
    index: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for key, names in _COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if found:
            index[key] = found[0]
        else:
            problems.append(
                ImportProblem.of(
                    1, names[0], "column_missing", column=names[0], found=header or ["—"]
                )
            )
    if problems:
        raise ImportRejected(problems, "line")
    entries: list[DayEntry] = []
    first_line: dict[date, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            i = index[key]
            return cells[i].strip() if i < len(cells) else ""

        raw_day, raw_kind, name = cell("day"), cell("kind"), cell("name")
        try:
            day = _parse_date(raw_day)
        except ValueError:
            problems.append(ImportProblem.of(line, "日期", "not_date", value=raw_day))
            continue
        kind = _KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            problems.append(
                ImportProblem.of(
                    line,
                    "类型",
                    "not_one_of",
                    value=raw_kind,
                    what="day_kind",
                    choices=["休", "班", "holiday", "workday"],
                )
            )
            continue
        entry = DayEntry(day, kind, name)
        reason = _check_entry(entry)
        if reason:
            field = _COLUMN_ZH[reason.field]
            zh, en = reason.message_zh, reason.message
            problems.append(ImportProblem.of(line, field, "holiday_rule", detail=zh, detail_en=en))
            continue
        if day in first_line:
            problems.append(
                ImportProblem.of(
                    line, "日期", "duplicate_line", value=str(day), first=first_line[day]
                )
            )
            continue
        first_line[day] = line
        entries.append(entry)
    if problems:
        raise ImportRejected(problems, "line")
    if not entries:
        raise ImportRejected([ImportProblem.of(2, "日期", "no_days")], "line")
    return entries


def import_csv(
    ctx: CityLoop, actor: Actor | None, text: str, *, client: str | None = None
) -> dict[str, Any]:
    """Replace the arrangement of every year the file lists (all or nothing, audited)."""
    entries = parse_csv(text)
    years = sorted({e.day.year for e in entries})
    editor = _editor(actor)
    with ctx.uow() as uow:
        s = uow.session
        replaced = s.execute(
            select(func.count()).select_from(HolidayDayRow).where(HolidayDayRow.year.in_(years))
        ).scalar_one()
        s.execute(delete(HolidayDayRow).where(HolidayDayRow.year.in_(years)))
        now = utcnow()
        for year in years:
            row = s.get(HolidayYearRow, year)
            if row is None:
                s.add(
                    HolidayYearRow(
                        year=year, source="import", revision=1, updated_at=now, updated_by=editor
                    )
                )
            else:
                row.revision += 1
                row.source, row.updated_at, row.updated_by = "import", now, editor
        for e in entries:
            s.add(
                HolidayDayRow(
                    day=e.day,
                    year=e.day.year,
                    kind=e.kind,
                    name=e.name,
                    source="import",
                    updated_at=now,
                    updated_by=editor,
                )
            )
        summary = {
            "years": years,
            "days": len(entries),
            "holidays": sum(e.kind == HOLIDAY for e in entries),
            "workdays": sum(e.kind == WORKDAY for e in entries),
            "replaced": int(replaced),
        }
        add_audit(
            s, actor, "holiday_calendar_import", ",".join(map(str, years)), summary, source=client
        )
        uow.after_commit(lambda: _after_edit(ctx))
        uow.commit()
    return summary


def seed_from_package(ctx: CityLoop, actor: Actor | None) -> dict[str, Any]:
    """Add the years the installed `chinesecalendar` knows and the table lacks (after a package
    upgrade); years already in the table are left as administrators made them."""
    arrangement = package_arrangement()
    with ctx.uow() as uow:
        s = uow.session
        have = set(s.execute(select(HolidayYearRow.year)).scalars())
        added = sorted(y for y in arrangement if y not in have)
        for year in added:
            _touch_year(s, year, "chinesecalendar", "chinesecalendar")
        if added:
            add_audit(
                s, actor, "holiday_calendar_seed", ",".join(map(str, added)), {"years": added}
            )
        uow.after_commit(lambda: _after_edit(ctx))
        uow.commit()
    return {"added_years": added}


# -- reading ------------------------------------------------------------------------------------


def _arranged_years(s: Session) -> set[int]:
    years = set(s.execute(select(HolidayYearRow.year)).scalars())
    # A database never seeded falls back to the package (as the calendar itself does).
    return years or set(package_arrangement())


def list_year(ctx: CityLoop, year: int) -> dict[str, Any]:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidCommand("year", "holiday_year_range", {"min": MIN_YEAR, "max": MAX_YEAR})
    source: str | None
    with ctx.uow() as uow:
        s = uow.session
        meta = s.get(HolidayYearRow, year)
        if meta is not None:
            rows: Iterable[Any] = s.execute(
                select(HolidayDayRow).where(HolidayDayRow.year == year).order_by(HolidayDayRow.day)
            ).scalars()
            days = [
                {
                    "day": r.day.isoformat(),
                    "weekday": r.day.isoweekday(),
                    "kind": r.kind,
                    "name": r.name,
                    "source": r.source,
                    "updated_at": r.updated_at,
                    "updated_by": r.updated_by,
                }
                for r in rows
            ]
            source = meta.source
        else:
            listed = package_arrangement().get(year, []) if not _has_years(s) else []
            days = [
                {
                    "day": d.isoformat(),
                    "weekday": d.isoweekday(),
                    "kind": k,
                    "name": n,
                    "source": "chinesecalendar",
                    "updated_at": None,
                    "updated_by": None,
                }
                for d, k, n in listed
            ]
            source = "chinesecalendar" if listed else None
    return {
        "year": year,
        "arranged": meta is not None or bool(days),
        "source": source,
        "revision": meta.revision if meta else None,
        "updated_at": meta.updated_at if meta else None,
        "updated_by": meta.updated_by if meta else None,
        "holidays": sum(d["kind"] == HOLIDAY for d in days),
        "workdays": sum(d["kind"] == WORKDAY for d in days),
        "days": days,
    }


def _has_years(s: Session) -> bool:
    return s.execute(select(HolidayYearRow.year).limit(1)).first() is not None


def calendar_status(ctx: CityLoop, now: datetime | None = None) -> dict[str, Any]:
    """Which years are arranged, and whether administrators must be warned: the current
    year is missing, or it is November or later and next year is."""
    today = ctx.local(now or ctx.clock.now()).date()
    year, nxt = today.year, today.year + 1
    with ctx.uow() as uow:
        s = uow.session
        arranged = _arranged_years(s)
        missing = [y for y in (year, nxt) if y not in arranged]
        due_in_missing = 0
        if nxt in missing:
            start = ctx.local(datetime(nxt, 1, 1, tzinfo=ctx.settings.tz))
            due_in_missing = s.execute(
                select(func.count())
                .select_from(WorkOrderRow)
                .where(
                    WorkOrderRow.due_at >= start,
                    WorkOrderRow.status.not_in([t.value for t in TERMINAL]),
                )
            ).scalar_one()
    warn_years = [y for y in missing if y == year or today.month >= WARN_FROM_MONTH]
    warnings = [
        {
            "code": "holiday_year_missing",
            "params": {"year": y, "open_orders_due_in_year": due_in_missing if y == nxt else 0},
            "zh": (
                f"{y} 年节假日安排尚未录入：{y} 年的时限暂按周一至周五计算，"
                "请按国务院办公厅通知录入或导入。"
            ),
            "en": (
                f"The {y} holiday arrangement is missing: deadlines in {y} count Monday–Friday "
                "only until it is entered or imported."
            ),
        }
        for y in warn_years
    ]
    return {
        "today": today.isoformat(),
        "arranged_years": sorted(arranged),
        "missing_years": missing,
        "warnings": warnings,
    }
