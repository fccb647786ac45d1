"""Domain errors. The API maps them to HTTP problems; the CLI prints them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from cityloop.domain.error_words import render


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


def _scalar(value: Any) -> Any:
    """A param as JSON holds it: a scalar, or a list of scalars; anything else as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_scalar(v) for v in items]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class InvalidCommand(DomainError):
    """The action is allowed but its payload is not (missing reason, bad target …).

    `code` is stable (snake_case, one of cityloop/domain/error_words.py's), `params` are its
    variable parts; `message` is the English wording (for API clients and logs), `message_zh`
    the Chinese (for the CLIs); the console words the code itself in either language.
    """

    def __init__(self, field: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        self.field = field
        self.code = code
        self.params: dict[str, Any] = {k: _scalar(v) for k, v in (params or {}).items()}
        super().__init__(f"{field}: {self.message}")

    @property
    def message(self) -> str:
        return render(self.code, self.params, "en")

    @property
    def message_zh(self) -> str:
        return render(self.code, self.params, "zh")

    def text_zh(self) -> str:
        """'field：中文说明', as the CLIs print it."""
        return f"{self.field}：{self.message_zh}"


class PermissionDenied(DomainError):
    """The actor may not do this to this order (role or jurisdiction)."""


def text_zh(exc: BaseException) -> str:
    """A refusal as a CLI prints it: a refused command in Chinese naming its field, any other
    error as it reads."""
    return exc.text_zh() if isinstance(exc, InvalidCommand) else str(exc)
