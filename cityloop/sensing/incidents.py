"""The orders a sensing rule opens and closes (one open order per device and rule).

An incident (IncidentRow) ties a device and a rule to the order it opened: a rule firing
again while that order is open counts a repeat instead of a new order; a recovery comments on
the order or cancels it while no department has taken it. Maintenance rules (battery low,
offline, tamper) open orders of their own, never linked with an alarm's order.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.domain.orders import Actor, Command
from cityloop.domain.statuses import TERMINAL, Action, Channel, OrderStatus, Role
from cityloop.sensing.engine import Trigger
from cityloop.sensing.rules import RuleSet
from cityloop.sensing.store import IncidentRow
from cityloop.services.context import CityLoop
from cityloop.services.intake import AppealInput, draft_appeal, save_draft
from cityloop.services.reference import Reference
from cityloop.store.models import AppealRow, WorkOrderRow
from cityloop.store.repositories import append_events, order_from_row, order_to_row

if TYPE_CHECKING:
    from cityloop.sensing.pipeline import Outcome, Stats

log = logging.getLogger("cityloop.sensing")

SENSOR_ACTOR = Actor(user_id=None, name="智能感知", role=Role.ADMIN)
# Recovery cancels an order only while no department has taken it (see docs/SENSING.md).
CANCELLABLE = frozenset(
    {
        OrderStatus.RECEIVED,
        OrderStatus.PENDING_DISPATCH,
        OrderStatus.DISPATCHED,
        OrderStatus.RETURNED,
    }
)


class Template(dict[str, str]):
    """Rule texts' placeholders; an unknown one renders empty."""

    def __missing__(self, key: str) -> str:
        return ""


def external_id(*parts: str) -> str:
    text = "/".join(parts)
    if len(text) <= 100:
        return text
    return text[:55] + "#" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _region_name(ref: Reference, code: str | None) -> str:
    region = ref.regions.get(code) if code else None
    return region.name if region is not None else ""


