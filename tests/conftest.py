"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
CITYLOOP_TEST_DATABASE_URL names one (the test command runs it both ways)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from cityloop.api.app import create_app
from cityloop.audit.guard import allow_purge
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import admin
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop, build_context
from cityloop.services.users import issue_token
from cityloop.settings import Settings
from cityloop.store.db import make_engine
from cityloop.store.migrate import upgrade
from cityloop.store.models import Base, UserRow, utcnow

TZ = ZoneInfo("Asia/Shanghai")
# A Wednesday before the National Day holiday: deadlines cross it.
START = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
PASSWORD = "correct-horse-9"
_HASH: list[str] = []


def redis_test_url(n: int) -> str:
    """Redis database `n` (0–2) of this suite's own three: the SQLite and the PostgreSQL
    suites run side by side (make test) and must not share keys or live channels."""
    base = 10 if os.environ.get("CITYLOOP_TEST_DATABASE_URL") else 13
    return f"redis://127.0.0.1:6379/{base + n}"


def free_port() -> int:
    """A port nobody listens on now (the two suites run side by side: no fixed ports)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CITYLOOP_TEST_DATABASE_URL", "")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    s = Settings(
        data_dir=data_dir,
        database_url=_db_url(tmp_path_factory),
        secret_key="test-secret-key-for-tokens-0123456789",
        # Most tests file look-alike appeals on purpose; same-incident linking has its own.
        incident_linking=False,
        # Most tests reply without the co-handlers' feedback; the waiting rule has its own
        # tests (tests/api/test_steps.py), which switch it on.
        co_feedback_wait=False,
        # Fixture accounts log in without a second factor; tests/identity shows it enforced.
        totp_required_roles=[],
        # Tests post from one address under a stopped clock; tests/identity/test_ratelimit.py
        # switches the limits on.
        rate_limits={},
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(s)
    if engine.dialect.name == "postgresql":
        # A clean schema per run: earlier runs may have left other versions and tables behind.
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine, s)
    engine.dispose()
    return s


def _clean(ctx: CityLoop) -> None:
    shutil.rmtree(ctx.settings.models_dir, ignore_errors=True)  # no model unless a test adds one
    with ctx.engine.begin() as conn:
        allow_purge(conn)  # the audit tables refuse DELETE otherwise (PostgreSQL)
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


# -- the fixture city: one district, two streets, three grids ------------------------------
def _square(x0: float, y0: float, x1: float, y1: float) -> dict[str, object]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(code: str, name: str, level: str, parent: str | None, box: tuple) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        "geometry": _square(*box),
    }


CITY_FEATURES = [
    _feature("990100", "测试市", "city", None, (104.0, 30.0, 104.4, 30.2)),
    _feature("990102", "东城区", "district", "990100", (104.0, 30.0, 104.4, 30.2)),
    _feature("990102001", "河西街道", "street", "990102", (104.0, 30.0, 104.2, 30.2)),
    _feature("990102002", "河东街道", "street", "990102", (104.2, 30.0, 104.4, 30.2)),
    _feature("990102001001", "幸福社区", "community", "990102001", (104.0, 30.0, 104.2, 30.2)),
    _feature("990102002001", "和平社区", "community", "990102002", (104.2, 30.0, 104.4, 30.2)),
    _feature("990102001001001", "幸福1网格", "grid", "990102001001", (104.0, 30.0, 104.1, 30.2)),
    _feature("990102001001002", "幸福2网格", "grid", "990102001001", (104.1, 30.0, 104.2, 30.2)),
    _feature("990102002001001", "和平1网格", "grid", "990102002001", (104.2, 30.0, 104.4, 30.2)),
]
WEST = (104.05, 30.1)  # inside 幸福1网格, 河西街道
EAST = (104.3, 30.1)  # inside 和平1网格, 河东街道

DEPARTMENTS = [
    (2, {"code": "D-CG", "name": "市城市管理局", "level": "city", "region_code": "990100"}),
    (3, {"code": "D-SW", "name": "市水务局", "level": "city", "region_code": "990100"}),
    (4, {"code": "D-HB", "name": "市生态环境局", "level": "city", "region_code": "990100"}),
    (5, {"code": "D-RQ", "name": "燃气公司", "level": "city", "region_code": "990100"}),
    (6, {"code": "D-HX", "name": "河西街道办事处", "level": "street", "region_code": "990102001"}),
    (7, {"code": "D-HD", "name": "河东街道办事处", "level": "street", "region_code": "990102002"}),
]
TAXONOMY = [
    ("城乡建设", "市政设施", "路灯损坏"),
    ("城乡建设", "市政设施", "道路破损"),
    ("城乡建设", "供水", "停水"),
    ("环境保护", "噪声污染", "施工噪音"),
    ("公共安全", "燃气安全", "燃气泄漏"),
    ("其他", "", ""),
]
RULES = [
    {"category": "城乡建设/市政设施", "lead": "D-CG", "co": "D-HX", "urgent": "2h", "normal": "5d"},
    {
        "category": "城乡建设/市政设施",
        "region_code": "990102002",
        "lead": "D-HD",
        "co": "",
        "normal": "3d",
    },
    {"category": "城乡建设/供水", "lead": "D-SW", "co": "", "urgent": "2h", "normal": "3d"},
    {"category": "环境保护", "lead": "D-HB", "co": "D-CG", "normal": "5d"},
    {
        "category": "公共安全/燃气安全/燃气泄漏",
        "lead": "D-RQ",
        "co": "D-HX",
        "urgent": "2h",
        "normal": "1d",
    },
]
USERS = [
    ("admin", Role.ADMIN, None, None),
    ("operator", Role.OPERATOR, None, None),
    ("dispatcher", Role.DISPATCHER, None, None),
    ("leader", Role.LEADER, None, None),
    ("cg", Role.DEPARTMENT_HANDLER, None, "D-CG"),
    ("hx", Role.DEPARTMENT_HANDLER, None, "D-HX"),
    ("sw", Role.DEPARTMENT_HANDLER, None, "D-SW"),
    ("sup_west", Role.SUPERVISOR, "990102001", None),
    ("sup_east", Role.SUPERVISOR, "990102002", None),
    ("grid_west", Role.GRID_WORKER, "990102001001001", None),
    ("resident", Role.RESIDENT, None, None),
    ("resident2", Role.RESIDENT, None, None),
]


def _password_hash() -> str:
    if not _HASH:
        from argon2 import PasswordHasher

        _HASH.append(PasswordHasher().hash(PASSWORD))
    return _HASH[0]


def load_city(ctx: CityLoop) -> None:
    admin.import_regions(ctx, {"type": "FeatureCollection", "features": CITY_FEATURES})
    admin.import_departments(ctx, DEPARTMENTS)
    cols = ("一级", "二级", "三级")
    admin.import_taxonomy(
        ctx, [(i, dict(zip(cols, t, strict=True))) for i, t in enumerate(TAXONOMY, 2)], cols
    )
    admin.import_rules(ctx, [(i, r) for i, r in enumerate(RULES, 2)], "test")
    with ctx.uow() as uow:
        for username, role, region, dept in USERS:
            uow.session.add(
                UserRow(
                    username=username,
                    password_hash=_password_hash(),
                    display_name=username,
                    role=role.value,
                    region_code=region,
                    department_code=dept,
                    active=True,
                    created_at=utcnow(),
                )
            )
        uow.commit()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def ctx(settings: Settings, clock: ManualClock) -> Iterator[CityLoop]:
    context = build_context(settings, clock=clock)
    _clean(context)
    load_city(context)
    yield context
    context.engine.dispose()


def category(ctx: CityLoop, path: str) -> str:
    ref = ctx.reference.get()
    return next(code for code, p in ref.category_paths.items() if p == path)


@pytest.fixture
def client(ctx: CityLoop) -> TestClient:
    return TestClient(create_app(ctx))


class Users:
    """Bearer headers for each fixture user."""

    def __init__(self, ctx: CityLoop) -> None:
        self.ctx = ctx
        with ctx.uow() as uow:
            self.rows = {u.username: u for u in uow.session.query(UserRow).all()}

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.ctx, self.rows[username])}"}

    def actor(self, username: str) -> Actor:
        from cityloop.services.users import actor_of

        return actor_of(self.rows[username])

    def id(self, username: str) -> int:
        return self.rows[username].id


@pytest.fixture
def users(ctx: CityLoop) -> Users:
    return Users(ctx)


# Data beside the checkout (../shared/data) serves benchmarks and evaluations; CI has it, a fresh
# clone does not. A test that reads it asks for it here and is skipped, saying why, without it.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """The file under ../shared/data, or skip the calling test when it is not there."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"needs {relative} from ../shared/data beside the checkout (absent at {path})")
    return path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the ../shared/data folder beside the checkout (absent: {SHARED_DATA})")
    return SHARED_DATA
