"""The audit trail's key and hash algorithm for this process (set by build_context)."""

from __future__ import annotations

from dataclasses import dataclass

from cityloop.settings import Settings, get_settings


@dataclass(frozen=True)
class AuditKey:
    key: bytes
    algorithm: str


_current: list[AuditKey] = []


def configure(settings: Settings) -> AuditKey:
    current = AuditKey(settings.audit_key_bytes(), settings.audit_hash)
    _current[:] = [current]
    return current


def current() -> AuditKey:
    """The configured key; the environment's settings when no context configured one."""
    return _current[0] if _current else configure(get_settings())
