"""Domain errors. The API maps them to HTTP problems; the CLI prints them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class for rule violations inside the domain."""


class IllegalTransition(DomainError):
    """An action that the order's current state does not allow (→ HTTP 409)."""

    def __init__(
        self,
        action: str,
        status: str,
        allowed: list[str],
        reason: str = "",
        *,
        code: str = "illegal_transition",
        params: dict[str, Any] | None = None,
    ) -> None:
        self.action = action
        self.status = status
        self.allowed = allowed
        self.reason = reason
        # A stable code with parameters, so the console can say why in its own language.
        self.code = code
        self.params = params or {}
        detail = reason or f"action '{action}' is not allowed in status '{status}'"
        super().__init__(detail)


class InvalidCommand(DomainError):
    """The action is allowed but its payload is not (missing reason, bad target …)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class PermissionDenied(DomainError):
    """The actor may not do this to this order (role or jurisdiction)."""
