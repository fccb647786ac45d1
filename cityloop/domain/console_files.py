"""The console's copies of server tables (web/src/*.json), written by `python -m` of the module
that owns each table and checked for drift by its tests."""

from __future__ import annotations

import sys
from pathlib import Path


def write(text: str, default: Path, what: str, argv: list[str] | None = None) -> int:
    """Write `text` to the path given on the command line, or to `default`; say what it was."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else default
    target.write_text(text, encoding="utf-8")
    print(f"{target}: {what}")
    return 0
