"""Open311 configuration (open311.yaml): service attributes, discovery text, public channels.

Attribute definitions are city configuration, not code. The file is read once, on first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DEFAULT_CONFIG = Path(__file__).with_name("open311.yaml")

DATATYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"})
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
MAX_STRING = 1000
MAX_TEXT = 4000


class ConfigError(ValueError):
    """open311.yaml is malformed; the message names the entry."""


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: str
    order: int
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = ()

    def value_names(self) -> dict[str, str]:
        return {v.key: v.name for v in self.values}


@dataclass(frozen=True)
class ServiceRule:
    match: str
    keywords: str
    attributes: tuple[Attribute, ...]

    def matches(self, code: str, path: str) -> bool:
        return self.match in (code, path) or fnmatchcase(path, self.match)


@dataclass(frozen=True)
class Open311Config:
    changeset: str = ""
    contact: str = ""
    key_service: str = ""
    public_channels: frozenset[str] = frozenset({"open311"})
    max_results: int = 1000
    rules: tuple[ServiceRule, ...] = field(default_factory=tuple)

    def rule_for(self, code: str, path: str) -> ServiceRule | None:
        return next((r for r in self.rules if r.matches(code, path)), None)


def _attribute(raw: dict[str, Any], order: int, where: str) -> Attribute:
    code = str(raw.get("code") or "").strip()
    if not code:
        raise ConfigError(f"{where}: an attribute needs a code")
    datatype = str(raw.get("datatype") or "")
    if datatype not in DATATYPES:
        raise ConfigError(
            f"{where}/{code}: datatype '{datatype}' is not one of {sorted(DATATYPES)}"
        )
    values = tuple(
        AttributeValue(str(v["key"]), str(v.get("name", v["key"]))) for v in raw.get("values") or []
    )
    if datatype in LIST_TYPES and not values:
        raise ConfigError(f"{where}/{code}: a {datatype} needs values")
    if len({v.key for v in values}) != len(values):
        raise ConfigError(f"{where}/{code}: a value key is listed twice")
    variable = bool(raw.get("variable", True))
    required = bool(raw.get("required", False))
    if required and not variable:
        raise ConfigError(f"{where}/{code}: an informational attribute cannot be required")
    return Attribute(
        code=code,
        datatype=datatype,
        description=str(raw.get("description") or code),
        order=int(raw.get("order", order)),
        required=required,
        variable=variable,
        datatype_description=str(raw.get("datatype_description") or ""),
        values=values,
    )


def parse_config(raw: dict[str, Any]) -> Open311Config:
    rules = []
    for i, entry in enumerate(raw.get("services") or [], start=1):
        match = str(entry.get("match") or "").strip()
        if not match:
            raise ConfigError(f"services[{i}]: 'match' is required")
        attrs = tuple(
            _attribute(a, n, match) for n, a in enumerate(entry.get("attributes") or [], start=1)
        )
        if len({a.code for a in attrs}) != len(attrs):
            raise ConfigError(f"{match}: an attribute code is listed twice")
        rules.append(ServiceRule(match, str(entry.get("keywords") or ""), attrs))
    requests = raw.get("requests") or {}
    return Open311Config(
        changeset=str(raw.get("changeset") or ""),
        contact=str(raw.get("contact") or ""),
        key_service=str(raw.get("key_service") or ""),
        public_channels=frozenset(requests.get("public_channels") or ["open311"]),
        max_results=int(requests.get("max_results") or 1000),
        rules=tuple(rules),
    )


@lru_cache(maxsize=4)
def load_config(path: Path = DEFAULT_CONFIG) -> Open311Config:
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_config(raw)


# -- checking what a client sends --------------------------------------------------------------
class InvalidAttribute(ValueError):
    """An attribute value a client sent does not fit the service definition."""


def check_attributes(
    attributes: tuple[Attribute, ...], given: dict[str, list[str]], tz: ZoneInfo
) -> dict[str, Any]:
    """Validate `attribute[code]` values against a service definition; return the clean values
    (numbers as numbers, datetimes as ISO 8601 with offset, multi-values as lists)."""
    by_code = {a.code: a for a in attributes}
    for code in given:
        attr = by_code.get(code)
        if attr is None:
            raise InvalidAttribute(f"attribute[{code}] is not defined for this service")
        if not attr.variable:
            raise InvalidAttribute(f"attribute[{code}] is informational and takes no value")
    clean: dict[str, Any] = {}
    for attr in attributes:
        values = [v.strip() for v in given.get(attr.code, []) if v.strip()]
        if not values:
            if attr.required:
                raise InvalidAttribute(f"attribute[{attr.code}] ({attr.description}) is required")
            continue
        clean[attr.code] = _check_one(attr, values, tz)
    return clean


def _check_one(attr: Attribute, values: list[str], tz: ZoneInfo) -> Any:
    name = f"attribute[{attr.code}]"
    if attr.datatype == "multivaluelist":
        allowed = attr.value_names()
        bad = [v for v in values if v not in allowed]
        if bad:
            raise InvalidAttribute(f"{name}: {', '.join(bad)} not among {', '.join(allowed)}")
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise InvalidAttribute(f"{name} takes one value")
    value = values[0]
    if attr.datatype == "singlevaluelist":
        allowed = attr.value_names()
        if value not in allowed:
            raise InvalidAttribute(f"{name}: '{value}' is not among {', '.join(allowed)}")
        return value
    if attr.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise InvalidAttribute(f"{name}: '{value}' is not a number") from None
        if not math.isfinite(number):
            raise InvalidAttribute(f"{name}: '{value}' is not a number")
        return int(number) if number.is_integer() else number
    if attr.datatype == "datetime":
        try:
            return parse_datetime(value, tz).isoformat()
        except ValueError:
            raise InvalidAttribute(f"{name}: '{value}' is not an ISO 8601 date-time") from None
    limit = MAX_TEXT if attr.datatype == "text" else MAX_STRING
    if len(value) > limit:
        raise InvalidAttribute(f"{name} is longer than {limit} characters")
    return value


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; a naive value is city time. A '+' that a query string turned into a space
    ('2026-09-30T10:00:00 08:00') is put back."""
    text = text.strip()
    if len(text) > 19 and text[-6] == " " and text[-5:-3].isdigit():
        text = f"{text[:-6]}+{text[-5:]}"
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=tz) if at.tzinfo is None else at
