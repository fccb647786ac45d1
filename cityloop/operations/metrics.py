"""Prometheus metrics (GET /metrics).

Several workers: with PROMETHEUS_MULTIPROC_DIR set (serve sets it before it starts the
workers), every process writes its counters and histograms to files there and a scrape sums
them, so any worker answers for all. Figures that live in the database (queue depths per
step, job runs, notification deliveries, the sensing consumer's lag) are read at scrape time,
so they agree whichever process or machine is asked."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

REQUEST_SECONDS = Histogram(
    "cityloop_http_request_duration_seconds",
    "API request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
APPEALS_RECEIVED = Counter(
    "cityloop_appeals_received_total", "Appeals received (new, not repeats) by channel", ["channel"]
)
UNEXPECTED_ERRORS = Counter(
    "cityloop_unexpected_errors_total", "Requests that ended in an unexpected server error"
)
LIVE_EVENTS = Counter("cityloop_live_events_total", "Live events published", ["kind"])


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time, at most every `ttl` seconds."""

    def __init__(self, ctx: Any, ttl: float = 10.0) -> None:
        self.ctx = ctx
        self.ttl = ttl
        self._at = 0.0
        self._cache: list[GaugeMetricFamily] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if time.monotonic() - self._at > self.ttl:
            self._cache = self._read()
            self._at = time.monotonic()
        yield from self._cache

    def _read(self) -> list[GaugeMetricFamily]:
        from cityloop.domain.statuses import OPEN
        from cityloop.operations.store import JobRunRow, MessageRow
        from cityloop.sensing.store import ProcessedMessageRow
        from cityloop.store.models import WorkOrderRow

        depth = GaugeMetricFamily(
            "cityloop_queue_depth", "Open work orders by step (status)", labels=["step"]
        )
        runs = GaugeMetricFamily(
            "cityloop_job_runs_24h",
            "Job runs in the last 24 h by job and outcome",
            labels=["job", "status"],
        )
        msgs = GaugeMetricFamily(
            "cityloop_notification_messages",
            "Notification messages by channel and status",
            labels=["channel", "status"],
        )
        lag = GaugeMetricFamily(
            "cityloop_sensing_lag_seconds",
            "Seconds since the sensing consumer last processed a message (consumer lag)",
        )
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            s = uow.session
            for status, n in s.execute(
                select(WorkOrderRow.status, func.count())
                .where(WorkOrderRow.status.in_(sorted(OPEN)))
                .group_by(WorkOrderRow.status)
            ):
                depth.add_metric([status], n)
            for job, status, n in s.execute(
                select(JobRunRow.job, JobRunRow.status, func.count())
                .where(JobRunRow.started_at >= now - timedelta(hours=24))
                .group_by(JobRunRow.job, JobRunRow.status)
            ):
                runs.add_metric([job, status], n)
            for channel, status, n in s.execute(
                select(MessageRow.channel, MessageRow.status, func.count()).group_by(
                    MessageRow.channel, MessageRow.status
                )
            ):
                msgs.add_metric([channel, status], n)
            last = s.execute(select(func.max(ProcessedMessageRow.processed_at))).scalar()
            if last is not None:
                if last.tzinfo is None:
                    from datetime import UTC

                    last = last.replace(tzinfo=UTC)
                lag.add_metric([], max((now - last).total_seconds(), 0.0))
        return [depth, runs, msgs, lag]


def render(ctx: Any) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    collector = getattr(ctx, "_metrics_collector", None)
    if collector is None:
        collector = DatabaseCollector(ctx)
        ctx._metrics_collector = collector
    out = generate_latest(registry)
    scrape = CollectorRegistry()
    scrape.register(collector)
    return out + generate_latest(scrape)
