"""Conditional GET for data that changes rarely (map layers): an ETag the client revalidates
with If-None-Match, answered 304 without a body while nothing has changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response


def entity_tag(identity: str) -> str:
    """The quoted ETag for `identity`: a digest, so a header never carries what a caller sent
    (a line break in a query parameter would otherwise make the server drop the connection)."""
    return f'"{hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]}"'


def conditional_json(request: Request, identity: str, make: Callable[[], Any]) -> Response:
    """`make()`'s JSON under the ETag of `identity` (any text naming the data and its version),
    or 304 if the client holds it."""
    etag = entity_tag(identity)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # no-cache: revalidate every time
    held = request.headers.get("if-none-match", "")
    if etag in (t.strip().removeprefix("W/") for t in held.split(",")):
        return Response(status_code=304, headers=headers)
    body = json.dumps(make(), ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers=headers)
