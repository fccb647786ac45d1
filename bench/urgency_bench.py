"""Urgency detection on the hand-written labelled set (bench/data/urgency_*.csv).

python bench/urgency_bench.py [--errors]

Prints, for each tuning part and each unseen part separately: recall on urgent appeals (life
safety and urgent), recall of the life-safety flag, and the false-alarm rate on the
near-misses, with the machine and µs per text. `--errors` lists the misses, the life-safety
appeals flagged only urgent (LIFE) and the false alarms of the TUNING parts only.

The process that keeps the unseen figures honest:
1. An unseen part is written in one go, after the rules and the model it will measure are
   committed, and is committed itself before the bench is first run on it.
2. It is measured once; its figures are reported as they come. Its errors are never listed,
   and no rule is changed in the same session after reading its figures.
3. To improve, an unseen part that has been measured may be declared a tuning part (renamed
   urgency_tuningN.csv, added to TUNING in urgency_train.py); only then are its
   errors read. A fresh unseen part is then written by rule 1. Improvements aim at the
   families the errors show (cues, mood, more tuning phrasings), never at single rows.
4. The danger-words model (bench/urgency_train.py) learns from the tuning parts only; its
   thresholds come from cross-validation on them.

History: tuning2 (written as a second unseen part, measured once at recall 0.723), unseen3
(measured once at 0.883, life safety 0.733; now urgency_tuning4.csv) and unseen4 (measured once
at 0.908, false alarms 0.074; now urgency_tuning8.csv) joined the tuning this way; tuning5-7
and tuning9 were written as tuning, each measured once before it was tuned on (see
docs/EVALUATION.md §7). `unseen` (written before any rule) and `unseen5` are unseen.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing
sys.path.insert(0, str(REPO / "bench"))

from _common import machine  # noqa: E402
from urgency_train import TUNING  # noqa: E402

from cityloop.domain.urgency import read_text  # noqa: E402

DATA = REPO / "bench" / "data"
TEDDY = REPO.parent / "shared" / "data" / "teddy2020" / "messages_labeled.csv"
PARTS = (*TUNING, "unseen", "unseen5")  # the training reads only TUNING


def load(part: str) -> list[dict[str, str]]:
    with (DATA / f"urgency_{part}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evaluate(rows: list[dict[str, str]]) -> dict[str, object]:
    urgent = [r for r in rows if r["label"] != "normal"]
    life = [r for r in rows if r["label"] == "life_safety"]
    calm = [r for r in rows if r["label"] == "normal"]
    misses, alarms, life_misses = [], [], []
    false_by_kind: Counter[str] = Counter()
    read_text("预热")  # load the shipped weights outside the timing
    started = time.perf_counter()
    for r in rows:
        read = read_text(r["text"])
        fired = read.urgent
        if r["label"] != "normal" and not fired:
            misses.append((r, read))
        if r["label"] == "life_safety" and not read.life_safety:
            life_misses.append((r, read))
        if r["label"] == "normal" and fired:
            alarms.append((r, read))
            false_by_kind[r["kind"]] += 1
    per_text_us = (time.perf_counter() - started) / max(1, len(rows)) * 1e6
    return {
        "n": len(rows),
        "urgent": len(urgent),
        "normal": len(calm),
        "recall": 1 - len(misses) / max(1, len(urgent)),
        "life_recall": 1 - len(life_misses) / max(1, len(life)),
        "false_alarm": len(alarms) / max(1, len(calm)),
        "misses": misses,
        "life_misses": life_misses,
        "alarms": alarms,
        "false_by_kind": false_by_kind,
        "per_text_us": per_text_us,
    }


def real_letters() -> None:
    """How often real citizens' letters are flagged: the shared teddy2020 messages (a city
    message board, unlabelled for urgency and nearly all routine). Not a false-alarm rate,
    but a rise here is one: uncapped clause windows once flagged a third of these letters."""
    if not TEDDY.exists():
        print(f"real letters: skipped ({TEDDY} is absent)")
        return
    with TEDDY.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    life = urgent = model = 0
    for r in rows:
        read = read_text(f"{r.get('title') or ''}。{r.get('body') or ''}"[:2000])
        life += read.life_safety
        urgent += read.urgent and not read.life_safety
        model += read.urgent and read.reason == "danger_words"
    n = len(rows)
    print(
        f"real letters (teddy2020, {n}): flagged life safety {life / n:.1%}, urgent "
        f"{urgent / n:.1%}; raised by the model {model / n:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list the tuning part's errors")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("detector: the cues (cityloop/domain/urgency), then the danger-words model")
    print(
        f"{'part':8} {'n':>4} {'urgent':>6} {'normal':>6} {'recall':>7} {'life':>6} "
        f"{'false alarms':>13} {'µs/text':>8}"
    )
    results = {}
    for part in PARTS:
        res = results[part] = evaluate(load(part))
        print(
            f"{part:8} {res['n']:>4} {res['urgent']:>6} {res['normal']:>6} "
            f"{res['recall']:>7.3f} {res['life_recall']:>6.3f} "
            f"{res['false_alarm']:>7.3f} ({len(res['alarms'])}/{res['normal']}) "  # type: ignore[arg-type]
            f"{res['per_text_us']:>7.0f}"
        )
    print(
        "recall = urgent appeals detected / urgent appeals (life_safety + urgent labels); "
        "life = life-safety appeals flagged life-safety; "
        "false alarms = near-misses judged urgent / near-misses"
    )
    # Counts only (no rows): which reader raised the false alarms, unseen parts included.
    for part, res in results.items():
        alarms = res["alarms"]
        if alarms:
            n = len(alarms)  # type: ignore[arg-type]
            by_model = sum(read.reason == "danger_words" for _, read in alarms)  # type: ignore[attr-defined]
            print(f"{part}: false alarms by the cues {n - by_model}, by the model {by_model}")
    real_letters()
    for part in (p for p in PARTS if p.startswith("tuning")) if args.errors else ():
        res = results[part]
        for r, read in res["misses"]:  # type: ignore[attr-defined]
            print(f"MISS  {r['id']} [{r['kind']}] {r['text']}  ({read.reason}: {read.evidence})")
        for r, read in res["life_misses"]:  # type: ignore[attr-defined]
            if read.urgent:  # an outright miss is listed above
                print(
                    f"LIFE  {r['id']} [{r['kind']}] {r['text']}  ({read.reason}: {read.evidence})"
                )
        for r, read in res["alarms"]:  # type: ignore[attr-defined]
            print(f"ALARM {r['id']} [{r['kind']}] {r['text']}  ({read.reason}: {read.evidence})")


if __name__ == "__main__":
    main()
