"""A context whose field keyring is a file of the test's own (rotations stay in the test), on
the shared database and with the shared community key (k1), and the community API over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.community.router import router
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop, build_context


@pytest.fixture
def ring_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "field_keys.json"


@pytest.fixture
def kctx(ctx: CityLoop, clock: ManualClock, ring_file: Path) -> Iterator[CityLoop]:
    other = build_context(
        ctx.settings.model_copy(update={"field_keys_file": ring_file}), clock=clock
    )
    yield other
    other.engine.dispose()


@pytest.fixture
def kapp(kctx: CityLoop) -> TestClient:
    app = create_app(kctx, web=False)
    app.include_router(router)
    return TestClient(app)


from tests.community.conftest import capp, city  # noqa: E402, F401  (the registry fixtures)
