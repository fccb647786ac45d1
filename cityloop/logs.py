"""Structured logs: JSON lines in production (CITYLOOP_LOG_JSON=true), plain text otherwise."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from cityloop.settings import Settings

# The id of the request being served (set by cityloop.api.request_id), for every log line.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Puts the running request's id on each log record (as `record.request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = current_request_id.get()
        if rid is not None and not hasattr(record, "request_id"):
            record.request_id = rid
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        # The ticket number rides on every line about an order (logger.info(..., extra=...)).
        for key in ("ticket_no", "order_id", "action", "user", "request_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("cityloop")
    # The running request's id on every line written while it is served.
    handler.addFilter(RequestIdFilter())
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = False
