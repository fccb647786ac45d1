"""Topics and the device message payload (pure: no I/O).

Topic: ``{prefix}/{tenant}/devices/{device_id}/{kind}`` with kind ``event``, ``telemetry`` or
``status``; commands to actuators go to ``{prefix}/{tenant}/devices/{target}/command``.

Payload (JSON object, UTF-8, at most 64 KiB)::

    {
      "message_id": "cam-0001-000123",      # required, 1–64 chars: the device's own id
      "type": "fall_detected",               # event: required; telemetry: "reading";
                                             # status: "heartbeat" | "online" | "offline"
      "time": "2026-11-24T10:00:00+08:00",   # required: ISO 8601 with offset, or epoch seconds
      "values": {"gas_ppm": 12.5},           # optional: names → number | bool | short string
      "image": "https://…/snap.jpg",         # optional: a URL (or {"url": …}) of the snapshot
      "confidence": 0.93,                    # optional: AI model confidence, 0–1
      "model": "yolo-fall-v3"                # optional: the AI model that decided
    }
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

KINDS = ("event", "telemetry", "status")
STATUS_TYPES = ("heartbeat", "online", "offline")
MAX_PAYLOAD = 64 * 1024
MAX_VALUES = 64
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TOPIC_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

Value = float | bool | str


class InvalidMessage(ValueError):
    """A message that cannot be taken; `reason` is a short machine-friendly key, `detail`
    says what was wrong (logged and counted, never raised out of the consumer)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Topic:
    tenant: str
    device_id: str
    kind: str


@dataclass(slots=True)
class Message:
    tenant: str
    device_id: str
    kind: str
    message_id: str
    type: str
    time: datetime
    values: dict[str, Value] = field(default_factory=dict)
    image: str | None = None
    confidence: float | None = None
    model: str | None = None

    def number(self, name: str) -> float | None:
        v = self.values.get(name)
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        return float(v)

    def as_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "type": self.type,
            "time": self.time.isoformat(),
            "values": self.values,
        }
        if self.image:
            out["image"] = self.image
        if self.confidence is not None:
            out["confidence"] = self.confidence
        if self.model:
            out["model"] = self.model
        return out


def topic_for(prefix: str, tenant: str, device_id: str, kind: str) -> str:
    return f"{prefix}/{tenant}/devices/{device_id}/{kind}"


def subscriptions(prefix: str, tenant: str) -> list[str]:
    """What the consumer subscribes to (never its own command topics)."""
    return [f"{prefix}/{tenant}/devices/+/{kind}" for kind in KINDS]


def parse_topic(topic: str, prefix: str) -> Topic:
    parts = topic.split("/")
    head = prefix.split("/")
    n = len(head)
    if len(parts) != n + 4 or parts[:n] != head or parts[n + 1] != "devices":
        raise InvalidMessage("topic", f"'{topic}' is not {prefix}/{{tenant}}/devices/{{id}}/kind")
    tenant, device_id, kind = parts[n], parts[n + 2], parts[n + 3]
    if kind not in KINDS:
        raise InvalidMessage("topic", f"kind '{kind}' is not one of {', '.join(KINDS)}")
    if not _TOPIC_PART.match(tenant) or not _TOPIC_PART.match(device_id):
        raise InvalidMessage("topic", "tenant and device id: letters, digits, _ . - (1–64)")
    return Topic(tenant, device_id, kind)


def parse_time(raw: Any) -> datetime:
    if isinstance(raw, bool):
        raise InvalidMessage("time", "must be an ISO 8601 time with offset or epoch seconds")
    if isinstance(raw, int | float):
        if not math.isfinite(raw) or raw < 0 or raw > 4102444800:
            raise InvalidMessage("time", f"epoch seconds {raw} out of range")
        return datetime.fromtimestamp(raw, UTC)
    if isinstance(raw, str) and 10 <= len(raw) <= 40:
        try:
            t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidMessage("time", f"'{raw}' is not ISO 8601") from None
        if t.tzinfo is None:
            raise InvalidMessage("time", f"'{raw}' has no UTC offset")
        return t.astimezone(UTC)
    raise InvalidMessage("time", "required: an ISO 8601 time with offset or epoch seconds")


def _values(raw: Any) -> dict[str, Value]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidMessage("values", "must be an object of name → number, bool or string")
    if len(raw) > MAX_VALUES:
        raise InvalidMessage("values", f"more than {MAX_VALUES} values")
    out: dict[str, Value] = {}
    for k, v in raw.items():
        if not _NAME.match(k):
            raise InvalidMessage("values", f"name '{k}' must be snake_case (a-z, 0-9, _)")
        if isinstance(v, bool):
            out[k] = v
        elif isinstance(v, int | float):
            if not math.isfinite(v):
                raise InvalidMessage("values", f"'{k}' is not a finite number")
            out[k] = float(v)
        elif isinstance(v, str) and len(v) <= 200:
            out[k] = v
        else:
            raise InvalidMessage("values", f"'{k}' must be a number, bool or string (≤ 200)")
    return out


def parse_payload(topic: Topic, data: Any, now: datetime, max_skew_s: float = 600) -> Message:
    """Validate one decoded payload for its topic. `now` bounds the message time."""
    if not isinstance(data, dict):
        raise InvalidMessage("payload", "must be a JSON object")
    mid = data.get("message_id")
    if not isinstance(mid, str) or not _ID.match(mid):
        raise InvalidMessage("message_id", "required: 1–64 of letters, digits, _ . : -")
    kind = topic.kind
    mtype = data.get("type")
    if mtype is None:
        mtype = {"telemetry": "reading", "status": "heartbeat"}.get(kind)
    if not isinstance(mtype, str) or not _NAME.match(mtype):
        raise InvalidMessage("type", "required for events: a snake_case event type")
    if kind == "status" and mtype not in STATUS_TYPES:
        raise InvalidMessage("type", f"status type must be one of {', '.join(STATUS_TYPES)}")
    t = parse_time(data.get("time"))
    if t > now + timedelta(seconds=max_skew_s):
        raise InvalidMessage("time", f"{t.isoformat()} is in the future (device clock?)")
    image = data.get("image")
    if isinstance(image, dict):
        image = image.get("url")
    if image is not None and (
        not isinstance(image, str) or not image or len(image) > 1000 or " " in image
    ):
        raise InvalidMessage("image", 'must be a URL (≤ 1000 chars) or {"url": …}')
    conf = data.get("confidence")
    if conf is not None:
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise InvalidMessage("confidence", "must be a number from 0 to 1")
        conf = float(conf)
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or len(model) > 64):
        raise InvalidMessage("model", "must be a string of at most 64 characters")
    return Message(
        tenant=topic.tenant,
        device_id=topic.device_id,
        kind=kind,
        message_id=mid,
        type=mtype,
        time=t,
        values=_values(data.get("values")),
        image=image,
        confidence=conf,
        model=model,
    )


def decode(payload: bytes) -> Any:
    if len(payload) > MAX_PAYLOAD:
        raise InvalidMessage("payload", f"larger than {MAX_PAYLOAD} bytes")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage("json", str(exc)[:120]) from None


def parse_message(
    topic: str, payload: bytes, prefix: str, now: datetime, max_skew_s: float = 600
) -> Message:
    return parse_payload(parse_topic(topic, prefix), decode(payload), now, max_skew_s)
