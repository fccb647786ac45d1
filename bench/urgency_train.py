"""Train the danger-words model (cityloop/domain/urgency/danger_words.py) on the TUNING parts
of bench/data/urgency_*.csv and write its weights to cityloop/domain/urgency/data/.

python bench/urgency_train.py [--check]

Two heads: urgent (urgent or life safety vs calm) and life safety (life safety vs the rest).
Their thresholds are chosen together by 5-fold cross-validation on the tuning parts alone,
with the cues as they run in the product: the pair with the most out-of-fold recall (urgent
plus life safety) whose false alarms on the near-misses stay within MAX_FALSE_ALARM and whose
urgent-only appeals it raises to life safety stay within MAX_OVER_TRIAGE.
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

from cityloop.domain.urgency import mood, read_text_rules  # noqa: E402
from cityloop.domain.urgency.danger_words import WEIGHTS, DangerWords, ngrams  # noqa: E402
from cityloop.domain.urgency.text import normalise  # noqa: E402

TUNING = (
    "tuning",
    "tuning2",
    "tuning3",
    "tuning4",
    "tuning5",
    "tuning6",
    "tuning7",
    "tuning8",
    "tuning9",
)
MAX_FALSE_ALARM = 0.02  # near-misses raised (to urgent or life safety), out of fold
MAX_OVER_TRIAGE = 0.10  # urgent-only appeals the model raises to life safety, out of fold
C = 10.0
GRID = np.round(np.arange(0.30, 0.96, 0.025), 3)


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


def _score(model: DangerWords, text: str) -> float:
    """The best sentence's probability as the product reads it (threshold 0: any sentence
    not set aside), so that a threshold applied later is the product's."""
    found = DangerWords(model.weights, model.intercept, 0.0).danger(text)
    return found[0] if found else 0.0


def choose_thresholds(texts: list[str], labels: list[str]) -> tuple[float, float]:
    """(urgent, life) thresholds: out-of-fold over the tuning parts with the cues as they run
    in the product, the pair with the most urgent plus life-safety recall whose false alarms
    and over-triage stay within bounds (ties: the higher thresholds)."""
    urgent = np.array([lab != "normal" for lab in labels])
    life = np.array([lab == "life_safety" for lab in labels])
    reads = [read_text_rules(t) for t in texts]
    rule_urgent = np.array([r.urgent for r in reads])
    rule_life = np.array([r.life_safety for r in reads])
    gated = np.array(
        [mood.text_handled(t) or mood.text_consumer(t) or mood.text_drill(t) for t in texts]
    )
    oof_u, oof_l = np.zeros(len(texts)), np.zeros(len(texts))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        head_u = fit([texts[i] for i in train], urgent[train])
        head_l = fit([texts[i] for i in train], life[train])
        for i in test:
            if not gated[i]:
                oof_u[i], oof_l[i] = _score(head_u, texts[i]), _score(head_l, texts[i])
    calm, only_urgent = ~urgent, urgent & ~life
    best: tuple[float, float, float, str] | None = None
    for tu in GRID:
        for tl in GRID:
            said_life = rule_life | (oof_l > tl)
            fired = rule_urgent | (oof_u > tu) | said_life
            if (fired & calm).sum() / calm.sum() > MAX_FALSE_ALARM:
                continue
            raised = (oof_l > tl) & ~rule_life & only_urgent  # the model's doing, not the cues'
            if raised.sum() / max(1, only_urgent.sum()) > MAX_OVER_TRIAGE:
                continue
            recall = (fired & urgent).sum() / urgent.sum()
            life_recall = (said_life & life).sum() / life.sum()
            if best is None or recall + life_recall >= best[0]:
                note = (
                    f"out of fold: recall {recall:.3f}, life {life_recall:.3f}, false alarms "
                    f"{(fired & calm).sum() / calm.sum():.3f}, over-triage "
                    f"{raised.sum() / max(1, only_urgent.sum()):.3f}"
                )
                best = (recall + life_recall, float(tu), float(tl), note)
    if best is None:
        return 0.96, 0.96
    print(best[3])
    return best[1], best[2]


def _head(model: DangerWords, threshold: float) -> dict[str, object]:
    return {
        "threshold": threshold,
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = [r for part in TUNING for r in load(part)]
    texts = [normalise(r["text"]) for r in rows]
    labels = [r["label"] for r in rows]
    tu, tl = choose_thresholds(texts, labels)
    head_u = fit(texts, np.array([lab != "normal" for lab in labels]))
    head_l = fit(texts, np.array([lab == "life_safety" for lab in labels]))
    doc = {
        "about": "danger-words model: char 1-3-grams, TF-IDF (sublinear) + logistic regression; "
        "urgent head (top level) and life-safety head ('life'); trained by "
        "bench/urgency_train.py on " + ", ".join(TUNING),
        **_head(head_u, tu),
        "life": _head(head_l, tl),
    }
    text = json.dumps(doc, ensure_ascii=False, indent=0, separators=(",", ":")) + "\n"
    if args.check:
        same = WEIGHTS.exists() and WEIGHTS.read_text(encoding="utf-8") == text
        print("shipped weights are reproducible" if same else "shipped weights differ")
        sys.exit(0 if same else 1)
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS.write_text(text, encoding="utf-8")
    print(
        f"{len(rows)} tuning texts; urgent head {len(head_u.weights)} n-grams, threshold {tu}; "
        f"life-safety head {len(head_l.weights)} n-grams, threshold {tl}"
    )


if __name__ == "__main__":
    main()