class IncidentOrders:
    """The pipeline's order side; the pipeline provides the context, rules and stats."""

    ctx: CityLoop
    rules: RuleSet
    stats: Stats
    # Alarms opened in the batch being written, announced once it commits (pipeline.py).
    _new_alarms: list[dict[str, Any]]
    # The rule's category names → codes (the pipeline's, cached per reference version).
    _category_map: Callable[[Reference], dict[str, str]]

    def _open_incident(self, session: Session, trig: Trigger) -> IncidentRow | None:
        return session.execute(
            select(IncidentRow).where(
                IncidentRow.device_pk == trig.device.pk,
                IncidentRow.rule_id == trig.rule.id,
                IncidentRow.status == "open",
            )
        ).scalar_one_or_none()

    def _open(
        self, session: Session, trig: Trigger, ctxt: Template, now: datetime, out: Outcome
    ) -> str | None:
        """Create the rule's order, unless this device and rule already have one open."""
        rule, device = trig.rule, trig.device
        assert rule.order is not None
        incident = self._open_incident(session, trig)
        if incident is not None:
            status = session.execute(
                select(WorkOrderRow.status).where(WorkOrderRow.id == incident.work_order_id)
            ).scalar_one_or_none()
            if status is not None and OrderStatus(status) not in TERMINAL:
                incident.repeats += 1
                incident.last_at = now
                if incident.outcome == "recovered":  # it came back after recovering
                    incident.outcome = ""
                    self._act(
                        session,
                        incident.work_order_id,
                        Action.COMMENT,
                        f"设备再次报警：{ctxt['values']}（{ctxt['time']}）",
                        now,
                    )
                self.stats.deduplicated += 1
                return None
            incident.status = "closed"
            incident.closed_at = now
            incident.outcome = incident.outcome or f"order {status}"
            session.flush()
        ref = self.ctx.reference.get()
        category = None
        if rule.order.category:
            category = self._category_map(ref).get(rule.order.category)
            if category is None:
                log.warning(
                    "rule %s: unknown category %s; the order goes to dispatch",
                    rule.id,
                    rule.order.category,
                )
        msg = trig.message
        ext = external_id(
            device.tenant,
            device.device_id,
            rule.id,
            msg.message_id if msg else "@" + trig.at.strftime("%Y%m%dT%H%M%S"),
        )
        existing = session.execute(
            select(AppealRow.work_order_id, AppealRow.ticket_no).where(
                AppealRow.channel == Channel.SENSOR.value, AppealRow.external_id == ext
            )
        ).first()
        if existing is not None:  # committed long ago, its processed key since pruned
            order_id, ticket_no = existing
        else:
            attachments: list[dict[str, Any]] = []
            if msg is not None and msg.image:
                attachments.append(
                    {
                        "name": f"{device.device_id}-{msg.message_id}.jpg",
                        "url": msg.image,
                        "content_type": "image/jpeg",
                    }
                )
            appeal = AppealInput(
                channel=Channel.SENSOR,
                title=rule.order.title.format_map(ctxt)[:200],
                content=rule.order.content.format_map(ctxt)[:4000],
                address=device.address,
                lon=device.lon,
                lat=device.lat,
                reporter_name=f"设备 {device.device_id}"[:80],
                category_code=category,
                urgency=rule.order.urgency,
                attachments=attachments,
                external_id=ext,
            )
            # A maintenance order (battery low, offline) is one of its own: never linked into
            # the alarm order about the same device or place. An alarm links only with alarms
            # of its own rule (two smoke detectors of one stairwell), never by text alone.
            draft = draft_appeal(
                self.ctx,
                appeal,
                SENSOR_ACTOR,
                link_duplicates=not rule.maintenance,
                sensing_rule=rule.id,
            )
            if draft.linked_to is not None and self._is_maintenance(session, draft.linked_to):
                # Nor does an alarm join a maintenance order: it opens its own.
                draft = draft_appeal(self.ctx, appeal, SENSOR_ACTOR, link_duplicates=False)
            draft.row.routing = {
                **draft.row.routing,
                "sensing": {
                    "rule": rule.id,
                    "maintenance": rule.maintenance,
                    "device": device.device_id,
                    "tenant": device.tenant,
                    "message_id": msg.message_id if msg else None,
                    "reading": msg.values if msg else {},
                    "confidence": msg.confidence if msg else None,
                },
            }
            save_draft(session, draft)
            order_id, ticket_no = draft.row.id, draft.row.ticket_no
            self.stats.orders_created += 1
            out.orders.append(ticket_no)
            log.info(
                "rule %s on %s opened an order",
                rule.id,
                device.device_id,
                extra={"ticket_no": ticket_no, "order_id": order_id},
            )
        row = IncidentRow(
            device_pk=device.pk,
            rule_id=rule.id,
            status="open",
            work_order_id=order_id,
            ticket_no=ticket_no,
            message_id=msg.message_id if msg else None,
            reading={"values": msg.values if msg else {}, "value": trig.value},
            opened_at=now,
            last_at=now,
            repeats=0,
            outcome="",
        )
        session.add(row)
        session.flush()
        self._new_alarms.append(
            {
                "incident_id": row.id,
                "order_id": order_id,
                "ticket_no": ticket_no,
                "title": rule.order.title.format_map(ctxt)[:200],
                "place": device.address or _region_name(ref, device.grid_code),
                "device_id": device.device_id,
                "device_type": device.type,
                "rule_id": rule.id,
                "lon": device.lon,
                "lat": device.lat,
                "grid_code": device.grid_code,  # the stream scopes a supervisor's events by it
                "at": now.isoformat(),
            }
        )
        return str(ticket_no)

    def _is_maintenance(self, session: Session, order_id: int) -> bool:
        """Whether the order was opened by a maintenance rule (its routing names the rule)."""
        routing = session.execute(
            select(WorkOrderRow.routing).where(WorkOrderRow.id == order_id)
        ).scalar_one_or_none()
        sensing = (routing or {}).get("sensing") or {}
        if "maintenance" in sensing:
            return bool(sensing["maintenance"])
        rule = self.rules.get(str(sensing.get("rule", "")))  # orders from before the flag
        return rule is not None and rule.maintenance

    def _recover(
        self, session: Session, trig: Trigger, ctxt: Template, now: datetime, out: Outcome
    ) -> str | None:
        incident = self._open_incident(session, trig)
        if incident is None or incident.work_order_id is None:
            return None
        rec = trig.rule.recovery
        cancel = rec.cancel if rec is not None else True
        note = (rec.note if rec is not None else "设备已恢复正常，自动关闭").format_map(ctxt)
        row = session.get(WorkOrderRow, incident.work_order_id)
        if row is None or OrderStatus(row.status) in TERMINAL:
            incident.status, incident.closed_at = "closed", now
            incident.outcome = f"order {row.status if row else 'gone'}"
            return incident.ticket_no
        detail = f"（{ctxt['values']}，{ctxt['time']}）" if trig.message else ""
        if cancel and OrderStatus(row.status) in CANCELLABLE:
            self._act(session, row.id, Action.CANCEL, note + detail, now, row)
            incident.status, incident.closed_at, incident.outcome = "closed", now, "cancelled"
        else:
            self._act(
                session,
                row.id,
                Action.COMMENT,
                f"设备已恢复正常{detail}，请承办单位核实后答复",
                now,
                row,
            )
            incident.outcome = "recovered"
        incident.last_at = now
        self.stats.recovered += 1
        out.recovered.append(row.ticket_no)
        return row.ticket_no

    def _act(
        self,
        session: Session,
        order_id: int | None,
        action: Action,
        note: str,
        now: datetime,
        row: WorkOrderRow | None = None,
    ) -> None:
        row = row or session.get(WorkOrderRow, order_id)
        if row is None:
            return
        order = order_from_row(row)
        order.execute(Command(action, now, note=note[:500]), SENSOR_ACTOR)
        order_to_row(order, row)
        append_events(session, row.id, order.new_events)
        log.info("%s by sensing", action.value, extra={"ticket_no": row.ticket_no})
