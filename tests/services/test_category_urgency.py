"""A category's default urgency: imported with the taxonomy, inherited by its children."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cityloop.cli import app
from cityloop.domain.urgency import CategoryUrgency
from cityloop.services import admin
from cityloop.settings import get_settings
from cityloop.store.models import CategoryRow

runner = CliRunner()
COLS = ("一级分类", "二级分类", "三级分类")


@pytest.fixture
def env(ctx, settings, monkeypatch):
    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _code(ctx, path: str) -> str:
    ref = ctx.reference.get()
    return next(c for c, p in ref.category_paths.items() if p == path)


def test_import_sets_defaults_and_children_inherit(env, tmp_path):
    f = tmp_path / "tax.csv"
    f.write_text(
        "一级分类,二级分类,三级分类,默认紧急程度\n"
        "能源,燃气,燃气泄漏,生命安全\n"
        "能源,燃气,燃气缴费,\n"
        "能源,供电,,urgent\n"
        "能源,供电,电线断落,\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["import", "taxonomy", str(f)])
    assert r.exit_code == 0, r.output
    env.reference.invalidate()
    ref = env.reference.get()
    assert ref.default_urgency(_code(env, "能源/燃气/燃气泄漏")) is CategoryUrgency.LIFE_SAFETY
    assert ref.default_urgency(_code(env, "能源/燃气/燃气缴费")) is None
    # 电线断落 has no default of its own: it inherits 供电's.
    assert ref.default_urgency(_code(env, "能源/供电/电线断落")) is CategoryUrgency.URGENT
    assert ref.default_urgency(None) is None

    # A re-import keeps the codes and changes the defaults of the rows that carry the column.
    leak = _code(env, "能源/燃气/燃气泄漏")
    admin.import_taxonomy(
        env,
        [
            (
                2,
                {
                    "一级分类": "能源",
                    "二级分类": "燃气",
                    "三级分类": "燃气泄漏",
                    "default_urgency": "urgent",
                },
            )
        ],
        COLS,
    )
    env.reference.invalidate()
    assert _code(env, "能源/燃气/燃气泄漏") == leak
    assert env.reference.get().default_urgency(leak) is CategoryUrgency.URGENT


def test_a_bad_default_names_the_line_and_column_and_writes_nothing(env, tmp_path):
    with env.uow() as uow:
        before = uow.session.execute(select(func.count()).select_from(CategoryRow)).scalar_one()
    f = tmp_path / "tax.csv"
    f.write_text(
        "一级分类,二级分类,三级分类,默认紧急程度\n能源,燃气,燃气泄漏,紧急\n能源,燃气,燃气缴费,很急\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["import", "taxonomy", str(f)])
    assert r.exit_code == 2
    assert "第 3 行，“默认紧急程度”" in r.output and "很急" in r.output and "生命安全" in r.output
    with env.uow() as uow:
        after = uow.session.execute(select(func.count()).select_from(CategoryRow)).scalar_one()
    assert after == before
