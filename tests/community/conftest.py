"""Community fixtures: an app with the community routers, a small registry in the fixture city
(幸福社区 in 河西街道 with two grids, 和平社区 in 河东街道) and resident accounts linked to it."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

import cityloop.community.store  # noqa: F401  (registers the tables; models.py will import it)
from cityloop.api.app import create_app
from cityloop.community.registry.identity import make_id_number
from cityloop.community.registry.importing import import_people
from cityloop.community.registry.sheets import read_table
from cityloop.community.router import router
from cityloop.domain.statuses import Role
from cityloop.services.context import CityLoop
from cityloop.store.models import UserRow, utcnow
from tests.conftest import Users, _password_hash

GRID_W1 = "990102001001001"  # 幸福1网格 (grid_west's grid)
GRID_W2 = "990102001001002"  # 幸福2网格
GRID_E = "990102002001001"  # 和平1网格
XINGFU = "990102001001"  # 幸福社区
HEPING = "990102002001"

ID_OLD = make_id_number("990102", date(1940, 5, 1), 11)  # 86 on the fixture date
ID_LI = make_id_number("990102", date(1980, 3, 2), 22)

PEOPLE = [
    # grid, estate, building, unit, room, name, household, id, phone, relation, tags, username
    (
        GRID_W1,
        "幸福里",
        "1栋",
        "1单元",
        "101",
        "张三",
        "HH-1",
        ID_OLD,
        "13800001111",
        "户主",
        "独居老人",
        "resident",
    ),
    (
        GRID_W1,
        "幸福里",
        "1栋",
        "1单元",
        "102",
        "李四",
        "HH-2",
        ID_LI,
        "13800002222",
        "户主",
        "",
        "resident2",
    ),
    (GRID_W1, "幸福里", "1栋", "1单元", "102", "李小", "HH-2", "", "", "子女", "留守儿童", ""),
    (
        GRID_W2,
        "幸福东苑",
        "2栋",
        "1单元",
        "201",
        "王五",
        "HH-3",
        "",
        "13900003333",
        "户主",
        "残疾人",
        "resident3",
    ),
    (
        GRID_E,
        "和平苑",
        "3栋",
        "1单元",
        "301",
        "赵六",
        "HH-4",
        "",
        "13700004444",
        "户主",
        "",
        "resident_east",
    ),
]
COLUMNS = [
    "grid_code",
    "estate",
    "building",
    "unit",
    "room",
    "name",
    "household_code",
    "id_number",
    "phone",
    "relation",
    "care_tags",
    "username",
]


def people_csv(rows: list[tuple[Any, ...]] = PEOPLE, columns: list[str] = COLUMNS) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().encode()


def add_resident_user(ctx: CityLoop, username: str) -> None:
    with ctx.uow() as uow:
        uow.session.add(
            UserRow(
                username=username,
                password_hash=_password_hash(),
                display_name=username,
                role=Role.RESIDENT.value,
                active=True,
                created_at=utcnow(),
            )
        )
        uow.commit()


@pytest.fixture
def capp(ctx: CityLoop) -> TestClient:
    app = create_app(ctx, web=False)
    app.include_router(router)
    return TestClient(app)


@pytest.fixture
def city(ctx: CityLoop, users: Users) -> Users:
    """The registry loaded (as admin) and the resident accounts linked; the users helper
    refreshed so it knows the extra accounts."""
    add_resident_user(ctx, "resident3")
    add_resident_user(ctx, "resident_east")
    import_people(ctx, users.actor("admin"), read_table("p.csv", people_csv()))
    return Users(ctx)


def resident_id(ctx: CityLoop, name: str) -> int:
    from sqlalchemy import select

    from cityloop.community.store import ResidentRow

    with ctx.uow() as uow:
        return uow.session.execute(
            select(ResidentRow.id).where(ResidentRow.name == name)
        ).scalar_one()
