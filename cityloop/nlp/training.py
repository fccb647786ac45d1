"""Train, cross-validate, register and activate: shared by `cityloop model train` (from a
file or the city's own history) and the demo city."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from cityloop.nlp.classifier import AppealClassifier
from cityloop.nlp.evaluation import EvalReport, cross_validate, save_confusion, score
from cityloop.nlp.registry import ModelRegistry, data_fingerprint


def train_and_register(
    texts: Sequence[str],
    labels: Sequence[str],
    models_dir: Path,
    folds: int = 5,
    precision: float = 0.95,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> tuple[str, EvalReport, str | None]:
    """Returns (version, cross-validation report, confusion legend when no CJK font)."""
    model = AppealClassifier()
    report = cross_validate(
        model,
        list(texts),
        list(labels),
        folds=folds,
        precision_target=precision,
        progress=progress,
    )
    model.fit(list(texts), list(labels))
    registry = ModelRegistry(models_dir)
    version = registry.register(model, report.metrics(), data_fingerprint(texts, labels))
    folder = registry.root / version
    legend = save_confusion(report, folder / "confusion.png", folder / "confusion.json")
    registry.activate(version)
    return version, report, legend


def train_holdout_and_register(
    texts: Sequence[str],
    labels: Sequence[str],
    models_dir: Path,
    holdout: float = 0.2,
    precision: float = 0.95,
    seed: int = 0,
) -> tuple[str, EvalReport]:
    """A quicker first model: fit once on the rest, measure and tune the auto-dispatch
    threshold on a stratified hold-out (used where cross-validation would take too long)."""
    from sklearn.model_selection import train_test_split

    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    # Classes too small to split stay in training; the hold-out measures the rest.
    keep = [i for i, label in enumerate(labels) if counts[label] >= 2]
    n_classes = len({labels[i] for i in keep})
    # A stratified hold-out needs a place for every class; small histories go unstratified.
    stratify = [labels[i] for i in keep] if n_classes <= holdout * len(keep) else None
    train_idx, test_idx = train_test_split(
        keep, test_size=holdout, random_state=seed, stratify=stratify
    )
    train_idx = sorted(set(range(len(labels))) - set(test_idx))
    model = AppealClassifier().fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    test_texts = [texts[i] for i in test_idx]
    y_true = [labels[i] for i in test_idx]
    proba = model.predict_proba(test_texts)
    classes = [str(c) for c in model.classes_]
    y_pred = [classes[j] for j in proba.argmax(axis=1)]
    report = score(y_true, y_pred, proba, classes, precision_target=precision)
    report.extra["evaluation"] = f"stratified hold-out of {len(test_idx)}"
    registry = ModelRegistry(models_dir)
    version = registry.register(model, report.metrics(), data_fingerprint(texts, labels))
    registry.activate(version)
    return version, report
