"""Cross-validated evaluation, report tables and confusion-matrix output."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.metrics import precision_recall_fscore_support as prfs
from sklearn.model_selection import StratifiedKFold

SEED = 42


@dataclass
class EvalReport:
    classes: list[str]
    y_true: list[str]
    y_pred: list[str]
    proba: np.ndarray | None
    accuracy: float
    macro_f1: float
    per_class: list[dict[str, Any]]  # label, precision, recall, f1, support
    confusion: list[list[int]]  # rows: true class, columns: predicted class
    threshold: float | None = None  # auto-dispatch threshold the figures below are taken at
    coverage: float | None = None  # share of texts with confidence >= threshold
    accuracy_above: float | None = None  # accuracy on those texts = auto-dispatch precision
    extra: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """JSON-ready metrics (what the registry stores as metrics.json)."""
        out: dict[str, Any] = {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class": self.per_class,
            "confusion_matrix": self.confusion,
            "classes": self.classes,
            "n_samples": len(self.y_true),
            "threshold": self.threshold,
            "coverage": self.coverage,
            "accuracy_above_threshold": self.accuracy_above,
        }
        out.update(self.extra)
        return out


def score(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    proba: np.ndarray | None = None,
    classes: Sequence[str] | None = None,
    precision_target: float | None = 0.95,
    threshold: float | None = None,
) -> EvalReport:
    """Metrics for given predictions; with ``proba`` also the auto-dispatch figures.

    With ``threshold`` (the one stored with a model) coverage and precision are measured at it
    and nothing is tuned: this is how a model is evaluated on a file it was not trained on.
    Without it the threshold is tuned on these labels for ``precision_target`` and raised to
    MIN_THRESHOLD: only for training data (out-of-fold or hold-out probabilities), where the
    tuned value is what gets stored with the model.
    """
    from cityloop.nlp.classifier import auto_dispatch_threshold, threshold_for_precision

    labels = list(classes) if classes is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = prfs(y_true, y_pred, labels=labels, zero_division=0)
    per_class = [
        {
            "label": lab,
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, lab in enumerate(labels)
    ]
    rep = EvalReport(
        classes=[str(c) for c in labels],
        y_true=list(y_true),
        y_pred=list(y_pred),
        proba=proba,
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_f1=float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    )
    if proba is None or not len(y_true):
        return rep
    if threshold is not None:
        rep.threshold = float(threshold)
        rep.extra["threshold_source"] = "stored"
    elif precision_target is not None:
        tuned = threshold_for_precision(proba, y_true, precision_target, classes=labels)
        rep.threshold = auto_dispatch_threshold(tuned)
        rep.extra["threshold_tuned"] = tuned
        rep.extra["threshold_source"] = "tuned"
        rep.extra["precision_target"] = precision_target
    else:
        return rep
    above = np.asarray(proba).max(axis=1) >= rep.threshold
    rep.coverage = float(above.mean())
    if above.any():
        yt = np.asarray(y_true)[above]
        yp = np.asarray(y_pred)[above]
        rep.accuracy_above = float((yt == yp).mean())
    return rep


def cross_validate(
    model: Any,
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = SEED,
    precision_target: float | None = 0.95,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> EvalReport:
    """Stratified k-fold CV of a (cloneable) model with fit/predict_proba/classes_.

    Returns out-of-fold predictions and probabilities (columns in sorted label order), so the
    threshold derived here reflects texts the model has not seen.
    """
    y = np.asarray([str(v) for v in labels])
    classes = np.unique(y)
    min_count = int(np.bincount(np.unique(y, return_inverse=True)[1]).min())
    n_folds = max(2, min(folds, min_count))
    skf = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    splits = list(skf.split(np.zeros(len(y)), y))
    proba = np.zeros((len(y), len(classes)))
    txt = list(texts)
    it: Iterable[Any] = progress(splits) if progress else splits
    for tr, te in it:
        m = clone(model)
        m.fit([txt[i] for i in tr], y[tr])
        fold_p = m.predict_proba([txt[i] for i in te])
        cols = np.searchsorted(classes, m.classes_)  # fold may be missing no class, but align
        proba[np.ix_(te, cols)] = fold_p
    pred = classes[proba.argmax(axis=1)]
    rep = score(list(y), [str(p) for p in pred], proba, list(classes), precision_target)
    rep.extra["folds"] = n_folds
    rep.extra["seed"] = seed
    return rep


# -- rendering ---------------------------------------------------------------------------------
def _width(s: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(s))
    return fill + s if right else s + fill


def render_table(rep: EvalReport) -> str:
    """Per-class precision/recall/F1 table with aligned Chinese labels, plus totals."""
    head = ["class", "precision", "recall", "f1", "support"]
    rows = [
        [
            c["label"],
            f"{c['precision']:.3f}",
            f"{c['recall']:.3f}",
            f"{c['f1']:.3f}",
            str(c["support"]),
        ]
        for c in rep.per_class
    ]
    n = sum(c["support"] for c in rep.per_class)
    rows.append(
        [
            "macro avg",
            *(
                f"{np.mean([c[k] for c in rep.per_class]):.3f}"
                for k in ("precision", "recall", "f1")
            ),
            str(n),
        ]
    )
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = []
    for k, r in enumerate([head, *rows]):
        if k == len(rows):  # separator before the macro row
            lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
        cells = [_pad(r[0], widths[0])] + [
            _pad(v, w, right=True) for v, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
    lines.append(f"accuracy {rep.accuracy:.4f}   macro-F1 {rep.macro_f1:.4f}   n={n}")
    if rep.threshold is not None:
        prec = "n/a" if rep.accuracy_above is None else f"{rep.accuracy_above:.4f}"
        source = rep.extra.get("threshold_source")
        if source == "stored":
            how = "stored with the model in training, not re-tuned on these texts"
        elif source == "given":
            how = "given with --threshold"
        else:
            target = rep.extra.get("precision_target", 0.95)
            tuned = rep.extra.get("threshold_tuned", rep.threshold)
            how = f"tuned for precision {target:.0%}: {tuned:.4f}"
            if tuned < rep.threshold:
                how += f", raised to the floor {rep.threshold:.2f}"
        lines.append(
            f"auto-dispatch at threshold {rep.threshold:.4f} ({how}): "
            f"coverage {rep.coverage:.1%}, precision {prec}"
        )
    return "\n".join(lines)


def render_confusion(rep: EvalReport) -> str:
    """Confusion matrix as text; columns by class index to keep it narrow."""
    k = len(rep.classes)
    w = max(4, *(len(str(v)) for row in rep.confusion for v in row)) + 1
    lines = ["true \\ pred " + "".join(f"{i:>{w}}" for i in range(k))]
    for i, row in enumerate(rep.confusion):
        lines.append(
            f"{i:>2} " + _pad(rep.classes[i], 9)[:9].ljust(9) + "".join(f"{v:>{w}}" for v in row)
        )
    return "\n".join(lines)


def find_cjk_font() -> str | None:
    """Path of an installed font covering Chinese, via fontconfig; None when there is none."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]
    return paths[0] if paths else None


