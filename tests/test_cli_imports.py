"""`cityloop import …` names the bad row and field, and writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cityloop.cli import app
from cityloop.settings import get_settings
from cityloop.store.models import CategoryRow, RegionRow, RuleSetRow
from tests.conftest import CITY_FEATURES, shared_file

runner = CliRunner()


@pytest.fixture
def env(ctx, settings, monkeypatch):
    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def count(ctx, model):
    with ctx.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_rules_csv_error_names_line_and_field(env, tmp_path):
    before = count(env, RuleSetRow)
    f = tmp_path / "rules.csv"
    f.write_text(
        "category,region_code,lead,co,urgent,normal\n"
        "城乡建设/市政设施,,D-CG,D-HX,2h,5d\n"
        "城乡建设/不存在,,D-CG,,,5d\n"
        "环境保护,,D-NOPE,,,5d\n"
        "城乡建设/供水,,D-SW,,soon,3d\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["import", "rules", str(f)])
    assert r.exit_code == 2
    assert "第 3 行，“category”" in r.output and "第 4 行，“lead”" in r.output
    assert "第 5 行，“urgent”" in r.output
    assert count(env, RuleSetRow) == before


def test_rules_yaml_creates_a_new_active_version(env, tmp_path):
    f = tmp_path / "rules.yaml"
    f.write_text(
        "rules:\n"
        "  - {category: 城乡建设/市政设施, lead: D-CG, co: [D-HX], urgent: 2h, normal: 5d}\n"
        "  - {category: 环境保护, lead: D-HB, normal: 10d}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["import", "rules", str(f)])
    assert r.exit_code == 0, r.output
    assert "version 2 is now active" in r.output
    ref = env.reference
    ref.invalidate()
    assert ref.get().rule_version == 2 and len(ref.get().rules) == 2


def test_taxonomy_csv_import_and_missing_column(env, tmp_path):
    f = tmp_path / "tax.csv"
    f.write_text(
        "一级分类,二级分类,三级分类\n交通运输,公交,线路调整\n交通运输,出租车,\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["import", "taxonomy", str(f)])
    assert r.exit_code == 0 and "imported 4 new categories" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("级别一,级别二\n交通,公交\n", encoding="utf-8")
    r = runner.invoke(app, ["import", "taxonomy", str(bad)])
    assert r.exit_code == 2 and "一级分类" in r.output


def test_taxonomy_of_the_real_file(env):
    path = shared_file("teddy2020/taxonomy_3level.csv")
    before = count(env, CategoryRow)
    r = runner.invoke(app, ["import", "taxonomy", str(path)])
    assert r.exit_code == 0, r.output
    assert count(env, CategoryRow) - before >= 15 + 103 + 390 - 10  # a few names repeat


def test_regions_geojson_error_names_the_feature(env, tmp_path):
    before = count(env, RegionRow)
    bad = {"type": "FeatureCollection", "features": [dict(CITY_FEATURES[8])]}
    bad["features"][0] = json.loads(json.dumps(CITY_FEATURES[8]))
    bad["features"][0]["properties"]["code"] = "990102002001777"
    bad["features"][0]["properties"]["parent_code"] = "990102002999"
    f = tmp_path / "r.geojson"
    f.write_text(json.dumps(bad), encoding="utf-8")
    r = runner.invoke(app, ["import", "regions", str(f)])
    assert r.exit_code == 2 and "第 1 个要素，“parent_code”" in r.output
    assert count(env, RegionRow) == before


def test_departments_csv_rejects_bad_level(env, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("code,name,level,region_code\nD-NEW,新部门,province,990100\n", encoding="utf-8")
    r = runner.invoke(app, ["import", "departments", str(f)])
    assert r.exit_code == 2 and "第 2 行，“level”" in r.output
