"""Ports of the sensing pipeline, with the fakes tests and the demo use.

- `Notifier`: tells people (SMS, the console's message centre, WeChat…); here a logging one
  and an in-memory one.
- `CommandPublisher`: sends a command to an actuator (MQTT in production, a list in tests).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("cityloop.sensing.notify")


@dataclass(frozen=True)
class Notification:
    to: str  # "grid:<code>", "community:<code>", "department:<code>", "role:<role>", …
    message: str
    rule_id: str
    device_id: str
    ticket_no: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    def notify(self, n: Notification) -> None: ...


class LoggingNotifier:
    def notify(self, n: Notification) -> None:
        log.info(
            "notify %s: %s",
            n.to,
            n.message,
            extra={"ticket_no": n.ticket_no, "rule": n.rule_id, "device": n.device_id},
        )


class MemoryNotifier:
    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self._lock = threading.Lock()

    def notify(self, n: Notification) -> None:
        with self._lock:
            self.sent.append(n)


class CommandPublisher(Protocol):
    def publish_command(self, topic: str, payload: dict[str, Any]) -> None: ...


class MemoryPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish_command(self, topic: str, payload: dict[str, Any]) -> None:
        self.sent.append((topic, payload))


class LiveAlarms(Protocol):
    """Where a new alarm goes the moment its incident is committed (the screens' live
    events); the notification tail announces it again, and screens drop the repeat by
    incident id."""

    def alarm(self, data: dict[str, Any]) -> None: ...


class MemoryLiveAlarms:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def alarm(self, data: dict[str, Any]) -> None:
        self.sent.append(data)
