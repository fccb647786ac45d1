"""Structured logs: JSON lines in production (CITYLOOP_LOG_JSON=true), plain text otherwise."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from cityloop.settings import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        # The ticket number rides on every line about an order (logger.info(..., extra=...)).
        for key in ("ticket_no", "order_id", "action", "user"):
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
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = False
