"""Reading the sheet someone uploads to import (CSV in UTF-8 or GB18030, or Excel): rows
with the line numbers the person sees, so every problem can name its line. Kept apart from
the import itself, which checks and writes what these rows say.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.importers import check_cells, csv_records

Row = tuple[int, dict[str, str]]


def read_table(name: str, data: bytes) -> list[Row]:
    """Rows of a CSV (UTF-8 or GB18030) or Excel (.xlsx, first sheet) file; line numbers as the
    person importing sees them (the header is line 1)."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            problem = ImportProblem.of(0, "file", "file_excel", detail=str(exc)[:200])
            raise ImportRejected([problem], "row") from exc
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        out: list[Row] = []
        for i, values in enumerate(rows[1:], start=2):
            cells = {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
            if any(cells.values()):
                out.append((i, cells))
        check_cells(out)
        return out
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([ImportProblem.of(0, "file", "file_encoding")], "line")
    return csv_records(text)[1]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()
