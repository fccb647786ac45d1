"""Settings of the sensing feature, read in one place.

Until the core `Settings` carries the fields, they are read from the documented
CITYLOOP_MQTT_* / CITYLOOP_SENSING_* environment variables; `sensing_config` prefers a field on
the Settings object when it has one, so switching over is a change to this file only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cityloop.settings import Settings

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")

# (Settings field, environment variable, default): the single list of what can be set.
_FIELDS: list[tuple[str, str, Any]] = [
    ("mqtt_host", "CITYLOOP_MQTT_HOST", "127.0.0.1"),
    ("mqtt_port", "CITYLOOP_MQTT_PORT", 1883),
    ("mqtt_username", "CITYLOOP_MQTT_USERNAME", ""),
    ("mqtt_password", "CITYLOOP_MQTT_PASSWORD", ""),
    ("mqtt_tls", "CITYLOOP_MQTT_TLS", False),
    ("mqtt_ca_file", "CITYLOOP_MQTT_CA_FILE", ""),
    ("mqtt_client_id", "CITYLOOP_MQTT_CLIENT_ID", "cityloop-sensing"),
    ("mqtt_topic_prefix", "CITYLOOP_MQTT_TOPIC_PREFIX", "cityloop"),
    ("mqtt_tenant", "CITYLOOP_MQTT_TENANT", "default"),
    ("mqtt_session_expiry", "CITYLOOP_MQTT_SESSION_EXPIRY", 7 * 24 * 3600),
    ("mqtt_keepalive", "CITYLOOP_MQTT_KEEPALIVE", 30),
    ("mqtt_receive_maximum", "CITYLOOP_MQTT_RECEIVE_MAXIMUM", 2000),
    ("sensing_enabled", "CITYLOOP_SENSING_ENABLED", False),
    ("sensing_rules", "CITYLOOP_SENSING_RULES", ""),
    ("sensing_offline_after", "CITYLOOP_SENSING_OFFLINE_AFTER", 900),
    ("sensing_batch_max", "CITYLOOP_SENSING_BATCH_MAX", 1000),
    ("sensing_batch_wait_ms", "CITYLOOP_SENSING_BATCH_WAIT_MS", 20),
    ("sensing_tick_seconds", "CITYLOOP_SENSING_TICK_SECONDS", 5.0),
    ("sensing_last_seen_every", "CITYLOOP_SENSING_LAST_SEEN_EVERY", 30),
    ("sensing_dedup_days", "CITYLOOP_SENSING_DEDUP_DAYS", 14),
    ("sensing_max_clock_skew", "CITYLOOP_SENSING_MAX_CLOCK_SKEW", 600),
]


@dataclass(frozen=True)
class SensingConfig:
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str = ""
    mqtt_password: str = ""
    mqtt_tls: bool = False
    mqtt_ca_file: str = ""  # empty with TLS on: the system's CA store
    mqtt_client_id: str = "cityloop-sensing"  # fixed: the broker keeps this session
    mqtt_topic_prefix: str = "cityloop"
    mqtt_tenant: str = "default"  # "+" subscribes to every tenant
    mqtt_session_expiry: int = 7 * 24 * 3600  # seconds the broker keeps the session offline
    mqtt_keepalive: int = 30
    mqtt_receive_maximum: int = 2000  # unacknowledged QoS 1 messages in flight (MQTT 5)
    sensing_enabled: bool = False  # `cityloop serve`/`demo` start the consumer
    sensing_rules: str = ""  # rule file; empty: the shipped cityloop/sensing/rules.yaml
    sensing_offline_after: int = 900  # seconds of silence before a device is offline
    sensing_batch_max: int = 1000  # messages committed per transaction at most
    sensing_batch_wait_ms: int = 20  # how long a batch waits to fill
    sensing_tick_seconds: float = 5.0  # absence / offline checks
    sensing_last_seen_every: int = 30  # seconds between a device's last-seen writes
    sensing_dedup_days: int = 14  # processed message ids kept (> the broker session expiry)
    sensing_max_clock_skew: int = 600  # a message time this far in the future is rejected
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rules_path(self) -> Path:
        return Path(self.sensing_rules) if self.sensing_rules else DEFAULT_RULES

    def with_(self, **changes: Any) -> SensingConfig:
        return replace(self, **changes)


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def sensing_config(settings: Settings | None = None) -> SensingConfig:
    values: dict[str, Any] = {}
    for name, env, default in _FIELDS:
        if settings is not None and name in type(settings).model_fields:
            values[name] = getattr(settings, name)
            continue
        raw = os.environ.get(env)
        values[name] = default if raw is None or raw == "" else _coerce(raw, default)
    return SensingConfig(**values)
