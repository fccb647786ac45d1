"""What each audited log seals: the content fields of its rows, and how to read them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cityloop.audit.keys import current
from cityloop.domain.audit_chain import ChainRecord, seal

AUDIT_FIELDS = (
    "at",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "target",
    "result",
    "source",
    "user_agent",
    "detail",
)
EVENT_FIELDS = (
    "action",
    "at",
    "from_status",
    "to_status",
    "actor_id",
    "actor_name",
    "actor_role",
    "note",
    "data",
)


@dataclass(frozen=True)
class Log:
    table: str
    fields: tuple[str, ...]
    anchor: str | None  # a column the writer cannot know (sealed by the chain only)
    label: str


AUDIT = Log("audit_log", AUDIT_FIELDS, None, "审计日志 audit log")
EVENTS = Log("order_events", EVENT_FIELDS, "work_order_id", "工单时间线 work-order timeline")
LOGS = (AUDIT, EVENTS)


def content(log: Log, values: Mapping[str, Any]) -> dict[str, Any]:
    return {f: values.get(f) for f in log.fields}


def mac_for(log: Log, values: Mapping[str, Any]) -> str:
    """The writer's seal over a new row's content."""
    k = current()
    return seal(k.key, k.algorithm, content(log, values))


def anchor_of(log: Log, values: Mapping[str, Any]) -> str:
    return "" if log.anchor is None else str(values[log.anchor])


def chain_record(log: Log, values: Mapping[str, Any]) -> ChainRecord:
    return ChainRecord(
        id=int(values["id"]),
        seq=values["chain_seq"],
        content=content(log, values),
        anchor=anchor_of(log, values),
        mac=values["mac"],
        chain_hash=values["chain_hash"],
    )
