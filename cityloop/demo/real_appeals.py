"""Hand-written appeals for the demo's taxonomy, as citizens really phrase them to 12345.

``data/real_appeals.csv`` (类别, 内容): 206 appeals, at least three for each of the demo's 68 leaf
categories, written by hand — colloquial, short and long, with and without places, none from the
demo's templates. They are never used for training: they tell how the demo model does on
phrasings it has not seen, which the templated hold-out cannot.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from cityloop.nlp.evaluation import EvalReport, score

REAL_APPEALS = Path(__file__).with_name("data") / "real_appeals.csv"


def load_real_appeals(path: Path = REAL_APPEALS) -> tuple[list[str], list[str]]:
    """(texts, category paths) of the hand-written set."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["内容"] for r in rows], [r["类别"] for r in rows]


def check_on_real_appeals(model: Any, threshold: float, path: Path = REAL_APPEALS) -> EvalReport:
    """Accuracy, macro-F1 and auto-dispatch coverage/precision of ``model`` on the hand-written
    set, at the ``threshold`` stored in training (never tuned on these labels)."""
    texts, labels = load_real_appeals(path)
    proba = model.predict_proba(texts)
    known = [str(c) for c in model.classes_]
    pred = [known[i] for i in proba.argmax(axis=1)]
    classes = sorted(set(known) | set(labels))
    rep = score(labels, pred, proba, classes, threshold=threshold)
    rep.extra["evaluation"] = f"{len(texts)} hand-written appeals never trained on"
    return rep
