"""The auto-dispatch threshold comes from training only: evaluation measures at the stored one
and never re-tunes on the labels it is given; no threshold is ever below the floor."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cityloop.nlp.classifier import MIN_THRESHOLD, AppealClassifier, threshold_for_precision
from cityloop.nlp.cli import model_app
from cityloop.nlp.evaluation import render_table, score
from cityloop.nlp.registry import UNTUNED_THRESHOLD, ModelRegistry
from cityloop.nlp.training import train_holdout_and_register
from tests.nlp.synthetic import make_corpus

CLASSES = ["a", "b"]
# Confidence falls down the rows; rows 0-3 right, row 4 wrong, rows 5-7 right.
PROBA = np.array(
    [[0.95, 0.05], [0.9, 0.1], [0.85, 0.15], [0.8, 0.2], [0.75, 0.25], [0.3, 0.7], [0.4, 0.6],
     [0.45, 0.55]]
)  # fmt: skip
Y_TRUE = ["a", "a", "a", "a", "b", "b", "b", "b"]
Y_PRED = ["a", "a", "a", "a", "a", "b", "b", "b"]


def test_a_given_threshold_is_measured_not_tuned() -> None:
    tuned = score(Y_TRUE, Y_PRED, PROBA, CLASSES, precision_target=0.95)
    assert tuned.threshold == 0.8 and tuned.extra["threshold_source"] == "tuned"
    rep = score(Y_TRUE, Y_PRED, PROBA, CLASSES, threshold=0.6)
    assert rep.threshold == 0.6 and rep.extra["threshold_source"] == "stored"
    # At 0.6 every row but the last (0.55) passes, and one of those seven is wrong.
    assert rep.coverage == 7 / 8
    assert rep.accuracy_above == 6 / 7
    assert "precision_target" not in rep.extra and "threshold_tuned" not in rep.extra
    assert "threshold 0.6000" in render_table(rep) and "not re-tuned" in render_table(rep)


def test_tuning_never_goes_below_the_floor() -> None:
    # Every prediction right but none confident: tuning alone would pick the lowest confidence.
    proba = np.array([[0.3, 0.2, 0.25, 0.25], [0.2, 0.35, 0.25, 0.2], [0.28, 0.24, 0.24, 0.24]])
    classes = ["a", "b", "c", "d"]
    y = ["a", "b", "a"]
    assert threshold_for_precision(proba, y, 0.95, classes) == 0.28
    rep = score(y, y, proba, classes, precision_target=0.95)
    assert rep.extra["threshold_tuned"] == 0.28
    assert rep.threshold == MIN_THRESHOLD == 0.5
    assert rep.coverage == 0.0 and rep.accuracy_above is None
    assert "raised to the floor 0.50" in render_table(rep)


def test_registry_threshold_is_floored_and_defaults_when_missing(tmp_path: Path) -> None:
    texts, labels = make_corpus(per_class=6, seed=3)
    model = AppealClassifier().fit(texts, labels)
    registry = ModelRegistry(tmp_path)
    assert registry.threshold() is None  # no model yet
    low = registry.register(model, {"threshold": 0.17}, "fp")
    bare = registry.register(model, {}, "fp")
    high = registry.register(model, {"threshold": 0.83}, "fp")
    assert registry.threshold(low) == 0.5
    assert registry.threshold(bare) == UNTUNED_THRESHOLD
    registry.activate(high)
    assert registry.threshold() == 0.83


def test_training_stores_the_floor_whatever_the_tuning_finds(tmp_path: Path) -> None:
    # Texts that say nothing about their class: confidence stays near 1/8, and a precision
    # target the guesses reach (10 %) would tune the threshold down to the least confident one.
    rng = np.random.default_rng(4)
    fillers = ["问题", "坏了", "很严重", "请处理", "多次反映", "影响生活", "小区", "门口"]
    texts = ["".join(rng.choice(fillers, size=4)) for _ in range(160)]
    labels = [f"类{i % 8}" for i in range(160)]
    version, report = train_holdout_and_register(texts, labels, tmp_path, precision=0.1)
    stored = json.loads((tmp_path / version / "metrics.json").read_text("utf-8"))
    assert stored["threshold_tuned"] < MIN_THRESHOLD
    assert stored["threshold"] == report.threshold == MIN_THRESHOLD
    assert ModelRegistry(tmp_path).threshold() == MIN_THRESHOLD


def _write(path: Path, texts: list[str], labels: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["内容", "类别"])
        w.writerows(zip(texts, labels, strict=True))


def test_model_eval_reports_at_the_stored_threshold(tmp_path: Path) -> None:
    texts, labels = make_corpus(per_class=12, seed=1)
    model = AppealClassifier().fit(texts, labels)
    registry = ModelRegistry(tmp_path / "m")
    registry.activate(registry.register(model, {"threshold": 0.95}, "fp"))
    eval_texts, eval_labels = make_corpus(per_class=8, seed=9)
    # One text per class labelled wrongly, so precision is not trivially 1.
    for i in range(0, len(eval_labels), 8):
        eval_labels[i] = eval_labels[(i + 8) % len(eval_labels)]
    data = tmp_path / "eval.csv"
    _write(data, eval_texts, eval_labels)

    proba = model.predict_proba(eval_texts)
    classes = [str(c) for c in model.classes_]
    retuned = threshold_for_precision(proba, eval_labels, 0.95, classes)
    assert abs(retuned - 0.95) > 0.01, "the file must be one on which re-tuning differs"
    conf = proba.max(axis=1)
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    above = conf >= 0.95
    assert 0 < above.sum() < len(conf)
    coverage = above.mean()
    precision = (pred[above] == np.asarray(eval_labels)[above]).mean()

    res = CliRunner().invoke(
        model_app,
        ["eval", "--data", str(data), "--text-col", "内容", "--label-col", "类别",
         "--models-dir", str(tmp_path / "m")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "auto-dispatch at threshold 0.9500" in res.output
    assert f"coverage {coverage:.1%}, precision {precision:.4f}" in res.output
    assert f"{retuned:.4f}" not in res.output
    assert "macro-F1" in res.output and "交通运输" in res.output

    res = CliRunner().invoke(
        model_app,
        ["eval", "--data", str(data), "--text-col", "内容", "--label-col", "类别",
         "--models-dir", str(tmp_path / "m"), "--threshold", "0"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "auto-dispatch at threshold 0.0000 (given with --threshold): coverage 100.0%" in (
        res.output
    )
