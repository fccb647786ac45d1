"""Sensing fixtures: the fixture city with the demo taxonomy's sensing categories and linkage
rules, a unique tenant per test, a consumer on the real broker, helpers to publish."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

import cityloop.sensing.store  # noqa: F401  (registers the tables before the schema is made)
from cityloop.demo.organisation import build_taxonomy
from cityloop.sensing.config import SensingConfig
from cityloop.sensing.mqtt import MqttConsumer, MqttPublisher
from cityloop.sensing.pipeline import Pipeline
from cityloop.sensing.ports import MemoryLiveAlarms, MemoryNotifier
from cityloop.sensing.registry import DeviceInput, upsert_devices
from cityloop.sensing.rules import RuleSet
from cityloop.sensing.schema import topic_for
from cityloop.sensing.service import ruleset
from cityloop.services import admin
from cityloop.services.context import CityLoop
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow
from tests.conftest import RULES, WEST

SENSING_RULES = [
    {"category": "民政与社区", "lead": "D-HX", "co": "", "urgent": "2h", "normal": "3d"},
    {"category": "公共安全/消防安全", "lead": "D-CG", "co": "D-HX", "urgent": "2h", "normal": "3d"},
    {"category": "交通出行/停车管理", "lead": "D-CG", "co": "", "urgent": "2h", "normal": "3d"},
    {"category": "水电气/燃气", "lead": "D-RQ", "co": "D-HX", "urgent": "2h", "normal": "1d"},
    {"category": "城市管理", "lead": "D-CG", "co": "D-HX", "urgent": "2h", "normal": "3d"},
    {"category": "园林绿化", "lead": "D-CG", "co": "", "urgent": "2h", "normal": "5d"},
]


@pytest.fixture
def city(ctx: CityLoop) -> CityLoop:
    """The fixture city plus the demo taxonomy (the shipped rules name its categories)."""
    cols = ("l1", "l2", "l3")
    admin.import_taxonomy(ctx, [(i, t) for i, t in enumerate(build_taxonomy(), 2)], cols)
    admin.import_rules(ctx, [(i, r) for i, r in enumerate(RULES + SENSING_RULES, 2)], "sensing")
    return ctx


@pytest.fixture
def tenant() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def cfg(tenant: str) -> SensingConfig:
    return SensingConfig(
        mqtt_tenant=tenant,
        mqtt_client_id=f"cityloop-test-{tenant}",
        mqtt_session_expiry=120,
        sensing_batch_wait_ms=5,
        sensing_tick_seconds=3600,  # the tests tick by hand
        sensing_offline_after=900,
    )


@pytest.fixture
def rules(cfg: SensingConfig) -> RuleSet:
    return ruleset(cfg)


class Rig:
    """A consumer on the broker for one tenant, and a device-side publisher."""

    def __init__(self, ctx: CityLoop, cfg: SensingConfig, rules: RuleSet) -> None:
        self.ctx, self.cfg, self.rules = ctx, cfg, rules
        self.notifier = MemoryNotifier()
        self.alarms = MemoryLiveAlarms()
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.devices = MqttPublisher(cfg)
        self.consumer: MqttConsumer | None = None
        self.sent = 0

    def publish_command(self, topic: str, payload: dict[str, Any]) -> None:
        self.commands.append((topic, payload))
        self.devices.publish(topic, orjson.dumps(payload), wait=None)

    def start(self) -> MqttConsumer:
        pipeline = Pipeline(self.ctx, self.cfg, self.rules, self.notifier, self, self.alarms)
        self.consumer = MqttConsumer(pipeline, self.cfg)
        self.consumer.start()
        return self.consumer

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
            self.consumer = None

    def register(
        self, device_id: str, dtype: str, at: tuple[float, float] = WEST, **kw: Any
    ) -> str:
        upsert_devices(
            self.ctx,
            [
                DeviceInput(
                    self.cfg.mqtt_tenant,
                    device_id,
                    dtype,
                    at[0],
                    at[1],
                    address=kw.pop("address", f"{device_id}所在地"),
                    **kw,
                )
            ],
        )
        if self.consumer is not None:
            self.consumer.pipeline.devices.load()
        return device_id

    def send(
        self,
        device_id: str,
        kind: str = "telemetry",
        at: datetime | None = None,
        message_id: str | None = None,
        raw: bytes | None = None,
        **body: Any,
    ) -> str:
        mid = message_id or uuid.uuid4().hex[:16]
        t = at or self.ctx.clock.now()
        payload = (
            raw
            if raw is not None
            else orjson.dumps({"message_id": mid, "time": t.isoformat(), **body})
        )
        self.devices.publish(
            topic_for(self.cfg.mqtt_topic_prefix, self.cfg.mqtt_tenant, device_id, kind), payload
        )
        self.sent += 1
        return mid

    def wait(self, handled: int | None = None, timeout: float = 10.0) -> None:
        """Until the consumer has finished `handled` messages (default: all sent)."""
        assert self.consumer is not None
        target = self.sent if handled is None else handled
        deadline = time.monotonic() + timeout
        while self.consumer.stats.handled < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"handled {self.consumer.stats.handled} of {target}")
            time.sleep(0.01)

    def tick(self, timeout: float = 10.0) -> None:
        assert self.consumer is not None
        before = self.consumer.stats.ticks
        self.consumer.tick_now()
        deadline = time.monotonic() + timeout
        while self.consumer.stats.ticks <= before:
            if time.monotonic() > deadline:
                raise AssertionError("tick did not run")
            time.sleep(0.01)

    def orders(self) -> list[dict[str, Any]]:
        """The sensor channel's orders, oldest first, with category path and events."""
        ref = self.ctx.reference.get()
        with self.ctx.uow() as uow:
            rows = uow.session.execute(
                select(WorkOrderRow, AppealRow)
                .join(AppealRow, AppealRow.work_order_id == WorkOrderRow.id)
                .where(WorkOrderRow.channel == "sensor")
                .order_by(WorkOrderRow.id)
            ).all()
            out = []
            for order, appeal in rows:
                events = uow.session.execute(
                    select(OrderEventRow.action, OrderEventRow.note)
                    .where(OrderEventRow.work_order_id == order.id)
                    .order_by(OrderEventRow.id)
                ).all()
                out.append(
                    {
                        "id": order.id,
                        "ticket_no": order.ticket_no,
                        "status": order.status,
                        "title": order.title,
                        "content": order.content,
                        "category": ref.category_paths.get(order.category_code or ""),
                        "urgency": order.urgency,
                        "grid_code": order.grid_code,
                        "lead": order.lead_department,
                        "external_id": appeal.external_id,
                        "attachments": appeal.attachments,
                        "routing": order.routing,
                        "events": [(a, n) for a, n in events],
                    }
                )
            return out

    def close(self) -> None:
        self.stop()
        self.devices.close()


@pytest.fixture
def rig(city: CityLoop, cfg: SensingConfig, rules: RuleSet) -> Iterator[Rig]:
    r = Rig(city, cfg, rules)
    yield r
    r.close()


@pytest.fixture
def started(rig: Rig) -> Rig:
    rig.start()
    return rig


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


Later = Callable[[float], datetime]
