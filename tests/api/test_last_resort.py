"""The last resort: an unexpected error is a 500 problem naming a request id that the log line
carries too (never the exception's text), counted; every answer has an X-Request-ID. And the
OpenAPI document declares the error answers of every operation, and validates."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from cityloop.api import request_id
from cityloop.api.app import create_app
from cityloop.logs import JsonFormatter, RequestIdFilter
from cityloop.services.context import CityLoop


@pytest.fixture
def failing(ctx: CityLoop) -> TestClient:
    app = create_app(ctx, web=False)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: password=hunter2")

    return TestClient(app, raise_server_exceptions=False)


def test_unexpected_error_answers_problem_with_request_id(
    failing: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    before = request_id.unexpected_errors()
    with caplog.at_level(logging.ERROR, logger="cityloop.api"):
        r = failing.get("/api/v1/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "internal_error" and body["status"] == 500
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    rid = body["request_id"]
    assert r.headers["x-request-id"] == rid
    logged = [rec for rec in caplog.records if getattr(rec, "request_id", None) == rid]
    assert logged and "hunter2" in logged[0].exc_text  # the detail is in the log only
    assert JsonFormatter().format(logged[0]).count(rid) >= 1
    assert request_id.unexpected_errors() == before + 1


def test_every_answer_has_a_request_id(client: TestClient) -> None:
    seen = set()
    for path in ("/api/v1/health", "/api/v1/work-orders", "/nowhere", "/openapi.json"):
        rid = client.get(path).headers["x-request-id"]
        assert len(rid) == 32 and rid not in seen
        seen.add(rid)
    mine = client.get("/api/v1/health", headers={"X-Request-ID": "gateway-1234abcd"})
    assert mine.headers["x-request-id"] == "gateway-1234abcd"
    # A caller's id that is not a short token is replaced, never echoed.
    odd = client.get("/api/v1/health", headers={"X-Request-ID": "a b <script>"})
    assert odd.headers["x-request-id"] != "a b <script>" and len(odd.headers["x-request-id"]) == 32


def test_log_lines_inside_a_request_carry_its_id() -> None:
    record = logging.LogRecord("cityloop.x", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id.current_request_id.set("r-123456789")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.current_request_id.reset(token)
    assert record.request_id == "r-123456789"  # type: ignore[attr-defined]


def test_openapi_declares_problem_answers_and_validates(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operations = [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 50
    for method, path, op in operations:
        answers = op["responses"]
        for code in ("404", "422", "429", "500"):
            assert code in answers, (method, path, code)
        if op.get("security"):
            assert {"401", "403"} <= set(answers), (method, path)
        if "requestBody" in op:
            assert {"400", "413"} <= set(answers), (method, path)
        problem = answers["422"]["content"]["application/problem+json"]["schema"]
        assert problem == {"$ref": "#/components/schemas/Problem"}
    page = next(
        p
        for p in document["paths"]["/api/v1/work-orders"]["get"]["parameters"]
        if p["name"] == "page"
    )
    assert page["schema"]["maximum"] == 100_000


def test_every_request_date_time_reads_a_missing_offset_as_city_time(ctx: CityLoop) -> None:
    """One rule everywhere: a route that takes a bare `datetime` would let a naive value reach
    the store (which refuses it, a 500), so every date-time a request carries is CityDateTime."""
    from datetime import date, datetime
    from typing import Annotated, get_args, get_origin

    from fastapi.routing import APIRoute
    from pydantic import BaseModel

    from cityloop.api import edge

    def bare(annotation: object, seen: set[int]) -> list[str]:
        if id(annotation) in seen:
            return []
        seen.add(id(annotation))
        if get_origin(annotation) is Annotated:  # CityDateTime, CityDate: their own check
            base = get_args(annotation)[0]
            return [] if base in (datetime, date) else bare(base, seen)
        if annotation in (datetime, date):
            return [str(annotation)]
        found: list[str] = []
        for arg in getattr(annotation, "__args__", ()):
            found += bare(arg, seen)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, f in annotation.model_fields.items():
                if f.annotation in (datetime, date):
                    if not f.metadata:
                        found.append(f"{annotation.__name__}.{name}")
                else:
                    found += bare(f.annotation, seen)
        return found

    def api_routes(routes: list[object]) -> list[APIRoute]:
        found: list[APIRoute] = []
        for r in routes:
            if isinstance(r, APIRoute):
                found.append(r)
            elif hasattr(r, "original_router"):  # FastAPI's included router (resolved lazily)
                found += api_routes(r.original_router.routes)
        return found

    problems = []
    routes = api_routes(create_app(ctx, web=False).routes)
    assert len(routes) > 50
    for route in routes:
        for d in edge._dependants(route.dependant):
            for f in (*d.query_params, *d.path_params, *d.body_params):
                annotation = f.field_info.annotation
                if annotation in (datetime, date) and not f.field_info.metadata:
                    problems.append(f"{route.path} {f.name}")
                elif annotation not in (datetime, date):
                    problems += [f"{route.path} {f.name}: {b}" for b in bare(annotation, set())]
    assert problems == [], "\n".join(problems)


@pytest.fixture
def database_down(ctx: CityLoop) -> TestClient:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    app = create_app(ctx, web=False)

    @app.get("/api/v1/locked")
    def locked() -> None:
        raise OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: nope"))

    return TestClient(app, raise_server_exceptions=False)


def test_a_busy_database_answers_503_to_retry_and_a_real_fault_stays_500(
    database_down: TestClient,
) -> None:
    r = database_down.get("/api/v1/locked")
    assert r.status_code == 503 and r.headers["retry-after"] == "2"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "database_busy" and "UPDATE" not in r.text
    fault = database_down.get("/api/v1/broken")
    assert fault.status_code == 500 and fault.json()["code"] == "internal_error"
    assert "nope" not in fault.text
