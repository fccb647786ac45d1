"""Validation at the edge: one rule for every text, number and date a request carries.

Pydantic checks each field's type and the bounds a schema declares; this module adds what no
single schema can say, for every operation at once, so that nothing the database would choke
on gets past the router:

- text (query and path values, declared headers, JSON and form bodies, keys included) holds no
  control character, no lone surrogate and no C1 code — body text may keep tab and line breaks;
- an integer in a path, query or body fits the database's 64-bit integer, and a number is finite;
  a `page` is at most MAX_PAGE;
- a date or time without an offset means the city's local time (CITYLOOP_TIMEZONE, by default
  Asia/Shanghai): `CityDateTime` / `CityDate` types for request fields.

`guard` is a dependency of the whole application (so it runs for every route, before the
route's own dependencies) and answers 422 problem+json naming the offending field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile

from cityloop.domain.text import character_problem
from cityloop.settings import get_settings

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Every list pages with a query parameter named `page`; past this page the offset arithmetic
# (page - 1) * size could leave the 64-bit range, and no one reads that far.
PAGE_PARAMETER = "page"
MAX_PAGE = 100_000
# Oldest and latest dates a request may name: the database's and Python's calendars agree here,
# and no appeal, birth date or report period lies outside.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def _error(loc: tuple[str | int, ...], code: str, message: str, **ctx: Any) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": code, "ctx": ctx}


def text_problem(value: str, *, free_text: bool) -> str | None:
    """Why `value` may not enter the platform, or None when it may."""
    return character_problem(value, free_text=free_text)


def _number_problem(value: int | float) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return None
        return "integer out of range (at most 2^63 - 1 in magnitude)"
    if math.isfinite(value) and abs(value) <= INT64_MAX:
        return None
    return "number out of range (finite and at most 2^63 in magnitude)"


def _walk(value: Any, loc: tuple[str | int, ...]) -> Iterator[dict[str, Any]]:
    """Every problem in a parsed JSON or form body."""
    if isinstance(value, str):
        if (why := text_problem(value, free_text=True)) is not None:
            yield _error(loc, "control_character", why)
    elif isinstance(value, int | float):
        if (why := _number_problem(value)) is not None:
            yield _error(loc, "out_of_range", why)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (why := text_problem(key, free_text=False)):
                yield _error((*loc, key), "control_character", f"in the key: {why}")
                continue
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*loc, i))
    elif isinstance(value, UploadFile) and (
        why := text_problem(value.filename or "", free_text=False)
    ):
        yield _error(loc, "control_character", f"in the file name: {why}")


class _RouteShape:
    """What the guard needs to know of one route, computed once."""

    def __init__(self, route: APIRoute) -> None:
        scalars, headers, self.body = [], [], False
        for d in _dependants(route.dependant):
            scalars += [*d.query_params, *d.path_params]
            headers += d.header_params
            self.body = self.body or bool(d.body_params)
        self.integers = {f.alias for f in scalars if _is_a(int, f.field_info.annotation)}
        self.floats = {f.alias for f in scalars if _is_a(float, f.field_info.annotation)}
        self.headers = {f.alias.lower().replace("_", "-") for f in headers}

    def kind(self, name: str) -> type | None:
        return int if name in self.integers else float if name in self.floats else None


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _is_a(kind: type, annotation: Any) -> bool:
    if annotation is kind:
        return True
    args = getattr(annotation, "__args__", ())  # int | None, list[int], Annotated[int, …]
    return any(_is_a(kind, a) for a in args if a is not type(None))


_SHAPE = "_cityloop_edge_shape"


def _shape(route: APIRoute) -> _RouteShape:
    """The route's shape, computed at its first request and kept on the route itself."""
    shape: _RouteShape | None = getattr(route, _SHAPE, None)
    if shape is None:
        shape = _RouteShape(route)
        setattr(route, _SHAPE, shape)
    return shape


def _scalar_problems(
    where: str, name: str, value: str, kind: type | None = None
) -> Iterator[dict[str, Any]]:
    if (why := text_problem(name, free_text=False)) is not None:
        yield _error((where,), "control_character", f"in a parameter name: {why}")
    elif (why := text_problem(value, free_text=False)) is not None:
        yield _error((where, name), "control_character", why)
    elif kind is int and _INTEGER.match(value):
        # Long digit strings are out of range before int() is asked (it refuses > 4300 digits).
        digits = value.strip().lstrip("+-").lstrip("0")
        if len(digits) > 19 or not INT64_MIN <= int(value) <= INT64_MAX:
            yield _error((where, name), "out_of_range", "integer out of range (at most 2^63 - 1)")
        elif where == "query" and name == PAGE_PARAMETER and int(value) > MAX_PAGE:
            yield _error((where, name), "out_of_range", f"at most page {MAX_PAGE}", le=MAX_PAGE)
    elif kind is float:
        try:
            number = float(value)
        except ValueError:
            return  # not a number at all: the route's own validation says so
        if not math.isfinite(number):
            yield _error((where, name), "out_of_range", "number out of range (finite)")


async def guard(request: Request) -> None:
    """Refuse, with 422 naming the field, a request carrying what the platform never stores."""
    route = request.scope.get("route")
    shape = _shape(route) if isinstance(route, APIRoute) else None
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        errors += _scalar_problems("path", name, str(value), shape.kind(name) if shape else None)
    for name, value in request.query_params.multi_items():
        errors += _scalar_problems("query", name, value, shape.kind(name) if shape else None)
    if shape is not None:
        for name in shape.headers:
            value = request.headers.get(name)
            if value is not None:
                errors += _scalar_problems("header", name, value)
        # Only a body FastAPI has already read for the route (cached on the request): a route
        # that streams its body itself is left to do so.
        if shape.body and errors == []:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(("multipart/form-data", "application/x-www-form")):
                form = await request.form()
                for key, item in form.multi_items():
                    errors += _walk(item, ("body", key))
            elif await request.body():
                try:
                    body = await request.json()
                except ValueError:
                    body = None  # FastAPI answers the malformed JSON itself
                errors += _walk(body, ("body",))
    if errors:
        raise RequestValidationError(errors)


def _in_city_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_settings().tz)
    if not FIRST_DATE <= value.date() <= LAST_DATE:
        raise PydanticCustomError(
            "date_out_of_range",
            "a time between {low} and {high}",
            {"low": FIRST_DATE.isoformat(), "high": LAST_DATE.isoformat()},
        )
    return value


def _in_calendar(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError(
            "date_out_of_range",
            "a date between {low} and {high}",
            {"low": FIRST_DATE.isoformat(), "high": LAST_DATE.isoformat()},
        )
    return value


# A request's date-time: without an offset it is the city's local time; always aware.
CityDateTime = Annotated[datetime, AfterValidator(_in_city_time)]
# A request's calendar date, within the years the platform deals in.
CityDate = Annotated[date, AfterValidator(_in_calendar)]
