"""One request-validation error as the API sends it: field, stable code, parameters, message.

The code is pydantic's error type (missing, string_too_long, enum …), a custom validator's
(phone_invalid …) or the edge guard's (control_character, out_of_range); the parameters are what
the console needs to word it in Chinese or English (max_length, expected …). The English message
stays for API clients that read it.
"""

from __future__ import annotations

import re
from typing import Any

_SCALAR = (str, int, float, bool)
# pydantic writes an enum's or a literal's choices as "'a', 'b' or 'c'".
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_CHOICE_CODES = {"enum", "literal_error"}


def field_of(loc: tuple[Any, ...]) -> str:
    # ("body", "reporter_phone") → "reporter_phone"; ("query", "page") → "page"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def _choices(expected: str) -> list[str]:
    quoted = _QUOTED.findall(expected)
    return quoted or [c.strip() for c in re.split(r",| or ", expected) if c.strip()]


def params_of(code: str, ctx: dict[str, Any] | None) -> dict[str, Any]:
    """The error's context as JSON scalars (an exception in it, as value_error has, is left out)."""
    out: dict[str, Any] = {}
    for key, value in (ctx or {}).items():
        if key == "expected" and code in _CHOICE_CODES and isinstance(value, str):
            out[key] = _choices(value)
        elif isinstance(value, _SCALAR):
            out[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, _SCALAR) for v in value):
            out[key] = list(value)
    return out


def field_error(error: dict[str, Any]) -> dict[str, Any]:
    code = str(error.get("type", "invalid"))
    return {
        "field": field_of(tuple(error.get("loc", ()))),
        "code": code,
        "params": params_of(code, error.get("ctx")),
        "message": str(error.get("msg", "")),
    }
