"""The FastAPI application."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

import cityloop
from cityloop.analytics.router import router as analytics_router
from cityloop.api import (
    access_log,
    edge,
    hardening,
    identity_problems,
    openapi_errors,
    problems,
)
from cityloop.api.body_limit import BodyLimit
from cityloop.api.request_id import RequestId
from cityloop.api.routers import (
    appeals,
    auth,
    dashboard,
    files,
    geo,
    holidays,
    reference,
    understanding,
    users,
    work_orders,
)
from cityloop.api.web import mount_web
from cityloop.audit.router import router as audit_router
from cityloop.community.router import router as community_router
from cityloop.knowledge.router import router as knowledge_router
from cityloop.open311.router import router as open311_router
from cityloop.operations import wiring as operations
from cityloop.operations.router import router as operations_router
from cityloop.sensing.router import router as sensing_router
from cityloop.services import demo_accounts
from cityloop.services.context import CityLoop


def create_app(ctx: CityLoop, web: bool = True) -> FastAPI:
    app = FastAPI(
        title="CityLoop 一网统管",
        version=cityloop.__version__,
        description="Citizen appeals from every channel → closed-loop work orders.",
        # Swagger UI comes from local assets (cityloop.api.hardening); ReDoc only from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if ctx.settings.api_docs else None,
        # Every route's text, numbers and dates checked before its own dependencies run.
        dependencies=[Depends(edge.guard)],
    )
    app.state.ctx = ctx
    demo_accounts.refuse_in_production(ctx)  # CITYLOOP_ENV=production: no demo accounts
    problems.install(app)
    identity_problems.install(app)  # after: its login answers carry codes
    # Request bodies bounded while they stream in, before any handler reads them.
    app.add_middleware(BodyLimit, settings=ctx.settings)
    # Every answer gets a request id, every unexpected error a 500 problem; inside the security
    # headers and the access log, so that its 500 carries the one and is written to the other.
    app.add_middleware(RequestId)
    hardening.install(app, ctx.settings)  # outermost: every answer carries the headers
    access_log.install(app, ctx.settings)  # JSON lines, written by a listener thread
    for router in (
        auth.router,
        appeals.router,
        work_orders.router,
        reference.router,
        users.router,
        dashboard.router,
        files.router,
        understanding.router,
        holidays.router,
        geo.router,
    ):
        app.include_router(router)
    app.include_router(open311_router)
    app.include_router(community_router)
    app.include_router(analytics_router)
    app.include_router(sensing_router)
    app.include_router(audit_router)
    app.include_router(operations_router)
    app.include_router(knowledge_router)
    operations.install(app, ctx)

    @app.get("/api/v1/health", tags=["health"], operation_id="health")
    def health() -> Any:
        try:
            with ctx.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means the database is unreachable
            # The reason goes to the log, never to an unauthenticated caller.
            logging.getLogger("cityloop.health").warning("database unreachable: %r", exc)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        return {"status": "ok", "database": "ok", "version": cityloop.__version__}

    openapi_errors.install(app)
    if web:
        mount_web(app)  # last: the console's client-side routes catch what the API does not
    return app
