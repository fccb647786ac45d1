"""File readers for administrators' imports (CSV, YAML, GeoJSON).

They only read and check shape; the admin services check meaning (unknown parents, categories,
departments) and write all or nothing. Every problem names the row (line) and the field.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from cityloop.domain.text import character_problem
from cityloop.geo.regions import ImportProblem, ImportRejected

Row = tuple[int, dict[str, str]]  # (line number as the administrator sees it, values)


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected([ImportProblem(0, "file", "not UTF-8 or GB18030 text")], "row")


def csv_records(text: str) -> tuple[list[str], list[Row]]:
    """The header and the non-blank rows of CSV text, each row numbered as the administrator
    sees it (the header is line 1). Cells beyond the header are left out; text the csv module
    cannot read (a line break inside an unquoted cell, a NUL) is refused, naming its line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        for i, raw in enumerate(reader, start=2):
            values = {
                k.strip(): (v or "").strip()
                for k, v in raw.items()
                if k is not None and not isinstance(v, list)
            }
            if any(values.values()):
                rows.append((i, values))
    except csv.Error as exc:
        line = reader.line_num or 1
        problem = ImportProblem(line, "file", f"not readable as CSV: {exc}")
        raise ImportRejected([problem], "line") from exc
    check_cells(rows)
    return header, rows


def check_cells(rows: list[Row]) -> None:
    """Refuse, naming line and column, cells holding characters no record may (a NUL …)."""
    problems = [
        ImportProblem(line, column, why)
        for line, values in rows
        for column, value in values.items()
        if (why := character_problem(value, free_text=True)) is not None
    ]
    if problems:
        raise ImportRejected(problems, "line")


def read_csv(path: Path, required: list[str]) -> list[Row]:
    header, rows = csv_records(read_text(path))
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected(
            [
                ImportProblem(1, c, f"column '{c}' is missing (found: {', '.join(header)})")
                for c in missing
            ],
            "line",
        )
    return rows


def read_geojson(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ImportRejected([ImportProblem(exc.lineno, "json", exc.msg)], "line") from exc


def read_rules(path: Path) -> list[Row]:
    """Linkage rules from CSV (category,region_code,lead,co,urgent,normal; co split by '|')
    or YAML (a list of mappings with the same keys; co may be a list)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(read_text(path))
        except yaml.YAMLError as exc:
            raise ImportRejected([ImportProblem(0, "yaml", str(exc))], "rule") from exc
        if isinstance(data, dict):
            data = data.get("rules")
        if not isinstance(data, list):
            raise ImportRejected([ImportProblem(0, "rules", "expected a list of rules")], "rule")
        rows: list[Row] = []
        for i, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise ImportRejected([ImportProblem(i, "rule", "expected a mapping")], "rule")
            co = item.get("co") or []
            values = {k: "" if v is None else str(v) for k, v in item.items() if k != "co"}
            values["co"] = "|".join(co) if isinstance(co, list) else str(co)
            rows.append((i, values))
        return rows
    return read_csv(path, ["category", "lead", "normal"])
