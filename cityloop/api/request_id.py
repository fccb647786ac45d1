"""A request id on every answer, and the last-resort answer to an unexpected error.

Every response carries `X-Request-ID` (the caller's own when it is a short token, else a new
one), and every log line written while the request runs carries it too
(`cityloop.logs.RequestIdFilter`).
An exception no handler answered becomes a 500 problem+json naming the request id — never the
exception's text, which goes to the log with its traceback — and counts in
`unexpected_errors()`.

Plain ASGI (no BaseHTTPMiddleware, which costs every request a task), added last so that it wraps
every other middleware.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from cityloop.logs import current_request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HEADER = b"x-request-id"
_CALLERS_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,64}$")
_log = logging.getLogger("cityloop.api")
_unexpected = 0


def unexpected_errors() -> int:
    """Unexpected errors this process has answered with 500 since it started."""
    return _unexpected


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _CALLERS_ID.match(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


def _internal_error(rid: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "服务器内部错误 Internal server error",
            "status": 500,
            "detail": "the error was logged under this request id",
            "code": "internal_error",
            "request_id": rid,
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    return headers, body


class RequestId:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        token = current_request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != HEADER),
                    (HEADER, rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            global _unexpected
            _unexpected += 1
            _log.exception(
                "unexpected error, request_id=%s %s %s",
                rid,
                scope.get("method"),
                scope.get("path"),
                extra={"request_id": rid},
            )
            if started:
                raise  # the answer is under way: the server can only cut the connection
            headers, body = _internal_error(rid)
            await send_with_id({"type": "http.response.start", "status": 500, "headers": headers})
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            current_request_id.reset(token)
