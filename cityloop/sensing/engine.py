"""Rule evaluation per device stream, in memory (pure: no I/O).

`observe` takes one message and returns what fires or recovers; `tick` runs the checks that
depend on time passing (absence of readings, a silent device). Stream rules (event, threshold,
rate) run on the message's own time, so a replay or a redelivered backlog judges durations the
way they happened; absence and offline run on the clock given to `tick`.

The engine keeps only a few fields per (device, rule): most telemetry fires nothing and costs a
dictionary lookup and a comparison. Which order is open is not the engine's business: the
pipeline keeps one open order per device and rule in the database.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cityloop.sensing.rules import Rule, RuleSet
from cityloop.sensing.schema import Message

FIRE = "fire"
RECOVER = "recover"
# A qualifying event while the rule's order cools down: the actuators act on every one (hold
# the lift doors for each e-bike), only the order and its notifications wait.
COMMAND = "command"
# An absence mark is written back when it moved this much (the window is hours or days).
MARK_GRANULARITY = timedelta(seconds=60)
SINCE = ":since"  # marks key: when a threshold's condition started to hold (rare writes)


@dataclass
class DeviceView:
    """What the rules need to know of a device (from the registry)."""

    pk: int
    tenant: str
    device_id: str
    type: str
    name: str = ""
    model: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    grid_code: str | None = None
    owner: str | None = None
    tags: frozenset[str] = frozenset()
    marks: dict[str, datetime] = field(default_factory=dict)  # absence: last qualifying reading
    last_seen: datetime | None = None
    status: str = "unknown"


@dataclass
class Trigger:
    kind: str  # FIRE or RECOVER
    rule: Rule
    device: DeviceView
    at: datetime
    message: Message | None = None
    value_name: str | None = None
    value: Any = None
    count: int | None = None
    duration: timedelta | None = None


@dataclass(slots=True)
class _State:
    active: bool = False
    since: datetime | None = None
    last_fired: datetime | None = None
    last_ok: datetime | None = None
    times: dict[str, deque[datetime]] | None = None
    commanded: datetime | None = None  # threshold: the excursion whose commands were sent


class RuleEngine:
    def __init__(self, rules: RuleSet, tz: ZoneInfo, offline_after: timedelta) -> None:
        self.rules = rules
        self.tz = tz
        self.offline_after = offline_after
        self._by_type: dict[str, tuple[Rule, ...]] = {}
        self._state: dict[tuple[int, str], _State] = {}
        self.dirty_marks: dict[int, dict[str, datetime]] = {}

    # -- bookkeeping -----------------------------------------------------------------------
    def rules_for(self, device_type: str) -> tuple[Rule, ...]:
        found = self._by_type.get(device_type)
        if found is None:
            found = self._by_type[device_type] = self.rules.for_type(device_type)
        return found

    def _st(self, pk: int, rule_id: str) -> _State:
        key = (pk, rule_id)
        st = self._state.get(key)
        if st is None:
            st = self._state[key] = _State()
        return st

    def set_active(self, pk: int, rule_id: str, active: bool = True) -> None:
        """Seed from the database (open incidents) after a restart."""
        self._st(pk, rule_id).active = active

    def is_active(self, pk: int, rule_id: str) -> bool:
        st = self._state.get((pk, rule_id))
        return bool(st and st.active)

    def forget(self, pks: set[int]) -> None:
        """Drop the in-memory state of these devices (after a failed batch is retried, so no
        message is counted twice); active flags are re-seeded by the caller."""
        for key in [k for k in self._state if k[0] in pks]:
            del self._state[key]

    def _mark(self, d: DeviceView, key: str, at: datetime | None) -> None:
        if at is None:
            d.marks.pop(key, None)
        else:
            d.marks[key] = at
        self.dirty_marks.setdefault(d.pk, {})[key] = at or d.last_seen or datetime.min

    def _cool(self, rule: Rule, st: _State, at: datetime) -> bool:
        return st.last_fired is None or at - st.last_fired >= rule.cooldown or at < st.last_fired

    def _outside(self, rule: Rule, at: datetime) -> bool:
        if not rule.outside_hours:
            return True
        t = at.astimezone(self.tz).time()
        return not any(start <= t < end for start, end in rule.outside_hours)

    def _matches(self, rule: Rule, msg: Message) -> bool:
        if msg.type not in rule.event:
            return False
        if rule.min_confidence is not None and (
            msg.confidence is None or msg.confidence < rule.min_confidence
        ):
            return False
        for cond in rule.when:
            x = msg.number(cond.value)
            if x is None or not cond.holds(x):
                return False
        return self._outside(rule, msg.time)

    # -- one message -------------------------------------------------------------------------
    def observe(self, device: DeviceView, msg: Message) -> list[Trigger]:
        out: list[Trigger] = []
        for rule in self.rules_for(device.type):
            kind = rule.kind
            if kind == "threshold":
                self._threshold(rule, device, msg, out)
            elif kind == "event":
                self._event(rule, device, msg, out)
            elif kind == "rate":
                self._rate(rule, device, msg, out)
            elif kind == "absence":
                self._absence_reading(rule, device, msg, out)
            elif kind == "offline" and msg.type != "offline":
                st = self._state.get((device.pk, rule.id))
                if st is not None and st.active:
                    st.active = False
                    out.append(Trigger(RECOVER, rule, device, msg.time, msg))
        return out

    def _threshold(self, rule: Rule, d: DeviceView, msg: Message, out: list[Trigger]) -> None:
        cond = rule.when[0]
        x = msg.number(cond.value)
        if x is None:
            return
        key = (d.pk, rule.id)
        st = self._state.get(key)
        if st is None:  # after a restart: an excursion under way is remembered in the marks
            st = self._state[key] = _State(since=d.marks.get(rule.id + SINCE))
        t = msg.time
        if cond.holds(x):
            if st.since is None or t < st.since:
                st.since = t
                self._mark(d, rule.id + SINCE, t)
            if not st.active and t - st.since >= rule.duration:
                if self._cool(rule, st, t):
                    st.active = True
                    st.last_fired = t
                    st.commanded = st.since
                    out.append(Trigger(FIRE, rule, d, t, msg, cond.value, x, duration=t - st.since))
                elif rule.command and st.commanded != st.since:
                    st.commanded = st.since  # once per excursion, like the order
                    out.append(
                        Trigger(COMMAND, rule, d, t, msg, cond.value, x, duration=t - st.since)
                    )
            return
        if st.since is not None:
            st.since = None
            self._mark(d, rule.id + SINCE, None)
        if st.active:
            clear = rule.recovery.when if rule.recovery else None
            if clear is not None and not clear.holds(x):
                return  # between the limits (hysteresis): neither alarm nor normal yet
            st.active = False
            if rule.recovery is not None:
                out.append(Trigger(RECOVER, rule, d, t, msg, cond.value, x))

    def _event(self, rule: Rule, d: DeviceView, msg: Message, out: list[Trigger]) -> None:
        if self._matches(rule, msg):
            st = self._st(d.pk, rule.id)
            if self._cool(rule, st, msg.time):
                st.active = True
                st.last_fired = msg.time
                out.append(Trigger(FIRE, rule, d, msg.time, msg, value=msg.confidence))
            elif rule.command:
                out.append(Trigger(COMMAND, rule, d, msg.time, msg, value=msg.confidence))
        elif rule.recovery is not None and msg.type in rule.recovery.events:
            st = self._st(d.pk, rule.id)
            if st.active:
                st.active = False
                out.append(Trigger(RECOVER, rule, d, msg.time, msg))

    def _rate(self, rule: Rule, d: DeviceView, msg: Message, out: list[Trigger]) -> None:
        if not self._matches(rule, msg):
            return
        st = self._st(d.pk, rule.id)
        if st.times is None:
            st.times = {}
        key = str(msg.values.get(rule.per, "")) if rule.per else ""
        dq = st.times.get(key)
        if dq is None:
            dq = st.times[key] = deque()
        t = msg.time
        dq.append(t)
        while dq and t - dq[0] > rule.within:
            dq.popleft()
        if len(dq) >= rule.count and (self._cool(rule, st, t) or rule.command):
            kind = FIRE if self._cool(rule, st, t) else COMMAND
            if kind == FIRE:
                st.last_fired = t
            out.append(
                Trigger(
                    kind, rule, d, t, msg, rule.per, key or None, count=len(dq), duration=t - dq[0]
                )
            )
            dq.clear()

    def _absence_reading(self, rule: Rule, d: DeviceView, msg: Message, out: list[Trigger]) -> None:
        cond = rule.when[0]
        x = msg.number(cond.value)
        if x is None or not cond.holds(x):
            return
        st = self._st(d.pk, rule.id)
        t = msg.time
        if st.last_ok is None or t > st.last_ok:
            st.last_ok = t
            stored = d.marks.get(rule.id)
            if stored is None or t - stored >= MARK_GRANULARITY:
                d.marks[rule.id] = t
                self.dirty_marks.setdefault(d.pk, {})[rule.id] = t
        if st.active:
            st.active = False
            if rule.recovery is not None or rule.order is not None:
                out.append(Trigger(RECOVER, rule, d, t, msg, cond.value, x))

    # -- time passing --------------------------------------------------------------------------
    def tick(self, device: DeviceView, now: datetime) -> list[Trigger]:
        out: list[Trigger] = []
        for rule in self.rules_for(device.type):
            if rule.kind == "absence":
                if not rule.require_tags <= device.tags:
                    continue
                st = self._st(device.pk, rule.id)
                if st.last_ok is None:
                    st.last_ok = device.marks.get(rule.id)
                if st.last_ok is None:  # the window starts when we first look
                    st.last_ok = device.marks[rule.id] = now
                    self.dirty_marks.setdefault(device.pk, {})[rule.id] = now
                silent = now - st.last_ok
                if not st.active and silent >= rule.within and self._cool(rule, st, now):
                    st.active = True
                    st.last_fired = now
                    out.append(
                        Trigger(FIRE, rule, device, now, None, rule.when[0].value, duration=silent)
                    )
            elif rule.kind == "offline":
                if device.last_seen is None:
                    continue  # never seen: installed but not yet reporting
                st = self._st(device.pk, rule.id)
                silent = now - device.last_seen
                if not st.active and silent >= (rule.after or self.offline_after):
                    st.active = True
                    st.last_fired = now
                    out.append(Trigger(FIRE, rule, device, now, None, duration=silent))
        return out

    def offline_after_for(self, device_type: str) -> timedelta:
        for rule in self.rules_for(device_type):
            if rule.kind == "offline" and rule.after is not None:
                return rule.after
        return self.offline_after
