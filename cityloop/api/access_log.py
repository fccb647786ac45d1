"""The HTTP access log (安全审计): one JSON line per request — time, request id, user, source,
method, route, status, duration — in a file rotated by size.

Off the request's hot path: the middleware only puts a record on a queue (a QueueHandler);
a QueueListener thread formats and writes it. The user is the one the session dependency put
into the request's state (`user`), so the log costs no extra look-up; the route is the
template (`/api/v1/work-orders/{order_id}`), not the raw path, so ids and tickets stay out of
it unless the template names them.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cityloop.settings import Settings

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
LOGGER = "cityloop.access"


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "access", None) or {"msg": record.getMessage()}
        return orjson.dumps(entry).decode()


_listeners: dict[Path, logging.handlers.QueueListener] = {}


def access_logger(settings: Settings) -> logging.Logger | None:
    """The process's access logger writing to the configured file (None when off)."""
    if settings.access_log_path is None:
        return None
    path = Path(settings.access_log_path).resolve()
    name = f"{LOGGER}.{abs(hash(path))}"
    logger = logging.getLogger(name)
    if path not in _listeners:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path,
            maxBytes=settings.access_log_max_bytes,
            backupCount=settings.access_log_backups,
            encoding="utf-8",
        )
        handler.setFormatter(JsonLineFormatter())
        q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        listener = logging.handlers.QueueListener(q, handler, respect_handler_level=False)
        listener.start()
        atexit.register(listener.stop)
        _listeners[path] = listener
        logger.handlers[:] = [logging.handlers.QueueHandler(q)]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def flush(settings: Settings) -> None:
    """Write out what is queued and close the file (tests; process exit does it too)."""
    if settings.access_log_path is None:
        return
    listener = _listeners.pop(Path(settings.access_log_path).resolve(), None)
    if listener is not None:
        atexit.unregister(listener.stop)
        listener.stop()
        for h in listener.handlers:
            h.close()


class AccessLog:
    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state = scope.get("state") or {}
            route = scope.get("route")
            client = scope.get("client")
            entry = {
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": state.get("request_id"),
                "user": state.get("user"),
                "source": client[0] if client else None,
                "method": scope.get("method"),
                "route": getattr(route, "path", None) or scope.get("path"),
                "status": status or 500,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
            # A LogRecord on a queue: the listener thread formats and writes it.
            self.logger.info("access", extra={"access": entry})


def install(app: Any, settings: Settings) -> None:
    logger = access_logger(settings)
    if logger is not None:
        app.add_middleware(AccessLog, logger=logger)
