"""The MQTT edge: the consumer (QoS 1, a persistent session under a fixed client id, manual
acknowledgements after commit) and a publisher for commands and the webhook.

Delivery: the broker keeps the session while CityLoop is down (session expiry) and queues what
devices publish meanwhile; a message is acknowledged (PUBACK) only after the batch holding it
is committed, so a crash redelivers it, and the processed-message table makes the second
delivery do nothing.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
import uuid
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cityloop.sensing.config import SensingConfig
from cityloop.sensing.pipeline import Inbound, Pipeline
from cityloop.sensing.schema import subscriptions

log = logging.getLogger("cityloop.sensing.mqtt")
_TICK = object()


def make_client(cfg: SensingConfig, client_id: str, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    if cfg.mqtt_username:
        client.username_pw_set(cfg.mqtt_username, cfg.mqtt_password or None)
    if cfg.mqtt_tls:
        client.tls_set(ca_certs=cfg.mqtt_ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(1, 30)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    return client


def connect(client: mqtt.Client, cfg: SensingConfig, persistent: bool) -> None:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if persistent:
        props.SessionExpiryInterval = cfg.mqtt_session_expiry
    props.ReceiveMaximum = cfg.mqtt_receive_maximum
    client.connect(
        cfg.mqtt_host,
        cfg.mqtt_port,
        keepalive=cfg.mqtt_keepalive,
        clean_start=not persistent,
        properties=props,
    )


class MqttPublisher:
    """Publishes QoS 1 messages and waits for the broker's PUBACK (thread-safe)."""

    def __init__(self, cfg: SensingConfig, client_id: str | None = None) -> None:
        self.cfg = cfg
        self.client = make_client(cfg, client_id or f"cityloop-pub-{uuid.uuid4().hex[:12]}")
        self._connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self._connected.clear()
        connect(self.client, cfg, persistent=False)
        self.client.loop_start()
        if not self._connected.wait(10):
            self.close()
            raise ConnectionError(f"MQTT broker {cfg.mqtt_host}:{cfg.mqtt_port} not reachable")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if not rc.is_failure:
            self._connected.set()

    def publish(self, topic: str, payload: bytes, wait: float | None = 10.0) -> None:
        info = self.client.publish(topic, payload, qos=1)
        if wait is not None:
            info.wait_for_publish(wait)
            if not info.is_published():
                raise TimeoutError(f"broker did not acknowledge {topic}")

    def publish_command(self, topic: str, payload: dict[str, Any]) -> None:
        self.publish(topic, orjson.dumps(payload), wait=None)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class MqttConsumer:
    """Subscribes with QoS 1 under a fixed client id and a persistent session; a worker
    thread takes the received messages in batches through the pipeline and acknowledges them
    after each commit. `tick` checks (absence, offline) run between batches."""

    def __init__(self, pipeline: Pipeline, cfg: SensingConfig) -> None:
        self.pipeline = pipeline
        self.cfg = cfg
        self.client = make_client(cfg, cfg.mqtt_client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._worker: threading.Thread | None = None
        self.session_present: bool | None = None
        self.tick_error: BaseException | None = None

    @property
    def stats(self) -> Any:
        return self.pipeline.stats

    # -- broker callbacks (paho's network thread) -----------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            log.error("MQTT connect refused: %s", rc)
            return
        self.session_present = bool(flags.session_present)
        client.subscribe(
            [(t, 1) for t in subscriptions(self.cfg.mqtt_topic_prefix, self.cfg.mqtt_tenant)]
        )
        log.info(
            "connected to %s:%s as %s (session %s)",
            self.cfg.mqtt_host,
            self.cfg.mqtt_port,
            self.cfg.mqtt_client_id,
            "resumed" if self.session_present else "new",
        )
        self._connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", rc)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        self._queue.put(Inbound(msg.topic, msg.payload, (msg.mid, msg.qos)))

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self.pipeline.start()
        problems = self.pipeline.check_categories()
        for p in problems:
            log.warning("%s (such orders go to the dispatch queue)", p)
        self._worker = threading.Thread(target=self._work, name="sensing-worker", daemon=True)
        self._worker.start()
        connect(self.client, self.cfg, persistent=True)
        self.client.loop_start()
        if not (self._connected.wait(timeout) and self._subscribed.wait(timeout)):
            self.stop()
            raise ConnectionError(
                f"MQTT broker {self.cfg.mqtt_host}:{self.cfg.mqtt_port} not reachable"
            )

    def stop(self) -> None:
        """Finish the batch in hand, then leave (the session stays on the broker)."""
        self._stop.set()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(30)
        self.client.disconnect()
        self.client.loop_stop()

    def tick_now(self) -> None:
        self._queue.put(_TICK)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._connected.wait(timeout)

    # -- the worker -----------------------------------------------------------------------------
    def _work(self) -> None:
        wait = self.cfg.sensing_batch_wait_ms / 1000
        tick_every = self.cfg.sensing_tick_seconds
        next_tick = time.monotonic() + tick_every
        while not self._stop.is_set():
            timeout = max(0.0, next_tick - time.monotonic())
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                first = _TICK
            if first is None:
                break
            if first is _TICK:
                self._tick()
                next_tick = time.monotonic() + tick_every
                continue
            batch: list[Inbound] = [first]
            deadline = time.monotonic() + wait
            forced_tick = False
            while len(batch) < self.cfg.sensing_batch_max:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self._stop.set()
                    break
                if item is _TICK:
                    forced_tick = True
                    break
                batch.append(item)
            if not self._process(batch):
                break
            if forced_tick or time.monotonic() >= next_tick:
                self._tick()
                next_tick = time.monotonic() + tick_every

    def _process(self, batch: list[Inbound]) -> bool:
        delay = 0.5
        while True:
            try:
                self.pipeline.process(batch)
                break
            except Exception:
                log.exception("batch of %d failed; retrying (nothing acknowledged)", len(batch))
                self.pipeline.recover_from_failure(batch)
                if self._stop.wait(delay):
                    return False  # unacknowledged: the broker redelivers on the next start
                delay = min(delay * 2, 10.0)
        for item in batch:
            mid, qos = item.token
            if qos:
                self.client.ack(mid, qos)
        return True

    def _tick(self) -> None:
        try:
            self.pipeline.tick()
        except Exception as exc:
            self.tick_error = exc
            log.exception("sensing tick failed (retried at the next tick)")
