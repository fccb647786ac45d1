"""Application factory for uvicorn workers (each worker builds its own context)."""

from __future__ import annotations

from fastapi import FastAPI

from cityloop.api.app import create_app
from cityloop.logs import configure_logging
from cityloop.services.context import build_context
from cityloop.settings import get_settings


def create_default_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    return create_app(build_context(settings))
