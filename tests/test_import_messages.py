"""Every administrator's import words its problems the same way: a code and params, the row
or feature (1-based), the field, a Chinese and an English message and what to do; an import
with a problem changes nothing; Excel workbooks (.xlsx) are read like CSV."""

from __future__ import annotations

import copy
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from cityloop.cli import app as cli
from cityloop.services.holidays import calendar_status
from cityloop.services.users import list_users
from cityloop.settings import get_settings
from cityloop.store.models import DepartmentRow, RegionRow, RuleSetRow
from tests.conftest import CITY_FEATURES

CJK = range(0x3000, 0xA000)


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count(ctx, model) -> int:
    with ctx.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def upload(client, users, path: str, name: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1{path}",
        files={"file": (name, data, "application/octet-stream")},
        headers=users.headers("admin"),
    )


def rejected(r) -> dict[tuple[int, str], dict[str, Any]]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_rejected" and body["params"]["count"] == len(body["errors"])
    for e in body["errors"]:  # every problem in both languages, with what to do
        assert set(e) >= {"row", "field", "code", "params", "message", "message_en", "hint"}
        assert any(ord(c) in CJK for c in e["message"]), e
        assert e["message_en"] and e["hint"] and e["hint_en"], e
    return {(e["row"], e["field"]): e for e in body["errors"]}


def no_cjk_but(text: str, *values: str) -> bool:
    """No Chinese character in the English text, leaving out the data values it quotes."""
    for v in values:
        text = text.replace(v, "")
    return not any(ord(c) in CJK for c in text)


# -- encoding and file kinds (every tabular import reads its file the same way) ---------------
TABULAR = [
    ("/departments/import", "code,name,level,region_code\n"),
    ("/linkage-rules/import", "category,region_code,lead,co,urgent,normal\n"),
    ("/users/import", "username,display_name,role\n"),
    ("/holidays/import", "日期,类型,名称\n"),
    ("/sensing/devices/import", "device_id,type,lon,lat\n"),
]


@pytest.mark.parametrize(("path", "header"), TABULAR)
def test_wrong_encoding_is_named_in_both_languages(client, users, path, header):
    data = header.encode() + b"\xff\xfe\xff bad \xff\n"  # neither UTF-8 nor GB18030
    problems = rejected(upload(client, users, path, "x.csv", data))
    (p,) = problems.values()
    assert (p["row"], p["field"], p["code"]) == (0, "file", "file_encoding")
    assert "UTF-8" in p["message"] and "xlsx" in p["hint"] and "UTF-8" in p["message_en"]


@pytest.mark.parametrize(("path", "header"), TABULAR)
def test_old_xls_is_told_to_be_saved_as_xlsx(client, users, path, header):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    (p,) = rejected(upload(client, users, path, "x.xls", ole)).values()
    assert p["code"] == "file_xls" and ".xlsx" in p["hint"]


@pytest.mark.parametrize(("path", "header"), TABULAR)
def test_a_damaged_workbook_is_refused_not_crashed(client, users, path, header):
    (p,) = rejected(upload(client, users, path, "x.xlsx", b"PK\x03\x04 not a zip")).values()
    assert p["code"] == "file_excel" and p["row"] == 0


# -- departments ------------------------------------------------------------------------------
def test_departments_bad_level_names_line_and_suggests_the_value(client, users, ctx):
    before = count(ctx, DepartmentRow)
    csv = "code,name,level,region_code\nD-NEW,新部门,区级,990102\nD-X,,city,\n"
    problems = rejected(upload(client, users, "/departments/import", "d.csv", csv.encode()))
    level = problems[(2, "level")]
    assert level["code"] == "not_one_of" and level["params"]["value"] == "区级"
    assert "“区级”不是有效的层级" in level["message"] and "district（区）" in level["message"]
    assert "district" in level["hint"] and "Did you mean district" in level["hint_en"]
    assert no_cjk_but(level["message_en"], "区级")
    assert problems[(3, "name")]["code"] == "required"
    assert count(ctx, DepartmentRow) == before  # nothing was written


def test_departments_missing_column(client, users, ctx):
    data = "code,name\nD-NEW,新部门\n".encode()
    problems = rejected(upload(client, users, "/departments/import", "d.csv", data))
    p = problems[(1, "level")]
    assert p["code"] == "column_missing" and p["params"]["column"] == "level"
    assert "缺少列“level”" in p["message"] and "'level' is missing" in p["message_en"]


