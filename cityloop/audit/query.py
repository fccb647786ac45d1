"""The auditor's reading of the trail: filters, pages with counts, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cityloop.store.models import AuditRow


@dataclass(frozen=True)
class AuditFilter:
    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None  # name or user id
    action: str | None = None  # exact, or a prefix ending in "." ("config.")
    target: str | None = None  # substring
    result: str | None = None  # success | failure


def _where(query: Select[Any], f: AuditFilter) -> Select[Any]:
    if f.start is not None:
        query = query.where(AuditRow.at >= f.start)
    if f.end is not None:
        query = query.where(AuditRow.at < f.end)
    if f.actor:
        if f.actor.isdigit():
            query = query.where(AuditRow.actor_id == int(f.actor))
        else:
            query = query.where(AuditRow.actor_name == f.actor)
    if f.action:
        if f.action.endswith("."):
            query = query.where(AuditRow.action.startswith(f.action, autoescape=True))
        else:
            query = query.where(AuditRow.action == f.action)
    if f.target:
        query = query.where(AuditRow.target.contains(f.target, autoescape=True))
    if f.result:
        query = query.where(AuditRow.result == f.result)
    return query


def record_view(r: AuditRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "actor_id": r.actor_id,
        "actor_name": r.actor_name,
        "role": r.role,
        "source": r.source,
        "user_agent": r.user_agent,
        "action": r.action,
        "target": r.target,
        "result": r.result,
        "detail": r.detail,
        "chain_seq": r.chain_seq,
        "sealed": r.chain_seq is not None,
    }


def page(session: Session, f: AuditFilter, offset: int, limit: int) -> dict[str, Any]:
    total = session.execute(_where(select(func.count()).select_from(AuditRow), f)).scalar_one()
    failures = session.execute(
        _where(select(func.count()).select_from(AuditRow), f).where(AuditRow.result == "failure")
    ).scalar_one()
    rows = session.execute(
        _where(select(AuditRow), f).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
    ).scalars()
    return {
        "total": total,
        "failures": failures,
        "offset": offset,
        "limit": limit,
        "items": [record_view(r) for r in rows],
    }


CSV_COLUMNS = (
    ("id", "编号"),
    ("at", "时间"),
    ("actor_name", "操作人"),
    ("role", "角色"),
    ("source", "来源地址"),
    ("action", "事件"),
    ("target", "对象"),
    ("result", "结果"),
    ("detail", "详情"),
    ("chain_seq", "链序号"),
)


def csv_lines(session: Session, f: AuditFilter) -> Iterator[str]:
    """The filtered records as CSV (UTF-8 with BOM so that Excel reads the Chinese heads)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([zh for _, zh in CSV_COLUMNS])
    yield "\ufeff" + buf.getvalue()
    query = _where(select(AuditRow), f).order_by(AuditRow.id).execution_options(yield_per=1000)
    for r in session.execute(query).scalars():
        buf.seek(0)
        buf.truncate()
        view = record_view(r)
        view["detail"] = json.dumps(r.detail, ensure_ascii=False)
        writer.writerow([_cell(view[k]) for k, _ in CSV_COLUMNS])
        yield buf.getvalue()


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
