"""One batch of device messages → rules → work orders, committed in one transaction.

The consumer (MQTT) hands batches in and acknowledges them only after `process` returns, that
is after the batch's effects are committed: the processed-message keys, the orders created
through the intake, the notes and cancellations of recovered incidents, last-seen times.
Commands to actuators and notifications go out after the commit. Nothing here talks to the
broker except through the `CommandPublisher` port.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cityloop.sensing.config import SensingConfig
from cityloop.sensing.engine import COMMAND, FIRE, DeviceView, RuleEngine, Trigger
from cityloop.sensing.incidents import (
    IncidentOrders,
    Template,
)
from cityloop.sensing.ports import CommandPublisher, LiveAlarms, Notification, Notifier
from cityloop.sensing.registry import DeviceCache
from cityloop.sensing.rules import RuleSet
from cityloop.sensing.schema import InvalidMessage, Message, parse_message, parse_topic, topic_for
from cityloop.sensing.store import DeviceRow, IncidentRow, InvalidCountRow, ProcessedMessageRow
from cityloop.services.context import CityLoop
from cityloop.services.reference import Reference

log = logging.getLogger("cityloop.sensing")


@dataclass(slots=True)
class Inbound:
    topic: str
    payload: bytes
    token: Any = None  # what the transport needs to acknowledge it (an MQTT mid)


@dataclass
class Stats:
    received: int = 0
    processed: int = 0
    duplicates: int = 0
    invalid: Counter[str] = field(default_factory=Counter)
    orders_created: int = 0
    deduplicated: int = 0
    recovered: int = 0
    commands: int = 0
    notifications: int = 0
    batches: int = 0
    ticks: int = 0
    failures: int = 0
    handled: int = 0  # messages whose batch is finished (committed, or found invalid)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "processed": self.processed,
            "duplicates": self.duplicates,
            "invalid": dict(self.invalid),
            "orders_created": self.orders_created,
            "deduplicated": self.deduplicated,
            "recovered": self.recovered,
            "commands": self.commands,
            "notifications": self.notifications,
            "batches": self.batches,
            "ticks": self.ticks,
            "failures": self.failures,
            "handled": self.handled,
        }


@dataclass
class Outcome:
    """What a batch did (the webhook answers with it; tests read it)."""

    accepted: int = 0
    duplicates: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (reason, detail)
    orders: list[str] = field(default_factory=list)  # ticket numbers created
    recovered: list[str] = field(default_factory=list)


class _RateLimitedLog:
    def __init__(self, per_second: float = 10.0) -> None:
        self._per_second = per_second
        self._window = 0.0
        self._count = 0
        self.suppressed = 0

    def warn(self, msg: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._window >= 1.0:
            if self.suppressed:
                log.warning("%d more invalid messages not logged", self.suppressed)
            self._window, self._count, self.suppressed = now, 0, 0
        if self._count < self._per_second:
            self._count += 1
            log.warning(msg, *args)
        else:
            self.suppressed += 1


def count_invalid(
    session: Any, prefix: str, refused: list[tuple[str, InvalidMessage]], now: datetime
) -> None:
    """Add the batch's refused messages to the per-device, per-reason counts."""
    tally: dict[tuple[str, str, str], tuple[int, str]] = {}
    for topic, why in refused:
        try:
            where = parse_topic(topic, prefix)
            tenant, device = where.tenant, where.device_id
        except InvalidMessage:
            tenant, device = "", ""
        key = (tenant[:64], device[:64], why.reason[:32])
        n, _ = tally.get(key, (0, ""))
        tally[key] = (n + 1, why.detail[:200])
    for (tenant, device, reason), (n, detail) in tally.items():
        row = session.get(InvalidCountRow, (tenant, device, reason))
        if row is None:
            session.add(
                InvalidCountRow(
                    tenant=tenant,
                    device_id=device,
                    reason=reason,
                    count=n,
                    last_at=now,
                    last_detail=detail,
                )
            )
        else:
            row.count += n
            row.last_at, row.last_detail = now, detail


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    return "" if x is None else str(x)


def human_duration(d: timedelta | None) -> str:
    if d is None:
        return ""
    s = int(d.total_seconds())
    if s >= 86400 and s % 3600 == 0 or s >= 3 * 86400:
        return f"{s / 3600:g}小时" if s < 3 * 86400 else f"{s / 86400:.1f}天"
    if s >= 3600:
        return f"{s / 3600:.1f}小时"
    if s >= 60:
        return f"{s // 60}分钟"
    return f"{s}秒"


