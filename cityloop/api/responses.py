"""Answers a synchronous route builds itself, in the thread it already runs in.

FastAPI validates and serializes a plain `def` route's return value in a second trip to its
thread pool; on intake that hand-off cost more than the serialization. A route that returns
`model_json(...)` keeps its `response_model` for the OpenAPI document and gives the same body.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel


def model_json(model: type[BaseModel], data: Any, status_code: int = 200) -> Response:
    body = model.model_validate(data).model_dump_json()
    return Response(body, status_code=status_code, media_type="application/json")
