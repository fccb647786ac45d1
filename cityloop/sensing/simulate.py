"""Realistic device streams for the demo and the benchmark (`cityloop simulate devices`).

Every device sends telemetry with noise around a normal level (or events from cameras),
heartbeats on its status topic, and, now and then, an injected incident: an AI camera event,
a smoke alarm, an SOS, or a sustained excursion of a reading (gas, tilt, heart rate) long enough
for the threshold rules to fire.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from shapely.geometry import Point, shape

from cityloop.sensing.config import SensingConfig
from cityloop.sensing.registry import DeviceInput
from cityloop.sensing.schema import topic_for
from cityloop.services.reference import Reference

TYPES = [
    "smart_meter",
    "gas_detector",
    "smoke_detector",
    "manhole_sensor",
    "wearable",
    "weather_station",
    "soil_station",
    "fall_camera",
    "fire_lane_camera",
    "lift_camera",
    "garbage_camera",
]
MODELS = {
    "smart_meter": "DDZY-422",
    "gas_detector": "JT-KB6000",
    "smoke_detector": "JTY-GD-H386",
    "manhole_sensor": "MH-NB100",
    "wearable": "HW-Band7",
    "weather_station": "WS-600",
    "soil_station": "SM-300",
    "fall_camera": "AIC-FALL-2",
    "fire_lane_camera": "AIC-FL-4",
    "lift_camera": "AIC-LIFT-1",
    "garbage_camera": "AIC-GB-3",
}
# Injected incidents that fire at once: (event type, values, confidence).
EVENT_INCIDENTS: dict[str, tuple[str, dict[str, Any], float | None]] = {
    "fall_camera": ("fall_detected", {}, 0.93),
    "fire_lane_camera": ("fire_lane_blocked", {"dwell_s": 600}, 0.9),
    "lift_camera": ("ebike_detected", {}, 0.95),
    "smoke_detector": ("smoke_alarm", {"smoke_db_m": 0.25}, None),
    "wearable": ("sos", {}, None),
}
# Incidents that are sustained readings: (value, abnormal level, seconds to keep it up).
READING_INCIDENTS: dict[str, tuple[str, float, float]] = {
    "gas_detector": ("gas_ppm", 120.0, 40.0),
    "manhole_sensor": ("tilt_deg", 40.0, 15.0),
}


def normal_values(dtype: str, rng: random.Random) -> dict[str, Any]:
    g = rng.gauss
    if dtype == "smart_meter":
        return {"kwh": round(max(0.0, g(0.45, 0.2)), 3), "voltage": round(g(220, 3), 1)}
    if dtype == "gas_detector":
        return {"gas_ppm": round(max(0.0, g(4, 2)), 1)}
    if dtype == "smoke_detector":
        return {"smoke_db_m": round(max(0.0, g(0.01, 0.005)), 3), "battery_pct": 87.0}
    if dtype == "manhole_sensor":
        return {"tilt_deg": round(abs(g(0.5, 0.4)), 2), "water_level_cm": round(g(40, 5), 1)}
    if dtype == "wearable":
        return {"heart_rate": round(g(74, 6)), "spo2": round(min(100, g(97, 1)))}
    if dtype == "weather_station":
        return {
            "visibility_m": round(max(50, g(8000, 1500))),
            "lux": round(max(0, g(12000, 3000))),
            "rain_mm_h": round(max(0.0, g(0.2, 0.5)), 1),
            "temp_c": round(g(18, 2), 1),
        }
    if dtype == "soil_station":
        return {"moisture_pct": round(g(28, 3), 1), "temp_c": round(g(16, 1.5), 1)}
    return {}


def plan_devices(
    ref: Reference, grids: list[dict[str, Any]], n: int, tenant: str, seed: int = 1
) -> list[DeviceInput]:
    """`n` devices spread over the city's grids, every type represented."""
    rng = random.Random(seed)
    shapes = [(f["properties"]["code"], shape(f["geometry"])) for f in grids]
    out = []
    for i in range(n):
        dtype = TYPES[i % len(TYPES)]
        _code, poly = shapes[rng.randrange(len(shapes))]
        x0, y0, x1, y1 = poly.bounds
        for _ in range(50):
            p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if poly.contains(p):
                break
        else:
            p = poly.representative_point()
        tags: tuple[str, ...] = ("独居老人",) if dtype == "smart_meter" and i % 2 else ()
        out.append(
            DeviceInput(
                tenant=tenant,
                device_id=f"sim-{dtype.split('_')[0]}-{i:05d}",
                type=dtype,
                lon=round(p.x, 6),
                lat=round(p.y, 6),
                model=MODELS[dtype],
                name=f"模拟{dtype}{i}",
                address=f"模拟点位{i}号",
                care_tags=tags,
            )
        )
    return out