def save_confusion(rep: EvalReport, png_path: str | Path, json_path: str | Path) -> str | None:
    """Write the confusion matrix as PNG and JSON. Returns the legend text when the PNG had to
    label axes by class index (no CJK font installed), else None."""
    import matplotlib

    matplotlib.use("Agg")  # headless; never open a window from the CLI
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    Path(json_path).write_text(
        json.dumps(
            {"classes": rep.classes, "matrix": rep.confusion, "rows": "true", "cols": "pred"},
            ensure_ascii=False,
            indent=2,
        ),
        "utf-8",
    )
    font = find_cjk_font()
    legend: str | None = None
    if font:
        font_manager.fontManager.addfont(font)
        prop = font_manager.FontProperties(fname=font)
        names = rep.classes
    else:
        prop = None
        names = [str(i) for i in range(len(rep.classes))]
        legend = "\n".join(f"{i}: {c}" for i, c in enumerate(rep.classes))
    cm = np.asarray(rep.confusion)
    k = len(names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * k, 0.8 + 0.7 * k))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontproperties=prop)
    ax.set_yticks(range(k), names, fontproperties=prop)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    vmax = cm.max() if cm.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if cm[i, j] > vmax / 2 else "black",
            )
    ax.set_title(f"acc {rep.accuracy:.3f}  macro-F1 {rep.macro_f1:.3f}")
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return legend
