"""Read labelled appeal files (CSV or XLSX) into texts and labels."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads plain utf-8


class DatasetError(ValueError):
    """The file cannot be used as a labelled dataset (missing column, unreadable)."""


@dataclass
class LabeledDataset:
    texts: list[str]
    labels: list[str]
    skipped_empty: int = 0
    path: str = ""
    encoding: str = ""
    columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


def compose_text(title: str | None, body: str | None) -> str:
    """Title and body as one text; the title is kept only when present (it is often missing)."""
    title = (title or "").strip()
    body = (body or "").strip()
    if title and body:
        return f"{title}。{body}"
    return title or body


def _read_csv_rows(path: Path) -> tuple[list[dict[str, str]], list[str], str]:
    raw = path.read_bytes()
    last: Exception | None = None
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        return rows, list(reader.fieldnames or []), enc
    raise DatasetError(f"{path}: not utf-8 or gb18030 ({last})")


def _read_xlsx_rows(path: Path) -> tuple[list[dict[str, str]], list[str], str]:
    from openpyxl import load_workbook  # deferred: only needed for spreadsheets

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.active
        if ws is None:
            raise DatasetError(f"{path}: workbook has no sheet")
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, ())]
        rows = [
            {h: "" if v is None else str(v) for h, v in zip(header, values, strict=False)}
            for values in it
        ]
    finally:
        wb.close()
    return rows, header, "xlsx"


def read_labeled(
    path: str | Path,
    text_col: str,
    label_col: str,
    title_col: str | None = None,
) -> LabeledDataset:
    """Read ``path`` (.csv or .xlsx/.xlsm). Rows whose composed text or label is empty are
    skipped and counted in ``skipped_empty``. Raises DatasetError naming a missing column."""
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"{p}: file not found")
    if p.suffix.lower() in {".xlsx", ".xlsm"}:
        rows, columns, enc = _read_xlsx_rows(p)
    else:
        rows, columns, enc = _read_csv_rows(p)
    columns = [c.strip() for c in columns]
    for role, col in (("text", text_col), ("label", label_col), ("title", title_col)):
        if col is not None and col not in columns:
            raise DatasetError(
                f"{p}: {role} column {col!r} not found; columns are: {', '.join(columns)}"
            )
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for row in rows:
        row = {(k or "").strip(): v for k, v in row.items()}
        text = compose_text(row.get(title_col) if title_col else None, row.get(text_col))
        label = (row.get(label_col) or "").strip()
        if not text or not label:
            skipped += 1
            continue
        texts.append(text)
        labels.append(label)
    return LabeledDataset(texts, labels, skipped, str(p), enc, columns)