@dataclass
class Injected:
    device_id: str
    device_type: str
    message_id: str
    published_at: float


@dataclass
class SimResult:
    published: int = 0
    heartbeats: int = 0
    incidents: list[Injected] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.published / self.seconds if self.seconds else 0.0


class Simulator:
    def __init__(
        self,
        cfg: SensingConfig,
        devices: list[DeviceInput],
        publish: Callable[[str, bytes], None],
        seed: int = 7,
        incident_every: float = 1.0,
        heartbeat_every: float = 60.0,
    ) -> None:
        self.cfg = cfg
        self.devices = devices
        self.publish = publish
        self.rng = random.Random(seed)
        self.incident_every = incident_every
        self.heartbeat_every = heartbeat_every
        self._seq: dict[str, int] = {}
        self._excursions: dict[str, tuple[str, float, float]] = {}  # id → value, level, until
        self._used: set[str] = set()
        self.result = SimResult()
        self.stop = threading.Event()

    def _mid(self, device_id: str) -> str:
        n = self._seq.get(device_id, 0) + 1
        self._seq[device_id] = n
        return f"{device_id}-{int(time.time())}-{n}"

    def _send(self, d: DeviceInput, kind: str, body: dict[str, Any]) -> str:
        mid = self._mid(d.device_id)
        body = {"message_id": mid, "time": datetime.now(UTC).isoformat(), **body}
        self.publish(
            topic_for(self.cfg.mqtt_topic_prefix, d.tenant, d.device_id, kind), orjson.dumps(body)
        )
        self.result.published += 1
        return mid

    def _inject(self, now: float) -> None:
        fresh = [
            d
            for d in self.devices
            if d.device_id not in self._used
            and (d.type in EVENT_INCIDENTS or d.type in READING_INCIDENTS)
        ]
        if not fresh:
            return
        d = self.rng.choice(fresh)
        self._used.add(d.device_id)  # one incident per device: no cooldown hides another
        if d.type in EVENT_INCIDENTS:
            etype, values, conf = EVENT_INCIDENTS[d.type]
            body: dict[str, Any] = {"type": etype, "values": values}
            if conf is not None:
                body["confidence"] = conf
                body["image"] = f"https://cam.example/{d.device_id}/{int(now)}.jpg"
            mid = self._send(d, "event", body)
            self.result.incidents.append(Injected(d.device_id, d.type, mid, now))
        else:
            value, level, hold = READING_INCIDENTS[d.type]
            self._excursions[d.device_id] = (value, level, now + hold)
            mid = self._send(d, "telemetry", {"values": {value: level}})
            self.result.incidents.append(Injected(d.device_id, d.type, mid, now))

    def step(self, d: DeviceInput, now: float) -> None:
        exc = self._excursions.get(d.device_id)
        if d.type in EVENT_INCIDENTS or d.type == "garbage_camera":
            if self.rng.random() < 0.05:
                self._send(d, "status", {"type": "heartbeat", "values": {"uptime_s": 3600.0}})
                self.result.heartbeats += 1
            else:
                self._send(d, "telemetry", {"values": {"fps": 25.0, "people": 1.0 * (now % 3)}})
            return
        values = normal_values(d.type, self.rng)
        if exc is not None:
            if now < exc[2]:
                values[exc[0]] = exc[1] + self.rng.gauss(0, 2)
            else:
                del self._excursions[d.device_id]
        self._send(d, "telemetry", {"values": values})

    def run(self, rate: float, duration: float) -> SimResult:
        """Publish `rate` messages/s for `duration` seconds (round robin over the devices)."""
        t0 = time.monotonic()
        next_incident = t0 + self.incident_every
        i = 0
        interval = 1.0 / rate
        due = t0
        while not self.stop.is_set():
            now = time.monotonic()
            if now - t0 >= duration:
                break
            if now < due:
                time.sleep(min(due - now, 0.01))
                continue
            # Catch up in small bursts when behind, so the average rate holds.
            burst = min(200, int((now - due) / interval) + 1)
            for _ in range(burst):
                if self.incident_every and now >= next_incident:
                    self._inject(time.time())
                    next_incident += self.incident_every
                else:
                    self.step(self.devices[i % len(self.devices)], time.time())
                    i += 1
            due += burst * interval
        self.result.seconds = time.monotonic() - t0
        return self.result
