"""知识库 use cases: administrators keep questions and answers per category; operators search
them while the caller is on the line, answer, and close the consultation directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Action
from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.knowledge.store import KnowledgeEntryRow
from cityloop.nlp.segment import tokenize
from cityloop.services.context import CityLoop
from cityloop.services.order_scope import NotFound
from cityloop.store.models import OrderEventRow, utcnow

__all__ = [
    "COLUMNS",
    "Entry",
    "count_use",
    "create",
    "delete",
    "get",
    "import_rows",
    "search",
    "stats",
    "update_entry",
]

COLUMNS = ["category_code", "question", "answer", "keywords"]
_LIMITS = {"question": (2, 300), "answer": (2, 4000), "keywords": (0, 300)}


@dataclass(frozen=True)
class Entry:
    """One question and its answer, as an administrator writes it."""

    question: str
    answer: str
    category_code: str = ""
    keywords: str = ""
    active: bool = True


def _view(ctx: CityLoop, row: KnowledgeEntryRow) -> dict[str, Any]:
    ref = ctx.reference.get()
    return {
        "id": row.id,
        "category_code": row.category_code or None,
        "category_path": ref.category_paths.get(row.category_code or ""),
        "question": row.question,
        "answer": row.answer,
        "keywords": row.keywords,
        "active": row.active,
        "used_count": row.used_count,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _problems(ctx: CityLoop, entry: Entry) -> list[InvalidCommand]:
    """Everything wrong with an entry, field by field."""
    out: list[InvalidCommand] = []
    for name, (low, high) in _LIMITS.items():
        value = getattr(entry, name).strip()
        if len(value) < low:
            out.append(InvalidCommand(name, "string_too_short", {"min_length": low}))
        elif len(value) > high:
            out.append(InvalidCommand(name, "string_too_long", {"max_length": high}))
    if entry.category_code and entry.category_code not in ctx.reference.get().categories:
        out.append(
            InvalidCommand("category_code", "unknown_category", {"code": entry.category_code})
        )
    return out


def _check(ctx: CityLoop, entry: Entry) -> Entry:
    problems = _problems(ctx, entry)
    if problems:
        raise problems[0]
    return Entry(
        entry.question.strip(),
        entry.answer.strip(),
        entry.category_code.strip(),
        " ".join(entry.keywords.split()),
        entry.active,
    )


def _taken(session: Any, entry: Entry, except_id: int | None = None) -> bool:
    stmt = select(KnowledgeEntryRow.id).where(
        KnowledgeEntryRow.category_code == entry.category_code,
        KnowledgeEntryRow.question == entry.question,
    )
    found = session.execute(stmt).scalar_one_or_none()
    return found is not None and found != except_id


def create(ctx: CityLoop, entry: Entry, actor: Actor) -> dict[str, Any]:
    entry = _check(ctx, entry)
    with ctx.uow() as uow:
        if _taken(uow.session, entry):
            raise InvalidCommand("question", "question_exists")
        row = KnowledgeEntryRow(
            category_code=entry.category_code,
            question=entry.question,
            answer=entry.answer,
            keywords=entry.keywords,
            active=entry.active,
            used_count=0,
            updated_at=utcnow(),
            updated_by=actor.name,
        )
        uow.session.add(row)
        uow.session.flush()
        view = _view(ctx, row)
        uow.commit()
    return view


def get(ctx: CityLoop, entry_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = uow.session.get(KnowledgeEntryRow, entry_id)
        if row is None:
            raise NotFound(entry_id)
        return _view(ctx, row)


def update_entry(ctx: CityLoop, entry_id: int, entry: Entry, actor: Actor) -> dict[str, Any]:
    entry = _check(ctx, entry)
    with ctx.uow() as uow:
        row = uow.session.get(KnowledgeEntryRow, entry_id)
        if row is None:
            raise NotFound(entry_id)
        if _taken(uow.session, entry, entry_id):
            raise InvalidCommand("question", "question_exists")
        row.category_code, row.question, row.answer = (
            entry.category_code,
            entry.question,
            entry.answer,
        )
        row.keywords, row.active = entry.keywords, entry.active
        row.updated_at, row.updated_by = utcnow(), actor.name
        view = _view(ctx, row)
        uow.commit()
    return view


def delete(ctx: CityLoop, entry_id: int) -> None:
    with ctx.uow() as uow:
        row = uow.session.get(KnowledgeEntryRow, entry_id)
        if row is None:
            raise NotFound(entry_id)
        uow.session.delete(row)
        uow.commit()


def _score(terms: list[str], row: KnowledgeEntryRow) -> float:
    head = f"{row.question} {row.keywords}"
    return sum(2.0 * head.count(t) + 0.5 * row.answer.count(t) for t in terms)


def search(
    ctx: CityLoop,
    q: str = "",
    category: str | None = None,
    *,
    include_inactive: bool = False,
    limit: int = 10,
) -> dict[str, Any]:
    """Entries best matching the words of ``q`` (question and keywords count most), within
    the category's family when one is given (its own, its parents' and its children's)."""
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        stmt = select(KnowledgeEntryRow)
        if not include_inactive:
            stmt = stmt.where(KnowledgeEntryRow.active.is_(True))
        rows = list(uow.session.execute(stmt.order_by(KnowledgeEntryRow.id)).scalars())
        if category:
            family = set(ref.category_ancestry(category)) | {category}
            rows = [
                r
                for r in rows
                if not r.category_code
                or r.category_code in family
                or r.category_code.startswith(category)
            ]
        terms = [t for t in dict.fromkeys(tokenize(q)) if len(t) > 1 or not t.isascii()]
        if q.strip() and not terms:
            terms = [q.strip()]
        if terms:
            scored = [(s, r) for r in rows if (s := _score(terms, r)) > 0]
            scored.sort(key=lambda x: (-x[0], -x[1].used_count, x[1].id))
            rows = [r for _, r in scored]
        else:
            rows.sort(key=lambda r: (-r.used_count, r.id))
        items = [{**_view(ctx, r), "matched": [t for t in terms if t in _text(r)]} for r in rows]
    return {"items": items[:limit], "total": len(items), "terms": terms}