class Pipeline(IncidentOrders):
    def __init__(
        self,
        ctx: CityLoop,
        config: SensingConfig,
        rules: RuleSet,
        notifier: Notifier,
        publisher: CommandPublisher | None = None,
        live: LiveAlarms | None = None,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.rules = rules
        self.notifier = notifier
        self.publisher = publisher
        self.live = live
        self._new_alarms: list[dict[str, Any]] = []
        self.engine = RuleEngine(
            rules, ctx.settings.tz, timedelta(seconds=config.sensing_offline_after)
        )
        self.devices = DeviceCache(ctx, config.mqtt_tenant)
        self.stats = Stats()
        self._written: dict[int, datetime] = {}  # device pk → last-seen time last written
        self._status_dirty: set[int] = set()
        self._touched: dict[int, DeviceView] = {}
        self._warn = _RateLimitedLog()
        self._categories: tuple[int, dict[str, str]] = (0, {})
        self._last_prune = 0.0
        self._last_tick = 0.0

    # -- start-up --------------------------------------------------------------------------
    def start(self) -> None:
        self.devices.load()
        self.seed_active()

    def seed_active(self, pks: set[int] | None = None) -> None:
        """Open incidents are alarms still standing: their recovery must still close them."""
        with self.ctx.uow() as uow:
            stmt = select(IncidentRow.device_pk, IncidentRow.rule_id).where(
                IncidentRow.status == "open"
            )
            for pk, rule_id in uow.session.execute(stmt):
                if pks is None or pk in pks:
                    self.engine.set_active(pk, rule_id)

    def check_categories(self) -> list[str]:
        """Rules whose category path this city's taxonomy does not have."""
        known = self._category_map(self.ctx.reference.get())
        return [
            f"rule {r.id}, field 'order.category': unknown category '{r.order.category}'"
            for r in self.rules.rules
            if r.order and r.order.category and r.order.category not in known
        ]

    def _category_map(self, ref: Reference) -> dict[str, str]:
        if self._categories[0] != id(ref):
            by_path = {path: code for code, path in ref.category_paths.items()}
            by_path.update({code: code for code in ref.categories})
            self._categories = (id(ref), by_path)
        return self._categories[1]

    # -- a batch ---------------------------------------------------------------------------
    def parse(
        self, items: list[Inbound], now: datetime
    ) -> list[tuple[DeviceView, Message] | InvalidMessage]:
        out: list[tuple[DeviceView, Message] | InvalidMessage] = []
        prefix, skew = self.config.mqtt_topic_prefix, self.config.sensing_max_clock_skew
        for item in items:
            try:
                msg = parse_message(item.topic, item.payload, prefix, now, skew)
                device = self.devices.get(msg.tenant, msg.device_id)
                if device is None:
                    raise InvalidMessage("unknown_device", f"{msg.tenant}/{msg.device_id}")
            except InvalidMessage as exc:
                self.stats.invalid[exc.reason] += 1
                self._warn.warn("invalid message on %s: %s", item.topic[:200], exc)
                out.append(exc)
                continue
            out.append((device, msg))
        return out

    def process(self, items: list[Inbound]) -> Outcome:
        """Validate, de-duplicate, evaluate and commit one batch. Raises on a database error
        (nothing is committed then; the caller retries after `recover_from_failure`)."""
        now = self.ctx.clock.now()
        self.stats.received += len(items)
        outcome = Outcome()
        parsed = self.parse(items, now)
        valid: list[tuple[DeviceView, Message]] = []
        seen: set[tuple[int, str]] = set()
        refused: list[tuple[str, InvalidMessage]] = []  # (topic, why) for the counts
        for item, p in zip(items, parsed, strict=True):
            if isinstance(p, InvalidMessage):
                outcome.invalid.append((p.reason, p.detail))
                refused.append((item.topic, p))
                continue
            key = (p[0].pk, p[1].message_id)
            if key in seen:
                outcome.duplicates += 1
                continue
            seen.add(key)
            valid.append(p)
        after: list[Any] = []
        with self.ctx.uow() as uow:
            session = uow.session
            conn = session.connection()
            fresh = (
                _insert_processed(
                    conn,
                    [
                        {"device_pk": d.pk, "message_id": m.message_id, "processed_at": now}
                        for d, m in valid
                    ],
                )
                if valid
                else set()
            )
            triggers: list[Trigger] = []
            for device, msg in valid:
                if (device.pk, msg.message_id) not in fresh:
                    outcome.duplicates += 1
                    continue
                outcome.accepted += 1
                status = "offline" if msg.type == "offline" else "online"
                if status != device.status:
                    device.status = status
                    self._status_dirty.add(device.pk)
                device.last_seen = now
                self._touched[device.pk] = device
                triggers.extend(self.engine.observe(device, msg))
            for trig in triggers:
                self._apply(session, trig, now, outcome, after)
            self._flush_devices(conn, now, force=False)
            if refused:
                count_invalid(session, self.config.mqtt_topic_prefix, refused, now)
            uow.commit()
        self.stats.processed += outcome.accepted
        self.stats.duplicates += outcome.duplicates
        self.stats.batches += 1
        self._after_commit(after)
        self.stats.handled += len(items)
        return outcome

    def recover_from_failure(self, items: list[Inbound]) -> None:
        """A batch failed before its commit: forget what the engine learnt from it, so the
        retry does not count a message twice (partial windows of these devices restart)."""
        pks: set[int] = set()
        now = self.ctx.clock.now()
        for p in self.parse(items, now):
            if not isinstance(p, InvalidMessage):
                pks.add(p[0].pk)
        self.engine.forget(pks)
        self.engine.dirty_marks.clear()
        self.seed_active(pks)
        self._new_alarms.clear()  # their incidents were rolled back
        self.stats.failures += 1

    # -- time passing ------------------------------------------------------------------------
    def tick(self) -> Outcome:
        now = self.ctx.clock.now()
        outcome = Outcome()
        triggers: list[Trigger] = []
        for device in self.devices.all():
            if (
                device.last_seen is not None
                and device.status != "offline"
                and now - device.last_seen >= self.engine.offline_after_for(device.type)
            ):
                device.status = "offline"
                self._status_dirty.add(device.pk)
            triggers.extend(self.engine.tick(device, now))
        after: list[Any] = []
        with self.ctx.uow() as uow:
            for trig in triggers:
                self._apply(uow.session, trig, now, outcome, after)
            conn = uow.session.connection()
            self._flush_devices(conn, now, force=True)
            if time.monotonic() - self._last_prune > 3600:
                conn.execute(
                    delete(ProcessedMessageRow).where(
                        ProcessedMessageRow.processed_at
                        < now - timedelta(days=self.config.sensing_dedup_days)
                    )
                )
                self._last_prune = time.monotonic()
            uow.commit()
        self.stats.ticks += 1
        self._after_commit(after)
        return outcome

    # -- effects -----------------------------------------------------------------------------
    def _context(self, trig: Trigger, now: datetime) -> Template:
        d, rule, msg = trig.device, trig.rule, trig.message
        values = msg.values if msg else {}
        limit = rule.when[0].limit if rule.when else None
        return Template(
            device_id=d.device_id,
            device_name=d.name or d.device_id,
            device_type=d.type,
            type_label=self.rules.device_types.get(d.type, d.type),
            model=d.model,
            address=d.address,
            grid_code=d.grid_code or "",
            owner=d.owner or "",
            rule_id=rule.id,
            rule_name=rule.name,
            event=msg.type if msg else "",
            value=_fmt(trig.value),
            value_name=trig.value_name or "",
            limit=_fmt(limit),
            values="，".join(f"{k}={_fmt(v)}" for k, v in values.items()) or "无读数",
            confidence=_fmt(msg.confidence) if msg and msg.confidence is not None else "—",
            image=(msg.image or "") if msg else "",
            time=self.ctx.local(trig.at).strftime("%Y-%m-%d %H:%M:%S"),
            count=_fmt(trig.count),
            duration=human_duration(trig.duration),
        )

    def _apply(
        self, session: Session, trig: Trigger, now: datetime, out: Outcome, after: list[Any]
    ) -> None:
        ctxt = self._context(trig, now)
        rule = trig.rule
        ticket: str | None = None
        if trig.kind == COMMAND:  # the order cools down; the actuators act all the same
            after += [
                self._command(trig, c.target, c.command, c.args, ctxt, now) for c in rule.command
            ]
            return
        if trig.kind == FIRE:
            if rule.order is not None:
                ticket = self._open(session, trig, ctxt, now, out)
            if ticket is not None or rule.order is None:
                after += [
                    self._notification(trig, n.to, n.message, ctxt, ticket) for n in rule.notify
                ]
            after += [
                self._command(trig, c.target, c.command, c.args, ctxt, now) for c in rule.command
            ]
            return
        rec = rule.recovery
        if rule.order is not None:
            ticket = self._recover(session, trig, ctxt, now, out)
        if rec is not None:
            after += [self._notification(trig, n.to, n.message, ctxt, ticket) for n in rec.notify]
            after += [
                self._command(trig, c.target, c.command, c.args, ctxt, now) for c in rec.command
            ]

    def _notification(
        self, trig: Trigger, to: str, message: str, ctxt: Template, ticket: str | None
    ) -> Notification:
        d = trig.device
        ref = self.ctx.reference.get()
        if to == "grid":
            to = f"grid:{d.grid_code}"
        elif to == "community":
            by_level = {
                ref.regions[c].level: c
                for c in ref.region_ancestry(d.grid_code)
                if c in ref.regions
            }
            to = f"community:{by_level.get('community')}"
        elif to == "owner":
            to = f"owner:{d.owner}"
        return Notification(to, message.format_map(ctxt), trig.rule.id, d.device_id, ticket)

    def _command(
        self,
        trig: Trigger,
        target: str,
        command: str,
        args: dict[str, Any],
        ctxt: Template,
        now: datetime,
    ) -> tuple[str, dict[str, Any]]:
        d = trig.device
        source = trig.message.message_id if trig.message else trig.at.isoformat()
        payload = {
            "command_id": f"{source}:{trig.rule.id}:{trig.kind}"[:120],
            "command": command,
            "args": args,
            "rule": trig.rule.id,
            "reason": trig.rule.name,
            "source_device": d.device_id,
            "time": now.isoformat(),
        }
        topic = topic_for(
            self.config.mqtt_topic_prefix, d.tenant, target.format_map(ctxt), "command"
        )
        return topic, payload

    def _after_commit(self, after: list[Any]) -> None:
        alarms, self._new_alarms = self._new_alarms, []
        for data in alarms:
            try:
                if self.live is not None:
                    self.live.alarm(data)
            except Exception:  # the tail announces it again; the batch stays committed
                log.exception("live alarm not published")
        for item in after:
            try:
                if isinstance(item, Notification):
                    self.notifier.notify(item)
                    self.stats.notifications += 1
                elif self.publisher is not None:
                    self.publisher.publish_command(*item)
                    self.stats.commands += 1
            except Exception:  # a notifier's failure must not fail the committed batch
                log.exception("after-commit effect failed")

    # -- device bookkeeping -----------------------------------------------------------------
    def _flush_devices(self, conn: Connection, now: datetime, force: bool) -> None:
        every = timedelta(seconds=self.config.sensing_last_seen_every)
        rows = []
        devices = self.devices.all() if force else list(self._touched.values())
        self._touched = {}
        for device in devices:
            if device.last_seen is None:
                continue
            written = self._written.get(device.pk)
            if (
                device.pk in self._status_dirty
                or written is None
                or device.last_seen - written >= every
            ):
                rows.append(
                    {"b_id": device.pk, "b_seen": device.last_seen, "b_status": device.status}
                )
                self._written[device.pk] = device.last_seen
        self._status_dirty.clear()
        if rows:
            conn.execute(_UPDATE_SEEN, rows)
        if self.engine.dirty_marks:
            marks = []
            for pk in self.engine.dirty_marks:
                view = self._by_pk(pk)
                if view is not None:
                    marks.append(
                        {"b_id": pk, "b_marks": {k: v.isoformat() for k, v in view.marks.items()}}
                    )
            if marks:
                conn.execute(_UPDATE_MARKS, marks)
            self.engine.dirty_marks.clear()

    def _by_pk(self, pk: int) -> DeviceView | None:
        return self.devices.by_pk(pk)


_DEVICES = cast(Table, DeviceRow.__table__)
_UPDATE_SEEN = (
    update(_DEVICES)
    .where(_DEVICES.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("b_seen"), status=bindparam("b_status"))
)
_UPDATE_MARKS = (
    update(_DEVICES).where(_DEVICES.c.id == bindparam("b_id")).values(marks=bindparam("b_marks"))
)


def _insert_processed(conn: Connection, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Insert the batch's message keys; return those that were new (ON CONFLICT DO NOTHING)."""
    table = cast(Table, ProcessedMessageRow.__table__)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    stmt = stmt.on_conflict_do_nothing(index_elements=["device_pk", "message_id"]).returning(
        table.c.device_pk, table.c.message_id
    )
    return {(int(pk), str(mid)) for pk, mid in conn.execute(stmt, rows)}
