"""Which characters text may hold: one rule for the API's edge and the file importers.

No control characters (C0, DEL, C1) and no lone UTF-16 surrogates: PostgreSQL refuses a NUL,
UTF-8 cannot encode a surrogate, and the others are never meant in a name, code or search.
Free text (an appeal's content, a note) may keep tab, line feed and carriage return.
"""

from __future__ import annotations

import re

_IN_VALUES = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def character_problem(value: str, *, free_text: bool) -> str | None:
    """Why `value` may not be stored, or None when it may."""
    bad = (_IN_FREE_TEXT if free_text else _IN_VALUES).search(value)
    if bad is None:
        return None
    return f"control character U+{ord(bad.group()):04X} at position {bad.start()}"
