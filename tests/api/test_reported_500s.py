"""Regressions for the server errors the fuzzing review reported (issue 13): each answered with a
4xx problem now, or with the right data, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from cityloop.community.store import DisputeRow
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop
from tests.community.conftest import GRID_W1, capp, city, resident_id  # noqa: F401
from tests.conftest import Users

COMMUNITY = "/api/v1/community"


def test_points_ranking_as_a_role_without_area_is_empty_not_500(
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
) -> None:
    # A department handler has no region: its scope once went to PostgreSQL as a NUL sentinel.
    r = capp.get(f"{COMMUNITY}/points/ranking", headers=city.headers("cg"))
    assert r.status_code in (200, 403), r.text
    if r.status_code == 200:
        assert r.json() == []
    tasks = capp.get(f"{COMMUNITY}/points/tasks", headers=city.headers("cg"))
    assert tasks.status_code in (200, 403) and (tasks.status_code == 403 or tasks.json() == [])


def test_elderly_alone_age_is_bounded(capp: TestClient, city: Users) -> None:  # noqa: F811
    h = city.headers("admin")
    r = capp.get(f"{COMMUNITY}/registry/residents/elderly-alone", params={"age": 21907}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "age"
    ok = capp.get(f"{COMMUNITY}/registry/residents/elderly-alone", params={"age": 80}, headers=h)
    assert ok.status_code == 200


def test_null_clears_a_text_field_and_is_refused_for_a_flag(
    ctx: CityLoop,
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
) -> None:
    rid = resident_id(ctx, "张三")
    url = f"{COMMUNITY}/registry/residents/{rid}"
    h = city.headers("grid_west")
    cleared = capp.patch(url, json={"relation": None}, headers=h)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["relation"] == ""
    flag = capp.patch(url, json={"active": None}, headers=h)
    assert flag.status_code == 422 and flag.json()["errors"][0]["field"] == "active"


def test_an_over_long_value_is_refused_before_the_database(
    ctx: CityLoop,
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
) -> None:
    # The schema has no bound for `residence`; the column holds 16 characters.
    rid = resident_id(ctx, "张三")
    r = capp.patch(
        f"{COMMUNITY}/registry/residents/{rid}",
        json={"gender": "x" * 9},  # the column holds 8
        headers=city.headers("grid_west"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "gender"


def test_a_line_break_in_an_unquoted_csv_cell_names_the_line(
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
) -> None:
    data = (
        "grid_code,estate,building,unit,room,name\r\n" + f"{GRID_W1},幸福里,1栋,1单元,1\r01,李四\n"
    )
    r = capp.post(
        f"{COMMUNITY}/registry/import/residents",
        files={"file": ("p.csv", data.encode())},
        headers=city.headers("admin"),
    )
    # A bare CR ends a record, as in any spreadsheet: the cut row is named by line and field.
    assert r.status_code == 422, r.text
    assert all(e["row"] >= 2 and e["field"] for e in r.json()["errors"])
    nul = capp.post(
        f"{COMMUNITY}/registry/import/residents",
        files={"file": ("p.csv", b"grid_code,name\n1\x00,x\n")},
        headers=city.headers("admin"),
    )
    assert nul.status_code == 422
    assert nul.json()["errors"][0]["row"] == 2 and nul.json()["errors"][0]["field"] == "grid_code"


def test_a_grid_worker_cannot_sweep_the_city(
    ctx: CityLoop,
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
    clock: ManualClock,
) -> None:
    r = capp.post(f"{COMMUNITY}/disputes/sweep", headers=city.headers("grid_west"))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_a_supervisor_sweeps_only_their_area(
    ctx: CityLoop,
    capp: TestClient,  # noqa: F811
    city: Users,  # noqa: F811
    clock: ManualClock,
) -> None:
    def open_case(region: str) -> int:
        r = capp.post(
            f"{COMMUNITY}/disputes",
            json={
                "title": "楼上漏水",
                "type": "neighbour",
                "region_code": region,
                "parties": [{"name": "王五", "role": "楼上"}, {"name": "赵六", "role": "楼下"}],
                "description": "楼上漏水到楼下，协商未果",
            },
            headers=city.headers("admin"),
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    west, east = open_case(GRID_W1), open_case("990102002001001")
    clock.set(clock.now() + timedelta(days=25))
    swept = capp.post(f"{COMMUNITY}/disputes/sweep", headers=city.headers("sup_west"))
    assert swept.status_code == 200 and swept.json() == {"escalated": 1}
    with ctx.uow() as uow:
        levels = dict(uow.session.execute(select(DisputeRow.id, DisputeRow.escalations)).all())
    assert levels[west] == 1 and levels[east] == 0


def test_health_names_no_exception(ctx: CityLoop) -> None:
    from cityloop.api.app import create_app

    ctx.engine.dispose()
    broken = ctx.__class__(
        **{
            **vars(ctx),
            "engine": __import__("sqlalchemy").create_engine(
                "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
            ),
        }
    )
    r = TestClient(create_app(broken, web=False)).get("/api/v1/health")
    assert r.status_code == 503
    assert "secret" not in r.text and "nobody" not in r.text and "127.0.0.1" not in r.text
    assert r.json()["database"] == "unreachable"
