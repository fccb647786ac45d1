"""Administration: regions, departments, taxonomy and the versioned linkage list.

Each import is all-or-nothing: every problem is collected and reported with its row and
field, and nothing is written unless there are none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shapely.geometry import shape
from sqlalchemy import delete, func, select, update

from cityloop.domain.linkage import LinkageRule, default_clock_for, validate_rule
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import Urgency
from cityloop.domain.taxonomy import build_categories, path_key
from cityloop.domain.urgency import CategoryUrgency, parse_category_urgency
from cityloop.geo.gazetteer import GazetteerEntry
from cityloop.geo.regions import ImportProblem, ImportRejected, RegionLevel, parse_regions
from cityloop.importers import Row
from cityloop.services.context import CityLoop
from cityloop.services.reference import STREET_OFFICE
from cityloop.store.models import (
    CategoryRow,
    DepartmentRow,
    GazetteerRow,
    RegionRow,
    RuleRow,
    RuleSetRow,
    utcnow,
)

DEPARTMENT_LEVELS = ("city", "district", "street")
# validate_rule's messages → the import problem codes that word them in both languages
RULE_PROBLEMS = {
    "the lead department cannot also co-handle": "lead_also_co",
    "a department is listed twice": "co_twice",
    "a time limit for normal urgency is required": "normal_limit_required",
}


def import_regions(ctx: CityLoop, collection: Any) -> int:
    with ctx.uow() as uow:
        known = {
            code: RegionLevel(level)
            for code, level in uow.session.execute(select(RegionRow.code, RegionRow.level))
        }
        specs = parse_regions(collection, known)
        for spec in specs:
            center = shape(spec.geometry).representative_point()
            uow.session.add(
                RegionRow(
                    code=spec.code,
                    name=spec.name,
                    level=spec.level.value,
                    parent_code=spec.parent_code,
                    geometry=spec.geometry,
                    center_lon=round(center.x, 6),
                    center_lat=round(center.y, 6),
                )
            )
        uow.after_commit(ctx.reference.invalidate)
        uow.commit()
    return len(specs)


def import_departments(ctx: CityLoop, rows: list[Row]) -> int:
    ref = ctx.reference.get()
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    with ctx.uow() as uow:
        existing = {d.code: d for d in uow.session.execute(select(DepartmentRow)).scalars()}
        for line, v in rows:
            code, name, level = v.get("code", ""), v.get("name", ""), v.get("level", "")
            region = v.get("region_code") or None
            if not code:
                problems.append(ImportProblem.of(line, "code", "required"))
            elif code in seen:
                problems.append(
                    ImportProblem.of(line, "code", "duplicate_line", value=code, first=seen[code])
                )
            seen.setdefault(code, line)
            if not name:
                problems.append(ImportProblem.of(line, "name", "required"))
            if level not in DEPARTMENT_LEVELS:
                problems.append(
                    ImportProblem.of(
                        line,
                        "level",
                        "not_one_of",
                        value=level,
                        what="level",
                        choices=list(DEPARTMENT_LEVELS),
                    )
                )
            if region and region not in ref.regions:
                problems.append(
                    ImportProblem.of(line, "region_code", "unknown_region", value=region)
                )
        if problems:
            raise ImportRejected(problems, "line")
        for _, v in rows:
            row = existing.get(v["code"]) or DepartmentRow(code=v["code"])
            row.name, row.level = v["name"], v["level"]
            row.region_code = v.get("region_code") or None
            row.phone = v.get("phone") or None
            uow.session.add(row)
        uow.after_commit(ctx.reference.invalidate)
        uow.commit()
    return len(rows)


# Columns the taxonomy import reads a category's default urgency from (either name).
URGENCY_COLUMNS = ("默认紧急程度", "default_urgency")


def import_taxonomy(
    ctx: CityLoop,
    rows: list[Row],
    columns: tuple[str, ...],
    urgency_columns: tuple[str, ...] = URGENCY_COLUMNS,
) -> int:
    """Rows of up to three names (一级, 二级, 三级); blanks at the end mean a shallower path.

    An optional default-urgency column (一般/normal, 紧急/urgent, 生命安全/life_safety) sets
    the default of the row's deepest category; blank there means "inherit the parent's". A
    re-import updates the defaults of the rows that carry the column and keeps every code.
    Returns the number of new categories."""
    problems: list[ImportProblem] = []
    paths: list[tuple[str, ...]] = []
    defaults: dict[str, CategoryUrgency | None] = {}  # path → default, for rows that say
    for line, v in rows:
        names = [v.get(c, "") for c in columns]
        while names and not names[-1]:
            names.pop()
        if not names:
            continue
        for level, name in enumerate(names, start=1):
            if not name:
                problems.append(ImportProblem.of(line, columns[level - 1], "path_gap"))
            elif "/" in name:
                problems.append(ImportProblem.of(line, columns[level - 1], "slash_in_name"))
        paths.append(tuple(names))
        column = next((c for c in urgency_columns if c in v), None)
        if column is not None:
            try:
                defaults[path_key(names)] = parse_category_urgency(v[column] or "")
            except ValueError:
                problems.append(ImportProblem.of(line, column, "urgency_value", value=v[column]))
    if problems:
        raise ImportRejected(problems, "line")
    with ctx.uow() as uow:
        existing = {
            p: c for p, c in uow.session.execute(select(CategoryRow.path, CategoryRow.code))
        }
        try:
            categories = build_categories(paths, existing)
        except ValueError as exc:
            problem = ImportProblem.of(0, "category", "taxonomy_conflict", detail=str(exc))
            raise ImportRejected([problem], "line") from exc
        by_code = {c.code: c for c in categories}
        added = 0
        for cat in categories:
            names = []
            code: str | None = cat.code
            while code:
                names.append(by_code[code].name)
                code = by_code[code].parent_code
            path = path_key(reversed(names))
            default = defaults.get(path)
            urgency = default.value if default is not None else None
            if path in existing:
                if path in defaults:
                    uow.session.execute(
                        update(CategoryRow)
                        .where(CategoryRow.path == path)
                        .values(default_urgency=urgency)
                    )
                continue
            uow.session.add(
                CategoryRow(
                    code=cat.code,
                    name=cat.name,
                    level=cat.level,
                    parent_code=cat.parent_code,
                    path=path,
                    default_urgency=urgency,
                )
            )
            added += 1
        uow.after_commit(ctx.reference.invalidate)
        uow.commit()
    return added


def import_rules(ctx: CityLoop, rows: list[Row], source: str) -> int:
    """Validate rules against the taxonomy, regions and departments; store as a new version."""
    ref = ctx.reference.get()
    by_path = {path: code for code, path in ref.category_paths.items()}
    problems: list[ImportProblem] = []
    rules: list[LinkageRule] = []
    first_line: dict[tuple[str, str | None], int] = {}
    for line, v in rows:
        start = len(problems)
        category = v.get("category", "")
        code = category if category in ref.categories else by_path.get(category)
        if code is None:
            problems.append(ImportProblem.of(line, "category", "unknown_category", value=category))
        region = v.get("region_code") or None
        if region and region not in ref.regions:
            problems.append(ImportProblem.of(line, "region_code", "unknown_region", value=region))
        lead = v.get("lead", "")
        if lead not in ref.departments:
            problems.append(ImportProblem.of(line, "lead", "unknown_department", value=lead))
        co = tuple(c.strip() for c in v.get("co", "").split("|") if c.strip())
        for c in co:
            if c not in ref.departments and c != STREET_OFFICE:
                problems.append(ImportProblem.of(line, "co", "unknown_department", value=c))
        limits: dict[Urgency, TimeLimit] = {}
        for urgency in Urgency:
            text = v.get(urgency.value, "")
            if text:
                try:
                    # Urgent limits run on the natural clock unless they say otherwise.
                    limits[urgency] = TimeLimit.parse(text, default_clock_for(urgency))
                except ValueError as exc:
                    zh, _, en = str(exc).partition(" / ")
                    problems.append(
                        ImportProblem.of(
                            line,
                            urgency.value,
                            "time_limit",
                            value=text,
                            detail=zh,
                            detail_en=en or zh,
                        )
                    )
        if len(problems) > start or code is None:
            continue
        rule = LinkageRule(code, lead, co, limits, region)
        problems.extend(
            ImportProblem.of(line, f, RULE_PROBLEMS[m])
            if m in RULE_PROBLEMS
            else ImportProblem(line, f, m)
            for f, m in validate_rule(rule)
        )
        key = (code, region)
        if key in first_line:
            problems.append(
                ImportProblem.of(line, "category", "rule_repeats", first=first_line[key])
            )
        first_line.setdefault(key, line)
        rules.append(rule)
    if problems:
        raise ImportRejected(problems, "line")
    with ctx.uow() as uow:
        session = uow.session
        version = (session.execute(select(func.max(RuleSetRow.version))).scalar() or 0) + 1
        session.execute(update(RuleSetRow).values(active=False))
        session.add(RuleSetRow(version=version, created_at=utcnow(), source=source, active=True))
        session.flush()
        session.add_all(_rule_rows(version, rules))
        uow.after_commit(ctx.reference.invalidate)
        uow.commit()
    return version


def _rule_rows(version: int, rules: Iterable[LinkageRule]) -> list[RuleRow]:
    return [
        RuleRow(
            version=version,
            category_code=r.category_code,
            region_code=r.region_code,
            lead_department=r.lead_department,
            co_departments=list(r.co_departments),
            limits={u.value: str(t) for u, t in r.limits.items()},
        )
        for r in rules
    ]


def _regions_where(stmt: Any, level: str | None, parent: str | None) -> Any:
    if level:
        stmt = stmt.where(RegionRow.level == level)
    if parent:
        stmt = stmt.where(RegionRow.parent_code == parent)
    return stmt


def regions_etag(ctx: CityLoop, level: str | None = None, parent: str | None = None) -> str:
    """A tag that changes whenever the selection does: imports only add regions (a code is
    never imported twice), so the count and the highest id say which rows there are."""
    with ctx.uow() as uow:
        n, last = uow.session.execute(
            _regions_where(select(func.count(), func.max(RegionRow.id)), level, parent)
        ).one()
    return f'"regions-{level or "all"}-{parent or ""}-{n}-{last or 0}"'


def regions_geojson(ctx: CityLoop, level: str | None = None, parent: str | None = None) -> Any:
    with ctx.uow() as uow:
        stmt = _regions_where(select(RegionRow).order_by(RegionRow.code), level, parent)
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": r.geometry,
                    "properties": {
                        "code": r.code,
                        "name": r.name,
                        "level": r.level,
                        "parent_code": r.parent_code,
                    },
                }
                for r in uow.session.execute(stmt).scalars()
            ],
        }


def import_gazetteer(ctx: CityLoop, entries: list[GazetteerEntry]) -> int:
    """Replace the gazetteer (地址库) with these entries; grids are checked against the city."""
    ref = ctx.reference.get()
    problems = [
        ImportProblem.of(i, "grid_code", "unknown_grid", value=e.grid_code)
        for i, e in enumerate(entries, start=2)
        if e.grid_code and e.grid_code not in ref.regions
    ]
    if problems:
        raise ImportRejected(problems, "line")
    with ctx.uow() as uow:
        uow.session.execute(delete(GazetteerRow))
        uow.session.add_all(
            GazetteerRow(
                name=e.name,
                kind=e.kind,
                lon=e.lon,
                lat=e.lat,
                grid_code=e.grid_code or _grid_of(ref, e.lon, e.lat),
                aliases=list(e.aliases),
                district=e.district,
                street=e.street,
            )
            for e in entries
        )
        uow.commit()
    return len(entries)


def _grid_of(ref: Any, lon: float, lat: float) -> str | None:
    hit = ref.grids.locate(lon, lat)
    return hit.grid_code if hit else None
