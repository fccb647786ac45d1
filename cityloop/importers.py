"""File readers for administrators' imports (CSV, Excel .xlsx, YAML, GeoJSON).

They only read and check shape; the admin services check meaning (unknown parents, categories,
departments) and write all or nothing. Every problem names the row (line) and the field, with
a code and a Chinese and an English message (cityloop.domain.import_problems).

An Excel workbook (its first sheet) is read as the CSV it would save as, so every tabular
import takes either, and its line numbers are the sheet's row numbers.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from cityloop.domain.import_problems import ImportProblem, ImportRejected
from cityloop.domain.text import character_problem

Row = tuple[int, dict[str, str]]  # (line number as the administrator sees it, values)


_ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls


def decode_table(raw: bytes) -> str:
    """The text of an import file: CSV in UTF-8 (with or without BOM) or GB18030, as Excel
    saves it in China, or an Excel workbook's first sheet turned into CSV."""
    if raw.startswith(_ZIP):
        return xlsx_as_csv(raw)
    if raw.startswith(_OLE):
        raise ImportRejected([ImportProblem.of(0, "file", "file_xls")], "line")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected([ImportProblem.of(0, "file", "file_encoding")], "line")


def read_text(path: Path) -> str:
    return decode_table(path.read_bytes())


def xlsx_as_csv(raw: bytes) -> str:
    """The first sheet of a workbook as CSV text, one line per sheet row (blank rows kept, so
    line numbers stay the sheet's); dates as YYYY-MM-DD, whole numbers without ".0"."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        detail = f"{type(exc).__name__}: {exc}"[:200]
        raise ImportRejected([ImportProblem.of(0, "file", "file_excel", detail=detail)]) from exc
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    for values in rows:
        cells = [cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        writer.writerow(cells)
    return out.getvalue()


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed into it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def csv_records(text: str) -> tuple[list[str], list[Row]]:
    """The header and the non-blank rows of CSV text, each row numbered as the administrator
    sees it in a spreadsheet (the header is row 1; blank rows count, so the numbers stay the
    sheet's). Cells beyond the header are left out; text the csv module cannot read (a line
    break inside an unquoted cell, a NUL) is refused, naming its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    header: list[str] | None = None
    try:
        for i, cells in enumerate(reader, start=1):
            if header is None:
                if any(c.strip() for c in cells):
                    header = [h.strip() for h in cells]
                continue
            values: dict[str, str] = {}
            for k, v in zip(header, cells, strict=False):
                values[k] = v.strip()
            for k in header[len(cells) :]:
                values.setdefault(k, "")
            if any(values.values()):
                rows.append((i, values))
    except csv.Error as exc:
        line = reader.line_num or 1
        problem = ImportProblem.of(line, "file", "file_csv", detail=str(exc))
        raise ImportRejected([problem], "line") from exc
    check_cells(rows)
    return header or [], rows


def check_cells(rows: list[Row]) -> None:
    """Refuse, naming line and column, cells holding characters no record may (a NUL …)."""
    problems = [
        ImportProblem.of(line, column, "bad_characters", detail=why)
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
                ImportProblem.of(1, c, "column_missing", column=c, found=header or ["—"])
                for c in missing
            ],
            "line",
        )
    return rows


def read_geojson(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg}（line {exc.lineno}, column {exc.colno}）"
        raise ImportRejected([ImportProblem.of(0, "json", "file_json", detail=detail)]) from exc


def read_rules(path: Path) -> list[Row]:
    """Linkage rules from CSV (category,region_code,lead,co,urgent,normal; co split by '|')
    or YAML (a list of mappings with the same keys; co may be a list)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(read_text(path))
        except yaml.YAMLError as exc:
            detail = str(exc)[:300]
            raise ImportRejected([ImportProblem.of(0, "yaml", "file_yaml", detail=detail)]) from exc
        if isinstance(data, dict):
            data = data.get("rules")
        if not isinstance(data, list):
            raise ImportRejected([ImportProblem.of(0, "rules", "rules_not_list")], "rule")
        rows: list[Row] = []
        for i, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise ImportRejected([ImportProblem.of(i, "rule", "not_mapping")], "rule")
            co = item.get("co") or []
            values = {k: "" if v is None else str(v) for k, v in item.items() if k != "co"}
            values["co"] = "|".join(co) if isinstance(co, list) else str(co)
            rows.append((i, values))
        return rows
    return read_csv(path, ["category", "lead", "normal"])
