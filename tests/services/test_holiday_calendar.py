"""The holiday calendar as data: seeded, edited (API, CSV, CLI), audited, re-read by every
worker, and the stored deadlines recomputed by an explicit command."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cityloop.domain.sla import TimeLimit
from cityloop.services.clock import ManualClock
from cityloop.services.context import CityLoop, build_context
from cityloop.services.deadlines import deadline
from cityloop.services.holidays import DayEntry, seed_from_package, set_days
from cityloop.services.recompute import recompute_deadlines
from cityloop.settings import Settings
from cityloop.store.holidays import HolidayDayRow, HolidayYearRow
from cityloop.store.models import AuditRow, WorkOrderRow
from tests.conftest import TZ, WEST, Users, category

# Friday 9 Oct 2026 is an ordinary working day; Saturday 10 Oct is the National Day make-up day.
FRI = date(2026, 10, 9)
SAT = date(2026, 10, 10)


def _local(ctx: CityLoop, value: str) -> str:
    return datetime.fromisoformat(value).astimezone(ctx.settings.tz).isoformat()


@pytest.fixture
def seeded(ctx: CityLoop) -> CityLoop:
    # The suite empties every table between tests; put the package's years back as the
    # migration does.
    seed_from_package(ctx, None)
    return ctx


def test_the_seeded_table_is_the_calendar(seeded: CityLoop) -> None:
    cal = seeded.sla.calendar
    assert cal.is_workday(SAT) is True  # 调休 make-up Saturday
    assert cal.is_workday(date(2026, 10, 1)) is False  # National Day
    assert cal.is_workday(date(2026, 10, 8)) is True
    assert 2026 in cal.known_years and 2027 not in cal.known_years
    # A year without an arrangement counts Monday–Friday: 1 Jan 2027 is a Friday.
    assert cal.is_workday(date(2027, 1, 1)) is True


def test_an_admin_edit_moves_deadlines_computed_afterwards(
    seeded: CityLoop, client: TestClient, users: Users
) -> None:
    start = datetime(2026, 10, 8, 10, 0, tzinfo=TZ)  # Thursday
    before, _ = deadline(seeded, start, TimeLimit.parse("2d"))
    assert _local(seeded, before.isoformat()) == "2026-10-10T18:00:00+08:00"  # Fri, make-up Sat
    r = client.post(
        "/api/v1/holidays",
        json={"days": [{"day": FRI.isoformat(), "kind": "holiday", "name": "本市防汛放假"}]},
        headers=users.headers("admin"),
    )
    assert r.status_code == 200, r.text
    after, _ = deadline(seeded, start, TimeLimit.parse("2d"))
    assert _local(seeded, after.isoformat()) == "2026-10-12T18:00:00+08:00"  # Sat, Mon
    # The rest of the year stays as it was.
    assert seeded.sla.calendar.is_workday(date(2026, 10, 1)) is False
    listed = client.get("/api/v1/holidays?year=2026", headers=users.headers("admin")).json()
    friday = next(d for d in listed["days"] if d["day"] == FRI.isoformat())
    assert friday["kind"] == "holiday" and friday["source"] == "admin"
    with seeded.uow() as uow:
        audit = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "holiday_calendar_set")
        ).scalar_one()
        assert audit.actor_name == "admin" and audit.detail["days"][0]["day"] == "2026-10-09"


def test_other_workers_reread_within_the_refresh_interval(
    seeded: CityLoop, settings: Settings
) -> None:
    other = build_context(
        settings.model_copy(update={"calendar_refresh_seconds": 0.2}),
        clock=ManualClock(datetime(2026, 10, 1, tzinfo=TZ)),
    )
    try:
        assert other.sla.calendar.is_workday(FRI) is True
        set_days(seeded, None, [DayEntry(FRI, "holiday", "临时放假")])
        time.sleep(0.3)
        assert other.sla.calendar.is_workday(FRI) is False
    finally:
        other.engine.dispose()


def test_settings_overrides_still_win(settings: Settings, seeded: CityLoop) -> None:
    other = build_context(
        settings.model_copy(update={"extra_holidays": ["2026-10-09"], "extra_workdays": []})
    )
    try:
        assert other.sla.calendar.is_workday(FRI) is False
        assert other.sla.calendar.is_workday(SAT) is True
    finally:
        other.engine.dispose()


def test_edits_are_admin_only_and_bad_input_names_the_field(
    seeded: CityLoop, client: TestClient, users: Users
) -> None:
    body = {"days": [{"day": "2026-10-09", "kind": "holiday", "name": "x"}]}
    assert (
        client.post("/api/v1/holidays", json=body, headers=users.headers("dispatcher")).status_code
        == 403
    )
    assert client.post("/api/v1/holidays", json=body).status_code == 401
    wrong = {"days": [{"day": "2026-10-12", "kind": "workday", "name": "补班"}]}  # a Monday
    r = client.post("/api/v1/holidays", json=wrong, headers=users.headers("admin"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_input"
    assert r.json()["errors"][0] | {"message": ""} == {
        "field": "days[0]",
        "code": "makeup_day_weekend",
        "params": {"day": "2026-10-12"},
        "message": "",
    }
    assert seeded.sla.calendar.is_workday(date(2026, 10, 12)) is True
    r = client.post(
        "/api/v1/holidays",
        json={"days": [{"day": "2026-13-01", "kind": "holiday", "name": "x"}]},
        headers=users.headers("admin"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("days.0.day")
    r = client.delete("/api/v1/holidays/2026-10-13", headers=users.headers("admin"))
    assert r.status_code == 422  # not listed: nothing to remove
    assert r.json()["errors"][0]["code"] == "not_in_calendar"
    assert r.json()["errors"][0]["params"] == {"day": "2026-10-13"}


def test_removing_a_makeup_day_makes_it_a_weekend_again(
    seeded: CityLoop, client: TestClient, users: Users
) -> None:
    r = client.delete(f"/api/v1/holidays/{SAT.isoformat()}", headers=users.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["removed"][0]["kind"] == "workday"
    assert seeded.sla.calendar.is_workday(SAT) is False


CSV_2027 = """日期,类型,名称
2027-01-01,休,元旦
2027-02-06,休,春节
2027-02-07,班,春节调休
"""


def test_csv_import_replaces_the_year_all_or_nothing(
    seeded: CityLoop, client: TestClient, users: Users
) -> None:
    # Made-up rows for a test, not the State Council's 2027 arrangement.
    bad = CSV_2027 + "2027-02-30,休,春节\n2027-03-01,放工,x\n"
    r = client.post(
        "/api/v1/holidays/import",
        files={"file": ("bad.csv", bad.encode("gb18030"), "text/csv")},
        headers=users.headers("admin"),
    )
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(5, "日期"), (6, "类型")]
    assert seeded.sla.calendar.is_workday(date(2027, 1, 1)) is True  # nothing written
    r = client.post(
        "/api/v1/holidays/import",
        files={"file": ("2027.csv", CSV_2027.encode("utf-8-sig"), "text/csv")},
        headers=users.headers("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["years"] == [2027] and r.json()["workdays"] == 1
    cal = seeded.sla.calendar
    assert cal.is_workday(date(2027, 1, 1)) is False
    assert cal.is_workday(date(2027, 2, 7)) is True  # a Sunday made a working day
    assert 2027 in cal.known_years


def test_cli_import_names_row_and_field_in_chinese(
    seeded: CityLoop, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cityloop.cli import app

    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    from cityloop.settings import get_settings

    get_settings.cache_clear()
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,类型,名称\n2027-01-01,休,元旦\n2027-01-02,,元旦\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "holidays", str(bad)])
    assert result.exit_code == 2
    assert "第 3 行，“类型”列" in result.output
    with seeded.uow() as uow:
        assert uow.session.get(HolidayYearRow, 2027) is None
    good = tmp_path / "good.csv"
    good.write_text(CSV_2027, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "holidays", str(good)])
    assert result.exit_code == 0, result.output
    assert "已导入 2027 年：2 个休息日，1 个调休上班日" in result.output
    with seeded.uow() as uow:
        assert uow.session.get(HolidayDayRow, date(2027, 2, 7)).kind == "workday"
    get_settings.cache_clear()


def test_status_warns_from_november_when_next_year_is_missing(
    seeded: CityLoop, client: TestClient, users: Users, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 10, 20, 10, tzinfo=TZ))
    r = client.get("/api/v1/holidays/status", headers=users.headers("admin")).json()
    assert r["missing_years"] == [2027] and r["warnings"] == []
    clock.set(datetime(2026, 12, 1, 10, tzinfo=TZ))
    r = client.get("/api/v1/holidays/status", headers=users.headers("admin")).json()
    assert [w["code"] for w in r["warnings"]] == ["holiday_year_missing"]
    assert r["warnings"][0]["params"]["year"] == 2027
    assert "2027 年节假日安排尚未录入" in r["warnings"][0]["zh"]
    set_days(seeded, None, [DayEntry(date(2027, 1, 1), "holiday", "元旦")])
    r = client.get("/api/v1/holidays/status", headers=users.headers("admin")).json()
    assert r["warnings"] == [] and 2027 in r["arranged_years"]


def test_recompute_moves_stored_deadlines_and_is_audited(
    seeded: CityLoop, client: TestClient, users: Users, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 10, 8, 10, 0, tzinfo=TZ))
    code = category(seeded, "城乡建设/供水/停水")  # normal: 3 working days
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "市民来电：幸福小区3栋停水一天了，没有任何通知，请尽快恢复供水。",
            "lon": WEST[0],
            "lat": WEST[1],
            "category_code": code,
        },
        headers=users.headers("operator"),
    )
    assert r.status_code == 201, r.text
    order_id, due = r.json()["work_order_id"], r.json()["due_at"]
    assert _local(seeded, due) == "2026-10-12T18:00:00+08:00"  # Fri, Sat (调休), Mon
    set_days(seeded, None, [DayEntry(FRI, "holiday", "临时放假")])
    with seeded.uow() as uow:  # stored deadlines do not move by themselves
        assert uow.session.get(WorkOrderRow, order_id).due_at == datetime.fromisoformat(due)
    dry = recompute_deadlines(seeded, None, dry_run=True)
    assert dry["changed"] == 1
    done = recompute_deadlines(seeded, users.actor("admin"))
    assert done["changed"] == 1 and done["changes"][0]["order_id"] == order_id
    with seeded.uow() as uow:
        row = uow.session.get(WorkOrderRow, order_id)
        assert row.due_at.astimezone(TZ).isoformat() == "2026-10-13T18:00:00+08:00"
        assert row.warn_at <= row.due_at
        audit = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "deadlines_recompute")
        ).scalar_one()
        assert audit.detail["changed"] == 1
    # Run again: nothing left to change.
    assert recompute_deadlines(seeded, None)["changed"] == 0
    # Deadlines before `since` are left alone.
    set_days(seeded, None, [DayEntry(date(2026, 10, 12), "holiday", "临时放假")])
    later = datetime(2026, 10, 14, tzinfo=TZ)
    assert recompute_deadlines(seeded, None, later)["checked"] == 0
