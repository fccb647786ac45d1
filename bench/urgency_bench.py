"""Urgency detection on the hand-written labelled set (bench/data/urgency_*.csv).

python bench/urgency_bench.py [--errors]

Prints, for the tuning part and the unseen part separately: recall on urgent appeals (life
safety and urgent), recall of the life-safety flag, and the false-alarm rate on the
near-misses, with the machine. `--errors` lists the misses of the TUNING parts only: the unseen
parts are for measuring, and their errors are not read while the rules are tuned.

tuning2 was written as a second unseen part and measured once (recall 0.723 with the cues of
the day) before its errors were read and it joined the tuning; unseen3 was written after that,
and its errors have not been read. The danger-words model (bench/urgency_train.py) learns from
the tuning parts only.
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

from cityloop.domain.urgency import read_text  # noqa: E402

DATA = REPO / "bench" / "data"
PARTS = ("tuning", "tuning2", "tuning3", "unseen", "unseen3")


def load(part: str) -> list[dict[str, str]]:
    with (DATA / f"urgency_{part}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evaluate(rows: list[dict[str, str]]) -> dict[str, object]:
    urgent = [r for r in rows if r["label"] != "normal"]
    life = [r for r in rows if r["label"] == "life_safety"]
    calm = [r for r in rows if r["label"] == "normal"]
    misses, alarms, life_misses = [], [], []
    false_by_kind: Counter[str] = Counter()
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
        "alarms": alarms,
        "false_by_kind": false_by_kind,
        "per_text_us": per_text_us,
    }


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
    for part in (p for p in PARTS if p.startswith("tuning")) if args.errors else ():
        res = results[part]
        for r, read in res["misses"]:  # type: ignore[attr-defined]
            print(f"MISS  {r['id']} [{r['kind']}] {r['text']}  ({read.reason}: {read.evidence})")
        for r, read in res["alarms"]:  # type: ignore[attr-defined]
            print(f"ALARM {r['id']} [{r['kind']}] {r['text']}  ({read.reason}: {read.evidence})")


if __name__ == "__main__":
    main()
