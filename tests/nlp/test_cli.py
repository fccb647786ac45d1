from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from cityloop.nlp.cli import default_models_dir, model_app
from tests.nlp.synthetic import make_corpus

runner = CliRunner()


def _write_csv(path: Path, per_class: int, seed: int) -> None:
    texts, labels = make_corpus(per_class=per_class, seed=seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["标题", "内容", "类别"])
        for i, (t, lab) in enumerate(zip(texts, labels, strict=True)):
            w.writerow(["" if i % 2 else t[:6], t, lab])


def test_train_eval_list_activate(tmp_path: Path) -> None:
    train_csv, test_csv, models = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "m"
    _write_csv(train_csv, 10, seed=1)
    _write_csv(test_csv, 4, seed=2)
    common = ["--text-col", "内容", "--title-col", "标题", "--label-col", "类别"]
    res = runner.invoke(
        model_app,
        ["train", "--data", str(train_csv), *common, "--folds", "3", "--models-dir", str(models)],
    )
    assert res.exit_code == 0, res.output
    assert "macro-F1" in res.output and "卫生计生" in res.output
    (version,) = [p for p in models.iterdir() if p.name.startswith("v0001-")]
    for name in ("model.joblib", "model.json", "metrics.json", "confusion.png", "confusion.json"):
        assert (version / name).is_file(), name

    res = runner.invoke(
        model_app, ["eval", "--data", str(test_csv), *common, "--models-dir", str(models)]
    )
    assert res.exit_code == 0, res.output
    assert "accuracy" in res.output and "macro-F1" in res.output

    res = runner.invoke(model_app, ["list", "--models-dir", str(models)])
    assert res.exit_code == 0 and f"* {version.name}" in res.output
    res = runner.invoke(model_app, ["activate", "v0001", "--models-dir", str(models)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(model_app, ["activate", "v0042", "--models-dir", str(models)])
    assert res.exit_code == 1


def test_missing_column_and_no_model(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    _write_csv(data, 3, seed=0)
    res = runner.invoke(
        model_app,
        [
            "train",
            "--data",
            str(data),
            "--text-col",
            "body",
            "--label-col",
            "类别",
            "--models-dir",
            str(tmp_path / "m"),
        ],
    )
    assert res.exit_code == 2
    assert "'body'" in res.output
    res = runner.invoke(
        model_app,
        [
            "eval",
            "--data",
            str(data),
            "--text-col",
            "内容",
            "--label-col",
            "类别",
            "--models-dir",
            str(tmp_path / "empty"),
        ],
    )
    assert res.exit_code == 1


def test_default_models_dir(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    from cityloop.settings import get_settings

    monkeypatch.setenv("CITYLOOP_DATA_DIR", "/srv/cityloop")
    get_settings.cache_clear()  # the settings object is read once per process
    assert default_models_dir() == Path("/srv/cityloop/models")
    monkeypatch.delenv("CITYLOOP_DATA_DIR")
    get_settings.cache_clear()
    assert default_models_dir() == Path(".cityloop/models")
    get_settings.cache_clear()