def test_departments_from_xlsx(client, users, ctx):
    data = xlsx(
        [
            ["code", "name", "level", "region_code", "phone"],
            ["D-XL1", "表格导入局", "city", 990100, 12345],
            [None, None, None, None, None],  # a blank row keeps the numbering of the sheet
            ["D-XL2", "表格导入街道", "street", "990102001", None],
        ]
    )
    r = upload(client, users, "/departments/import", "d.xlsx", data)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 2
    ref = ctx.reference.get()
    assert ref.departments["D-XL1"] == "表格导入局" and "D-XL2" in ref.departments
    bad = xlsx([["code", "name", "level"], ["D-A", "甲", "city"], [], ["D-B", "乙", "区级"]])
    problems = rejected(upload(client, users, "/departments/import", "d.xlsx", bad))
    assert set(problems) == {(4, "level")}  # the sheet's own row number


# -- regions and grids (GeoJSON) --------------------------------------------------------------
def fc(features):
    return {"type": "FeatureCollection", "features": features}


def test_regions_self_intersection_and_bad_level_by_feature_number(client, users, ctx):
    before = count(ctx, RegionRow)
    grid = copy.deepcopy(CITY_FEATURES[8])
    grid["properties"]["code"] = "990102002001009"
    grid["geometry"]["coordinates"] = [
        [[104.2, 30.0], [104.3, 30.1], [104.3, 30.0], [104.2, 30.1], [104.2, 30.0]]
    ]  # a bow-tie: the boundary crosses itself at (104.25, 30.05)
    street = copy.deepcopy(CITY_FEATURES[3])
    street["properties"].update(code="990102003", level="街道级")
    r = client.post(
        "/api/v1/regions/import", json=fc([street, grid]), headers=users.headers("admin")
    )
    problems = rejected(r)
    geometry = problems[(2, "geometry")]  # the second feature is feature 2, not 1
    assert geometry["code"] == "geometry_invalid"
    assert geometry["params"]["reason"] == "Self-intersection"
    assert "边界自相交" in geometry["message"] and "104.25" in geometry["message"]
    assert "crosses itself" in geometry["message_en"] and "Self-intersection[" not in str(r.json())
    assert "修复" in geometry["hint"]
    level = problems[(1, "level")]
    assert "“街道级”不是有效的层级" in level["message"] and "street" in level["hint"]
    assert count(ctx, RegionRow) == before


def test_regions_duplicate_and_unknown_parent_name_the_feature(client, users, ctx):
    a = copy.deepcopy(CITY_FEATURES[8])
    a["properties"]["code"] = "990102002001008"
    b = copy.deepcopy(a)
    c = copy.deepcopy(a)
    c["properties"].update(code="990102002999001", parent_code="990102002999")
    r = client.post("/api/v1/regions/import", json=fc([a, b, c]), headers=users.headers("admin"))
    problems = rejected(r)
    assert problems[(2, "code")]["code"] == "duplicate_feature"
    assert "第 1 个要素" in problems[(2, "code")]["message"]
    assert problems[(3, "parent_code")]["code"] == "parent_unknown"
    existing = copy.deepcopy(CITY_FEATURES[8])
    r = client.post("/api/v1/regions/import", json=fc([existing]), headers=users.headers("admin"))
    assert rejected(r)[(1, "code")]["code"] == "already_exists"


# -- linkage list -----------------------------------------------------------------------------
def test_linkage_problems_and_xlsx(client, users, ctx):
    before = count(ctx, RuleSetRow)
    csv = (
        "category,region_code,lead,co,urgent,normal\n"
        "城乡建设/市政设施,,D-NOPE,,,5d\n"
        "环境保护,,D-HB,,三天,5d\n"
        "城乡建设/供水,,D-SW,,2h,\n"
    )
    problems = rejected(upload(client, users, "/linkage-rules/import", "r.csv", csv.encode()))
    assert problems[(2, "lead")]["code"] == "unknown_department"
    assert "“D-NOPE”不存在" in problems[(2, "lead")]["message"]
    assert problems[(3, "urgent")]["code"] == "time_limit"
    assert problems[(4, "normal")]["code"] == "normal_limit_required"
    assert no_cjk_but(problems[(3, "urgent")]["message_en"], "三天")
    missing = rejected(upload(client, users, "/linkage-rules/import", "r.csv", b"category,lead\n"))
    assert missing[(1, "normal")]["code"] == "column_missing"
    assert count(ctx, RuleSetRow) == before
    good = xlsx(
        [
            ["category", "region_code", "lead", "co", "urgent", "normal"],
            ["城乡建设/市政设施", None, "D-CG", "D-HX", "2h", "5d"],
            ["城乡建设/供水", None, "D-SW", None, "2h", "3d"],
            ["环境保护", None, "D-HB", None, None, "5d"],
            ["公共安全/燃气安全/燃气泄漏", None, "D-RQ", None, "2h", "1d"],
        ]
    )
    r = upload(client, users, "/linkage-rules/import", "r.xlsx", good)
    assert r.status_code == 200, r.text
    assert count(ctx, RuleSetRow) == before + 1


