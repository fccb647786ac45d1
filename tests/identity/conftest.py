"""Helpers for the identity tests: logins through the API and 'workers' sharing the database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop, build_context

STRONG = "Kx7-harbour-lamp"  # meets the default policy


def login(client: TestClient, username: str, password: str, **extra: str) -> Any:
    return client.post(
        "/api/v1/auth/token", data={"username": username, "password": password, **extra}
    )


def bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def worker(ctx: CityLoop, clock: ManualClock):  # type: ignore[no-untyped-def]
    """A second application process on the same database (its own session cache)."""
    made: list[CityLoop] = []

    def make(**settings: Any) -> TestClient:
        other = build_context(ctx.settings.model_copy(update=settings), clock=clock)
        made.append(other)
        return TestClient(create_app(other, web=False))

    yield make
    for other in made:
        other.engine.dispose()
