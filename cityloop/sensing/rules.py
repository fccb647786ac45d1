"""The declarative rule file (YAML), validated at load (pure: no database, no broker).

Every problem names the rule and the field, and a file with any problem is refused as a whole.
The reference with examples is docs/SENSING.md; the shipped rules are `rules.yaml`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import yaml

from cityloop.domain.statuses import Urgency

KINDS = ("event", "threshold", "rate", "absence", "offline")
OPS = (">=", "<=", "==", "!=", ">", "<")
TEMPLATE_FIELDS = frozenset(
    {
        "device_id",
        "device_name",
        "device_type",
        "type_label",
        "model",
        "address",
        "grid_code",
        "owner",
        "rule_id",
        "rule_name",
        "event",
        "value",
        "value_name",
        "limit",
        "values",
        "confidence",
        "image",
        "time",
        "count",
        "duration",
    }
)
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COND = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_RULE_KEYS = {
    "id",
    "name",
    "kind",
    "device_types",
    "event",
    "when",
    "for",
    "min_confidence",
    "count",
    "within",
    "per",
    "outside_hours",
    "require_tags",
    "after",
    "cooldown",
    "order",
    "notify",
    "command",
    "recovery",
    "enabled",
    "maintenance",
}
# Device-health events (设备运维): they mean "send a technician", never "danger here", so
# their orders stay apart from alarm orders (rules.py keeps them in rules of their own).
MAINTENANCE_EVENTS = frozenset(
    {
        "battery_low",
        "low_battery",
        "tamper",
        "tampered",
        "cover_removed",
        "fault",
        "sensor_fault",
        "self_test_failed",
        "signal_weak",
        "offline",
    }
)


@dataclass(frozen=True)
class RuleProblem:
    rule: str  # the rule's id, or "#n" when it has none
    field: str
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}, field '{self.field}': {self.message}"


class RulesInvalid(ValueError):
    def __init__(self, problems: list[RuleProblem], source: str = "rules") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Condition:
    value: str
    op: str
    limit: float

    def holds(self, x: float) -> bool:
        op = self.op
        if op == ">":
            return x > self.limit
        if op == ">=":
            return x >= self.limit
        if op == "<":
            return x < self.limit
        if op == "<=":
            return x <= self.limit
        if op == "==":
            return x == self.limit
        return x != self.limit

    def __str__(self) -> str:
        return f"{self.value} {self.op} {self.limit:g}"


@dataclass(frozen=True)
class OrderAction:
    category: str | None  # a category name path ("水电气/燃气/燃气泄漏") or a code
    urgency: Urgency
    title: str
    content: str


@dataclass(frozen=True)
class NotifyAction:
    to: str  # "grid", "community", "owner", "department:D-XF", "role:dispatcher"
    message: str


@dataclass(frozen=True)
class CommandAction:
    target: str  # template of the actuator id, e.g. "streetlights-{grid_code}"
    command: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recovery:
    events: frozenset[str] = frozenset()  # event rules: these event types mean "normal again"
    when: Condition | None = None  # threshold rules: the clear condition (hysteresis)
    cancel: bool = True  # cancel the order while no department has taken it
    note: str = "设备已恢复正常，自动关闭"
    notify: tuple[NotifyAction, ...] = ()
    command: tuple[CommandAction, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str
    device_types: frozenset[str]  # "*" matches every type
    event: frozenset[str] = frozenset()
    when: tuple[Condition, ...] = ()
    duration: timedelta = timedelta(0)  # threshold: how long the condition must hold
    min_confidence: float | None = None
    count: int = 1
    within: timedelta = timedelta(0)
    per: str | None = None
    outside_hours: tuple[tuple[time, time], ...] = ()
    require_tags: frozenset[str] = frozenset()
    after: timedelta | None = None  # offline: silence before the order (None: the setting)
    cooldown: timedelta = timedelta(0)
    order: OrderAction | None = None
    notify: tuple[NotifyAction, ...] = ()
    command: tuple[CommandAction, ...] = ()
    recovery: Recovery | None = None
    # A device-health rule (battery low, offline, tamper): its order is a maintenance order of
    # its own, never linked with an alarm's order about the same place.
    maintenance: bool = False

    def applies_to(self, device_type: str) -> bool:
        return "*" in self.device_types or device_type in self.device_types

    @property
    def opens_incidents(self) -> bool:
        """Rules that create orders are de-duplicated in the database (one open order per
        device and rule); command/notify-only rules keep their state in memory."""
        return self.order is not None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    device_types: dict[str, str]  # type → Chinese label
    source: str = "rules"

    def for_type(self, device_type: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.applies_to(device_type))

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# -- parsing helpers -----------------------------------------------------------------------
def parse_duration(raw: Any) -> timedelta:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= 0:
        return timedelta(seconds=raw)
    if isinstance(raw, str):
        m = _DURATION.match(raw)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f"'{raw}' is not a duration like 30s, 10m, 48h or 7d")


def parse_condition(raw: Any) -> Condition:
    m = _COND.match(raw) if isinstance(raw, str) else None
    if not m:
        raise ValueError(f"'{raw}' is not a condition like 'gas_ppm > 50'")
    return Condition(m.group(1), m.group(2), float(m.group(3)))


def parse_hours(raw: Any) -> tuple[tuple[time, time], ...]:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected windows like '07:00-09:00,18:00-21:00'")
    out = []
    for part in raw.split(","):
        m = _HOURS.match(part.strip())
        if not m:
            raise ValueError(f"'{part.strip()}' is not a window like 07:00-09:00")
        h0, m0, h1, m1 = (int(x) for x in m.groups())
        if h0 > 23 or h1 > 24 or m0 > 59 or m1 > 59:
            raise ValueError(f"'{part.strip()}' is not a time of day")
        end = time(23, 59, 59) if h1 == 24 else time(h1, m1)
        out.append((time(h0, m0), end))
    return tuple(out)


def _strings(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(x, str) and x for x in raw):
        return list(raw)
    raise ValueError("expected a name or a list of names")


def check_template(text: Any) -> str:
    if not isinstance(text, str):
        raise ValueError("expected text")
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad template: {exc}") from None
    unknown = [n for n in names if n.split(".")[0].split("[")[0] not in TEMPLATE_FIELDS]
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0]}}}; use {', '.join(sorted(TEMPLATE_FIELDS))}"
        )
    return text


class _Collector:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []

    def add(self, rule: str, fld: str, message: str) -> None:
        self.problems.append(RuleProblem(rule, fld, message))

    def take(self, rule: str, fld: str, fn: Any, raw: Any) -> Any:
        try:
            return fn(raw)
        except ValueError as exc:
            self.add(rule, fld, str(exc))
            return None


def _order(c: _Collector, rid: str, raw: Any) -> OrderAction | None:
    if not isinstance(raw, dict):
        c.add(rid, "order", "expected a mapping with category, urgency, title, content")
        return None
    for k in raw:
        if k not in ("category", "urgency", "title", "content"):
            c.add(rid, f"order.{k}", "unknown field")
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip()):
        c.add(rid, "order.category", "expected a category path like 水电气/燃气/燃气泄漏")
    urgency = Urgency.NORMAL
    try:
        urgency = Urgency(raw.get("urgency", "normal"))
    except ValueError:
        c.add(rid, "order.urgency", f"'{raw.get('urgency')}' is not one of normal, urgent")
    title = c.take(rid, "order.title", check_template, raw.get("title", "{rule_name}"))
    content = c.take(
        rid,
        "order.content",
        check_template,
        raw.get("content", "{type_label} {device_id} 报告：{rule_name}（{values}）"),
    )
    return OrderAction(category, urgency, title or "", content or "")


def _notifies(c: _Collector, rid: str, fld: str, raw: Any) -> tuple[NotifyAction, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        f = f"{fld}[{i}]" if isinstance(raw, list) else fld
        if not isinstance(item, dict) or "to" not in item or "message" not in item:
            c.add(rid, f, "expected a mapping with to and message")
            continue
        to = item["to"]
        if not isinstance(to, str) or not (
            to in ("grid", "community", "owner") or to.startswith(("department:", "role:", "user:"))
        ):
            c.add(rid, f"{f}.to", "one of grid, community, owner, department:X, role:X, user:X")
            continue
        msg = c.take(rid, f"{f}.message", check_template, item["message"])
        if msg is not None:
            out.append(NotifyAction(to, msg))
    return tuple(out)


def _commands(c: _Collector, rid: str, fld: str, raw: Any) -> tuple[CommandAction, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        f = f"{fld}[{i}]" if isinstance(raw, list) else fld
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            c.add(rid, f, "expected a mapping with target, command and optional args")
            continue
        target = c.take(rid, f"{f}.target", check_template, item.get("target", "{device_id}"))
        args = item.get("args", {})
        if not isinstance(args, dict):
            c.add(rid, f"{f}.args", "expected a mapping")
            continue
        if target is not None:
            out.append(CommandAction(target, item["command"], dict(args)))
    return tuple(out)


def _recovery(c: _Collector, rid: str, kind: str, raw: Any) -> Recovery | None:
    if raw is None:
        return None
    if kind == "rate":
        c.add(rid, "recovery", "rate rules count occurrences and have no recovery")
        return None
    if not isinstance(raw, dict):
        c.add(rid, "recovery", "expected a mapping")
        return None
    for k in raw:
        if k not in ("event", "when", "cancel", "note", "notify", "command"):
            c.add(rid, f"recovery.{k}", "unknown field")
    events: frozenset[str] = frozenset()
    when = None
    if "event" in raw:
        if kind != "event":
            c.add(rid, "recovery.event", "only event rules recover on an event")
        got = c.take(rid, "recovery.event", _strings, raw["event"])
        events = frozenset(got or ())
    elif kind == "event":
        c.add(rid, "recovery.event", "event rules need the event type(s) that mean normal")
    if "when" in raw:
        if kind != "threshold":
            c.add(rid, "recovery.when", "only threshold rules take a clear condition")
        when = c.take(rid, "recovery.when", parse_condition, raw["when"])
    cancel = raw.get("cancel", True)
    if not isinstance(cancel, bool):
        c.add(rid, "recovery.cancel", "expected true or false")
        cancel = True
    note = c.take(rid, "recovery.note", check_template, raw.get("note", Recovery.note))
    return Recovery(
        events=events,
        when=when,
        cancel=cancel,
        note=note or Recovery.note,
        notify=_notifies(c, rid, "recovery.notify", raw["notify"]) if "notify" in raw else (),
        command=_commands(c, rid, "recovery.command", raw["command"]) if "command" in raw else (),
    )


def _rule(c: _Collector, i: int, raw: Any, types: dict[str, str]) -> Rule | None:
    if not isinstance(raw, dict):
        c.add(f"#{i}", "rule", "expected a mapping")
        return None
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        c.add(f"#{i}", "id", "required: snake_case, at most 32 characters")
        rid = f"#{i}"
    for k in raw:
        if k not in _RULE_KEYS:
            c.add(rid, str(k), "unknown field")
    kind = raw.get("kind")
    if kind not in KINDS:
        c.add(rid, "kind", f"'{kind}' is not one of {', '.join(KINDS)}")
        return None
    name = raw.get("name", rid)
    if not isinstance(name, str) or not name:
        c.add(rid, "name", "expected text")
    dtypes = c.take(rid, "device_types", _strings, raw.get("device_types")) or []
    for t in dtypes:
        if t != "*" and t not in types:
            c.add(rid, "device_types", f"unknown device type '{t}' (declare it in device_types)")
    kw: dict[str, Any] = {}
    if kind in ("event", "rate"):
        ev = c.take(rid, "event", _strings, raw.get("event"))
        kw["event"] = frozenset(ev or ())
    elif "event" in raw:
        c.add(rid, "event", f"{kind} rules watch values, not events")
    when_raw = raw.get("when")
    if when_raw is not None:
        conds = when_raw if isinstance(when_raw, list) else [when_raw]
        parsed = [c.take(rid, "when", parse_condition, x) for x in conds]
        kw["when"] = tuple(p for p in parsed if p is not None)
    if kind in ("threshold", "absence") and len(kw.get("when", ())) != 1:
        c.add(rid, "when", f"{kind} rules need exactly one condition like 'gas_ppm > 50'")
    if "for" in raw:
        if kind != "threshold":
            c.add(rid, "for", "only threshold rules take a duration")
        kw["duration"] = c.take(rid, "for", parse_duration, raw["for"]) or timedelta(0)
    if "min_confidence" in raw:
        mc = raw["min_confidence"]
        if isinstance(mc, bool) or not isinstance(mc, int | float) or not 0 <= mc <= 1:
            c.add(rid, "min_confidence", "expected a number from 0 to 1")
        else:
            kw["min_confidence"] = float(mc)
    if kind == "rate":
        n = raw.get("count")
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            c.add(rid, "count", "rate rules need a count of at least 2")
        else:
            kw["count"] = n
    if kind in ("rate", "absence"):
        w = c.take(rid, "within", parse_duration, raw.get("within"))
        if w is not None and w <= timedelta(0):
            c.add(rid, "within", "must be longer than zero")
        kw["within"] = w or timedelta(0)
    elif "within" in raw:
        c.add(rid, "within", "only rate and absence rules take a window")
    if "per" in raw:
        per = raw["per"]
        if kind != "rate" or not isinstance(per, str) or not _ID.match(per):
            c.add(rid, "per", "rate rules only: the value naming the point (snake_case)")
        else:
            kw["per"] = per
    if "outside_hours" in raw:
        kw["outside_hours"] = c.take(rid, "outside_hours", parse_hours, raw["outside_hours"])
    if "require_tags" in raw:
        kw["require_tags"] = frozenset(
            c.take(rid, "require_tags", _strings, raw["require_tags"]) or ()
        )
    if "after" in raw:
        if kind != "offline":
            c.add(rid, "after", "only offline rules take a silence")
        kw["after"] = c.take(rid, "after", parse_duration, raw["after"])
    if "cooldown" in raw:
        kw["cooldown"] = c.take(rid, "cooldown", parse_duration, raw["cooldown"]) or timedelta(0)
    if "order" in raw:
        kw["order"] = _order(c, rid, raw["order"])
    if "notify" in raw:
        kw["notify"] = _notifies(c, rid, "notify", raw["notify"])
    if "command" in raw:
        kw["command"] = _commands(c, rid, "command", raw["command"])
    if not any(k in raw for k in ("order", "notify", "command")):
        c.add(rid, "order", "a rule needs at least one action: order, notify or command")
    kw["recovery"] = _recovery(c, rid, kind, raw.get("recovery"))
    kw["maintenance"] = _maintenance(c, rid, kind, kw.get("event", frozenset()), raw)
    return Rule(id=rid, name=str(name), kind=kind, device_types=frozenset(dtypes), **kw)


def _maintenance(
    c: _Collector, rid: str, kind: str, events: frozenset[str], raw: dict[str, Any]
) -> bool:
    """Offline rules and rules on device-health events are maintenance rules; a rule may not
    mix such events with alarms (a battery warning would then open or join the alarm's order)."""
    health = events & MAINTENANCE_EVENTS
    if health and health != events:
        c.add(
            rid,
            "event",
            f"maintenance events ({', '.join(sorted(health))}) need a rule of their own, "
            "apart from alarm events",
        )
    derived = kind == "offline" or bool(events) and health == events
    if "maintenance" not in raw:
        return derived
    flag = raw["maintenance"]
    if not isinstance(flag, bool):
        c.add(rid, "maintenance", "expected true or false")
        return derived
    if derived and not flag:
        c.add(rid, "maintenance", "offline and device-health rules are maintenance rules")
    return flag or derived


def parse_rules(data: Any, source: str = "rules") -> RuleSet:
    c = _Collector()
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesInvalid([RuleProblem("-", "rules", "expected a mapping with a rules list")])
    types_raw = data.get("device_types") or {}
    if not isinstance(types_raw, dict) or not all(
        isinstance(k, str) and _ID.match(k) and isinstance(v, str) for k, v in types_raw.items()
    ):
        c.add("-", "device_types", "expected a mapping of snake_case type → label")
        types_raw = {}
    types = dict(types_raw)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"], start=1):
        if isinstance(raw, dict) and raw.get("enabled") is False:
            continue
        rule = _rule(c, i, raw, types)
        if rule is None:
            continue
        if rule.id in seen:
            c.add(rule.id, "id", "duplicate rule id")
        seen.add(rule.id)
        rules.append(rule)
    if c.problems:
        raise RulesInvalid(c.problems, source)
    return RuleSet(tuple(rules), types, source)


def load_rules(path: Path) -> RuleSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesInvalid([RuleProblem("-", "file", str(exc))], str(path)) from None
    except yaml.YAMLError as exc:
        raise RulesInvalid([RuleProblem("-", "yaml", str(exc))], str(path)) from None
    return parse_rules(data, str(path))
