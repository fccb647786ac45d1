"""The error answers every documented operation can give, declared in the OpenAPI document.

Routers declare their success answers; the errors come from shared machinery (the edge guard,
authentication, role checks, the problem handlers, body limits, rate limits, the last-resort
handler), so they are declared here once, as RFC 9457 problem+json, by looking at what each
operation is: anything may be invalid (422), missing (404), limited (429) or fail (500); an
operation behind a login answers 401 and 403; one that changes state may conflict (409); one that
takes a body may find it malformed (400) or too large (413). An answer a router declares itself
is kept as it is. GeoReport v2 answers (and errs) in XML or JSON, as its path asks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from cityloop.api.edge import INT64_MAX, INT64_MIN, MAX_PAGE, PAGE_PARAMETER

MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` and `params` let the console word it.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "params": {"type": "object"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
            "description": "one entry per invalid field: field, code, params, message",
        },
        "request_id": {"type": "string"},
    },
    "required": ["title", "status"],
    "additionalProperties": True,
}
DESCRIPTIONS = {
    "400": "请求格式错误 Malformed request",
    "401": "未登录或登录已失效 Not authenticated",
    "403": "无权操作 Forbidden",
    "404": "未找到 Not found",
    "409": "与当前状态冲突 Conflict with the current state",
    "413": "请求体过大 Request body too large",
    "422": "输入有误 Invalid input",
    "429": "请求过于频繁 Too many requests",
    "500": "服务器内部错误 Internal server error (the body names the request id)",
}
# GeoReport v2 (Open311) speaks its own formats: XML or JSON as the path's {fmt} says, errors as
# errors/error in that format. Its success and error answers are declared in both.
GEOREPORT_PREFIX = "/open311/v2/"
_GEOREPORT_MEDIA: dict[str, Any] = {
    "text/xml": {"schema": {"type": "string"}},
    "application/json": {"schema": {}},
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"


def error_codes(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses this operation can answer."""
    codes = ["404", "422", "429", "500"]
    if operation.get("security"):
        codes += ["401", "403"]
    if method not in ("get", "head", "options"):
        codes.append("409")
    if "requestBody" in operation:
        codes += ["400", "413"]
    return sorted(codes)


def _problem_answer(code: str, georeport: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
    if georeport and code not in ("422", "500"):  # those two come from the shared machinery
        content.update(_GEOREPORT_MEDIA)
    return {"description": DESCRIPTIONS[code], "content": content}


def _both_georeport_formats(answers: dict[str, Any]) -> None:
    for code, answer in answers.items():
        if code.startswith("2") and "content" in answer:
            for media, declared in _GEOREPORT_MEDIA.items():
                answer["content"].setdefault(media, declared)


def _is_fastapi_validation(answer: dict[str, Any]) -> bool:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == _VALIDATION_REF)


def bound_integers(schema: Any, maximum: int = INT64_MAX) -> None:
    """Give every integer in `schema` (in place) the bounds the edge guard enforces."""
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            schema.setdefault("maximum", maximum)
            schema.setdefault("minimum", INT64_MIN)
        for value in schema.values():
            bound_integers(value, maximum)
    elif isinstance(schema, list):
        for value in schema:
            bound_integers(value, maximum)


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers to every operation of `document` (in place) and return it, and
    the bounds of every integer it takes."""
    bound_integers(document.get("components", {}).get("schemas", {}))
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, item in document.get("paths", {}).items():
        georeport = path.startswith(GEOREPORT_PREFIX)
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", ()):
                page = parameter.get("in") == "query" and parameter["name"] == PAGE_PARAMETER
                bound_integers(parameter.get("schema"), MAX_PAGE if page else INT64_MAX)
            answers = operation.setdefault("responses", {})
            for code in error_codes(method, operation):
                if code not in answers or (code == "422" and _is_fastapi_validation(answers[code])):
                    answers[code] = _problem_answer(code, georeport)
            if georeport:
                _both_georeport_formats(answers)
    schemas = document["components"]["schemas"]
    if _VALIDATION_REF.rsplit("/", 1)[1] in schemas and _VALIDATION_REF not in str(document):
        # FastAPI's own 422 shapes: no operation answers with them any more.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


def install(app: FastAPI) -> None:
    """Serve the document with the error answers declared (computed once, like FastAPI's)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
