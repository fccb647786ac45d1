"""Request bodies bounded while they arrive, before any handler or form parser reads them.

Starlette spools a multipart upload to disk in full before the endpoint runs, so a size check in
the endpoint comes after a 50 MB anonymous upload has been read. This plain ASGI guard refuses a
declared Content-Length over the limit at once, counts the bytes of a chunked body as they come,
and answers 413 problem+json the moment the count passes the limit; the rest is never read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from cityloop.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Multipart framing around the file (boundaries, part headers, small form fields).
FRAMING = 64 * 1024
ATTACHMENTS = "/api/v1/attachments"


class BodyTooLarge(Exception):
    """Raised from the guarded receive: the handler's reading stops there."""


def body_limit(path: str, settings: Settings) -> int:
    """The most bytes a request to this path may carry: an attachment's size for the anonymous
    upload, an import file's for every other route (no JSON body comes near it)."""
    if path == ATTACHMENTS:
        return settings.attachment_max_bytes + FRAMING
    return settings.import_max_bytes + FRAMING


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


async def _refuse(send: Send, limit: int) -> None:
    mib = limit // (1024 * 1024)
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "文件过大 Request body too large",
            "status": 413,
            "detail": f"the body may carry at most {limit} bytes (about {mib} MB)",
            "code": "body_too_large",
            "params": {"limit_bytes": limit},
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                # The unread rest of the body makes the connection unusable for a next request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""), self.settings)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the handler makes of the cut body, the answer is ours
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(send, limit)
