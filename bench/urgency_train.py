"""Train the danger-words model (cityloop/domain/urgency/danger_words.py) on the TUNING parts
of bench/data/urgency_*.csv and write its weights to cityloop/domain/urgency/data/.

python bench/urgency_train.py [--check]

The threshold is chosen by 5-fold cross-validation on the tuning parts alone, together with
the cues as they run in the product (the model speaks only where no cue fired): the lowest
threshold whose out-of-fold false-alarm rate on the near-misses stays within MAX_FALSE_ALARM.
The unseen parts are never read here. `--check` retrains and fails when the shipped file
differs (the file is reproducible from the labelled data).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityloop.domain.urgency import read_text_rules  # noqa: E402
from cityloop.domain.urgency.danger_words import WEIGHTS, DangerWords, ngrams  # noqa: E402
from cityloop.domain.urgency.text import normalise  # noqa: E402

TUNING = ("tuning", "tuning2", "tuning3")
MAX_FALSE_ALARM = 0.02
C = 10.0


def load(part: str) -> list[dict[str, str]]:
    with (REPO / "bench" / "data" / f"urgency_{part}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fit(texts: list[str], labels: np.ndarray) -> DangerWords:
    vec = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, labels)
    coef = clf.coef_[0]
    weights = {
        g: (round(float(vec.idf_[i]), 6), round(float(coef[i]), 6))
        for g, i in vec.vocabulary_.items()
        if abs(coef[i]) > 1e-4
    }
    return DangerWords(weights, round(float(clf.intercept_[0]), 6), 1.0)


def choose_threshold(texts: list[str], labels: np.ndarray) -> float:
    rules = np.array([read_text_rules(t).urgent for t in texts])
    oof = np.zeros(len(texts))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        model = fit([texts[i] for i in train], labels[train])
        for i in test:
            found = DangerWords(model.weights, model.intercept, 0.0).danger(normalise(texts[i]))
            oof[i] = found[0] if found else 0.0
    calm = ~labels
    for th in np.arange(0.30, 0.96, 0.025):
        fired = rules | (oof > th)
        if (fired & calm).sum() / calm.sum() <= MAX_FALSE_ALARM:
            return round(float(th), 3)
    return 0.96


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = [r for part in TUNING for r in load(part)]
    texts = [normalise(r["text"]) for r in rows]
    labels = np.array([r["label"] != "normal" for r in rows])
    threshold = choose_threshold(texts, labels)
    model = fit(texts, labels)
    doc = {
        "about": "danger-words model: char 1-3-grams, TF-IDF (sublinear) + logistic regression; "
        "trained by bench/urgency_train.py on " + ", ".join(TUNING),
        "threshold": threshold,
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
    }
    text = json.dumps(doc, ensure_ascii=False, indent=0, separators=(",", ":")) + "\n"
    if args.check:
        same = WEIGHTS.exists() and WEIGHTS.read_text(encoding="utf-8") == text
        print("shipped weights are reproducible" if same else "shipped weights differ")
        sys.exit(0 if same else 1)
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS.write_text(text, encoding="utf-8")
    print(f"{len(rows)} tuning texts, {len(model.weights)} n-grams, threshold {threshold}")


if __name__ == "__main__":
    main()
