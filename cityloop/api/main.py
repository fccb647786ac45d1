"""Application factory for uvicorn workers (each worker builds its own context)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from cityloop.api.app import create_app
from cityloop.logs import configure_logging
from cityloop.services.context import build_context
from cityloop.settings import get_settings


def create_default_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    ctx = build_context(settings)
    app = create_app(ctx)
    # Each worker seals new audit records and timeline events into their chains every few
    # seconds, off the request path; the chain's lock row keeps one sealer at a time.
    from cityloop.audit.chain import Sealer

    Sealer(ctx.engine, settings.audit_seal_seconds).start()
    # Load the reference data before the first request, then move everything alive now out of
    # the collector's reach: the long-lived objects (reference data, routes, models) otherwise
    # make each full collection a pause in some request's latency.
    ctx.reference.get()
    gc.collect()
    gc.freeze()
    return app
