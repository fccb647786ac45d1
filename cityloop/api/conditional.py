"""Conditional GET for data that changes rarely (map layers): an ETag the client revalidates
with If-None-Match, answered 304 without a body while nothing has changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response


def conditional_json(request: Request, etag: str, make: Callable[[], Any]) -> Response:
    """`make()`'s JSON under `etag` (a quoted string), or 304 if the client holds it."""
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # no-cache: revalidate every time
    held = request.headers.get("if-none-match", "")
    if etag in (t.strip().removeprefix("W/") for t in held.split(",")):
        return Response(status_code=304, headers=headers)
    body = json.dumps(make(), ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers=headers)