# -- users ------------------------------------------------------------------------------------
def test_users_from_xlsx_and_bad_role_by_sheet_row(client, users, ctx):
    before = list_users(ctx)["total"]
    data = xlsx(
        [
            ["username", "display_name", "role", "region_code", "department_code", "phone"],
            ["xl_op", "表格坐席", "operator", None, None, 13800000000],
            ["xl_cg", "表格承办", "department_handler", None, "D-CG", None],
        ]
    )
    r = upload(client, users, "/users/import", "u.xlsx", data)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 2
    assert list_users(ctx, q="xl_")["total"] == 2
    bad = xlsx([["username", "display_name", "role"], ["xl_a", "甲", "坐席员"]])
    p = rejected(upload(client, users, "/users/import", "u.xlsx", bad))[(2, "role")]
    assert p["code"] == "not_one_of" and "“坐席员”不是有效的角色" in p["message"]
    missing = rejected(upload(client, users, "/users/import", "u.csv", b"username,role\na,b\n"))
    assert missing[(1, "display_name")]["code"] == "column_missing"
    assert list_users(ctx)["total"] == before + 2


# -- holidays ---------------------------------------------------------------------------------
def test_holidays_from_xlsx_with_date_cells(client, users, ctx):
    data = xlsx(
        [
            ["日期", "类型", "名称"],
            [datetime(2031, 1, 1), "休", "元旦"],
            [date(2031, 1, 4), "班", "元旦调休"],
        ]
    )
    r = upload(client, users, "/holidays/import", "h.xlsx", data)
    assert r.status_code == 200, r.text
    assert 2031 in calendar_status(ctx)["arranged_years"]
    bad = xlsx([["日期", "类型", "名称"], [date(2032, 1, 1), "请假", "元旦"], ["明天", "休", "x"]])
    problems = rejected(upload(client, users, "/holidays/import", "h.xlsx", bad))
    assert problems[(2, "类型")]["code"] == "not_one_of"
    assert (
        problems[(3, "日期")]["code"] == "not_date"
        and "2027-01-01" in problems[(3, "日期")]["hint"]
    )
    missing = rejected(upload(client, users, "/holidays/import", "h.csv", "日期,名称\n".encode()))
    assert missing[(1, "类型")]["code"] == "column_missing"


# -- sensing devices --------------------------------------------------------------------------
def test_devices_bad_type_and_xlsx(client, users, ctx):
    csv = "device_id,type,lon,lat\nm-1,电表,104.05,30.1\nm 2,smart_meter,999,30.1\n"
    problems = rejected(upload(client, users, "/sensing/devices/import", "d.csv", csv.encode()))
    assert problems[(2, "type")]["code"] == "not_one_of"
    assert "“电表”不是有效的设备类型" in problems[(2, "type")]["message"]
    assert problems[(3, "device_id")]["code"] == "identifier_format"
    assert problems[(3, "lon")]["code"] == "out_of_range"
    good = xlsx([["device_id", "type", "lon", "lat"], ["xl-m1", "smart_meter", 104.05, 30.1]])
    r = upload(client, users, "/sensing/devices/import", "d.xlsx", good)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def env(ctx, settings, monkeypatch):
    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def test_cli_names_row_and_field_in_chinese_with_what_to_do(env, tmp_path):
    f = tmp_path / "d.xlsx"
    f.write_bytes(xlsx([["code", "name", "level"], ["D-C1", "甲", "city"], ["D-C2", "乙", "区级"]]))
    r = CliRunner().invoke(cli, ["import", "departments", str(f)])
    assert r.exit_code == 2
    assert "第 3 行，“level”列：“区级”不是有效的层级" in r.output
    assert "处理：是否应为 district（区）？" in r.output
    g = tmp_path / "r.geojson"
    g.write_bytes(b"\xff\xfe\xff")
    r = CliRunner().invoke(cli, ["import", "regions", str(g)])
    assert r.exit_code == 2 and "整个文件" in r.output and "UTF-8" in r.output
