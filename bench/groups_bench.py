"""Micro-grid group messages: message-kind accuracy and topic gathering precision/recall on the
project's hand-written labelled sets, the tuning part and the unseen part separately.

    python bench/groups_bench.py [--errors]

Topic figures are pairwise over every message (end to end: a topic message read as another
kind is a miss): precision = pairs put together that belong together / pairs put together."""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter

from _common import machine  # type: ignore[import-not-found]

from cityloop.community.groups.labelled import Labelled, load
from cityloop.community.groups.reading import Kind, read
from cityloop.community.groups.topics import Said, gather, with_group_place


def evaluate(rows: list[Labelled], show_errors: bool) -> dict[str, float]:
    readings = {r.key: read(r.text, from_staff=r.from_staff) for r in rows}
    right = sum(1 for r in rows if readings[r.key].kind.value == r.kind)
    confusion = Counter((r.kind, readings[r.key].kind.value) for r in rows)
    said = [
        Said(
            r.key,
            r.estate,
            r.at,
            r.text,
            readings[r.key].objects,
            with_group_place(readings[r.key].places, r.building),
            r.sender,
        )
        for r in rows
        if readings[r.key].kind is Kind.APPEAL
    ]
    topics = gather(said)
    predicted = {k: i for i, t in enumerate(topics) for k in t.keys}
    gold = {r.key: r.topic for r in rows if r.topic}
    keys = [r.key for r in rows]
    tp = fp = fn = 0
    for a, b in itertools.combinations(keys, 2):
        same_pred = a in predicted and predicted.get(a) == predicted.get(b)
        same_gold = a in gold and gold.get(a) == gold.get(b)
        tp += same_pred and same_gold
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    if show_errors:
        for r in rows:
            got = readings[r.key]
            if got.kind.value != r.kind:
                print(f"  kind {r.kind:>8} → {got.kind.value:<8} [{got.why}] {r.text}")
        for t in topics:
            labels = {gold.get(k) for k in t.keys}
            if len(labels) > 1:
                print(f"  mixed topic {labels}: {t.texts}")
    return {
        "messages": len(rows),
        "accuracy": right / len(rows),
        "topic_precision": tp / (tp + fp) if tp + fp else 1.0,
        "topic_recall": tp / (tp + fn) if tp + fn else 1.0,
        "confusion": dict(confusion),  # type: ignore[dict-item]
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--errors", action="store_true", help="print what each part got wrong")
    args = p.parse_args()
    print(machine())
    for part in ("tuning", "unseen"):
        rows = load(part)
        start = time.process_time()
        r = evaluate(rows, args.errors)
        cpu = time.process_time() - start
        print(
            f"{part:>7}: {r['messages']} messages, kind accuracy {r['accuracy']:.3f}, "
            f"topics precision {r['topic_precision']:.3f} recall {r['topic_recall']:.3f} "
            f"({cpu * 1000 / r['messages']:.2f} ms CPU per message)"
        )


if __name__ == "__main__":
    main()