def _text(row: KnowledgeEntryRow) -> str:
    return f"{row.question} {row.keywords} {row.answer}"


def count_use(ctx: CityLoop, entry_id: int) -> None:
    """One more consultation closed with this answer."""
    with ctx.uow() as uow:
        uow.session.execute(
            update(KnowledgeEntryRow)
            .where(KnowledgeEntryRow.id == entry_id)
            .values(used_count=KnowledgeEntryRow.used_count + 1)
        )
        uow.commit()


def import_rows(
    ctx: CityLoop, rows: list[tuple[int, dict[str, str]]], actor: Actor
) -> dict[str, int]:
    """Rows of a CSV or Excel sheet (category_code, question, answer[, keywords]): a question
    already in its category gets the new answer, others are added. All or nothing; every
    problem names its line and column."""
    problems: list[ImportProblem] = []
    entries: list[tuple[int, Entry]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in rows:
        entry = Entry(
            question=values.get("question", ""),
            answer=values.get("answer", ""),
            category_code=values.get("category_code", ""),
            keywords=values.get("keywords", ""),
        )
        found = _problems(ctx, entry)
        problems += [
            ImportProblem(line, p.field, p.message_zh, message_en=p.message) for p in found
        ]
        key = (entry.category_code.strip(), entry.question.strip())
        if not found and key in seen:
            first = seen[key]
            problems.append(
                ImportProblem(line, "question", f"与第 {first} 行重复 / repeats line {first}")
            )
        seen.setdefault(key, line)
        if not found:
            entries.append((line, _check(ctx, entry)))
    if not rows:
        problems.append(ImportProblem(1, "file", "文件中没有数据行 / no rows in the file"))
    if problems:
        raise ImportRejected(problems, "line")
    added = updated = 0
    now = utcnow()
    with ctx.uow() as uow:
        existing = {
            (r.category_code, r.question): r
            for r in uow.session.execute(select(KnowledgeEntryRow)).scalars()
        }
        for _, e in entries:
            row = existing.get((e.category_code, e.question))
            if row is None:
                uow.session.add(
                    KnowledgeEntryRow(
                        category_code=e.category_code,
                        question=e.question,
                        answer=e.answer,
                        keywords=e.keywords,
                        active=True,
                        used_count=0,
                        updated_at=now,
                        updated_by=actor.name,
                    )
                )
                added += 1
            else:
                row.answer, row.keywords, row.active = e.answer, e.keywords, True
                row.updated_at, row.updated_by = now, actor.name
                updated += 1
        uow.commit()
    return {"added": added, "updated": updated}


def stats(ctx: CityLoop, since: datetime, until: datetime) -> dict[str, Any]:
    """Consultations closed on the call (直接办结) in a period, and the answers used most."""
    with ctx.uow() as uow:
        closed = uow.session.execute(
            select(func.count())
            .select_from(OrderEventRow)
            .where(
                OrderEventRow.action == Action.ANSWER.value,
                OrderEventRow.at >= since,
                OrderEventRow.at <= until,
            )
        ).scalar_one()
        top = uow.session.execute(
            select(KnowledgeEntryRow)
            .where(KnowledgeEntryRow.used_count > 0)
            .order_by(KnowledgeEntryRow.used_count.desc(), KnowledgeEntryRow.id)
            .limit(10)
        ).scalars()
        used = [{"id": r.id, "question": r.question, "used_count": r.used_count} for r in top]
    return {"since": since, "until": until, "answered_on_call": int(closed), "top": used}
