"""Benchmark of the appeal classifier on the Teddy 2020 labelled messages.

python bench/nlp_bench.py [--data PATH] [--folds 5] [--holdback 0.2] [--param NAME=VALUE ...]

A stratified share of the file (--holdback, fixed seed) is put aside before anything else: the
cross-validation (what model choices are tuned on) and the auto-dispatch threshold only ever see
the rest. The model trained on the rest is then scored once on the held-back part, at the
threshold stored in training, and that is reported separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from cityloop.nlp.classifier import AppealClassifier  # noqa: E402
from cityloop.nlp.datasets import read_labeled  # noqa: E402
from cityloop.nlp.evaluation import (  # noqa: E402
    cross_validate,
    render_confusion,
    render_table,
    score,
)

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "teddy2020" / "messages_labeled.csv"


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "n/a"
    return (
        f"platform: {platform.platform()}  python {platform.python_version()}\n"
        f"cpu: {cpu}  cores: {os.cpu_count()}  ram: {ram}  load avg (1/5/15 min): {load}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--holdback", type=float, default=0.2, help="share never tuned on; 0: none")
    ap.add_argument("--holdback-seed", type=int, default=2020)
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        help="AppealClassifier parameter, e.g. char_ngram_range=1,4 or svm_c=0.3",
    )
    args = ap.parse_args()

    print("== machine")
    print(machine())
    ds = read_labeled(args.data, text_col="body", title_col="title", label_col="label")
    print(f"\n== data: {args.data.resolve()}")
    print(f"{len(ds)} rows, {len(set(ds.labels))} classes, skipped empty: {ds.skipped_empty}")
    texts, labels, held_texts, held_labels = _hold_back(
        ds.texts, ds.labels, args.holdback, args.holdback_seed
    )
    if held_texts:
        print(
            f"held back (never tuned on): {len(held_texts)} rows, seed {args.holdback_seed}; "
            f"tuning part: {len(texts)} rows"
        )

    model = AppealClassifier(**dict(_param(p) for p in args.param))
    print(f"\n== model: {model!r}")
    print(f"\n== stratified {args.folds}-fold cross-validation (out-of-fold) on the tuning part")
    t0 = time.perf_counter()
    rep = cross_validate(model, texts, labels, folds=args.folds, precision_target=0.95)
    print(f"(CV took {time.perf_counter() - t0:.1f} s)")
    print(render_table(rep))
    print("\nconfusion matrix (rows true, columns predicted):")
    print(render_confusion(rep))

    print("\n== training on the tuning part")
    # CPU time beside wall time: the bench machine is shared, and CPU time is what the
    # model costs (BLAS is single-threaded for these shapes, so the two agree on an idle box).
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(texts, labels)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"training time: {train_s:.1f} s wall, {train_cpu:.1f} s CPU on {len(texts)} texts "
        f"({model.n_features_} features)"
    )
    if held_texts:
        proba = model.predict_proba(held_texts)
        classes = [str(c) for c in model.classes_]
        pred = [classes[i] for i in proba.argmax(axis=1)]
        held = score(held_labels, pred, proba, classes, threshold=rep.threshold)
        print(f"\n== held-back part ({len(held_texts)} rows), threshold from the tuning CV")
        print(render_table(held))

    print("\n== prediction speed")
    runs, cpu_runs = [], []
    for _ in range(4):  # first pass is cold (page faults on the vocab tables, allocator)
        t0, c0 = time.perf_counter(), time.process_time()
        model.predict_proba(ds.texts)
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
    warm, warm_cpu = statistics.median(runs[1:]), statistics.median(cpu_runs[1:])
    print(
        f"batched, all {len(ds)} texts: {len(ds) / warm:,.0f} texts/s warm (median of 3, "
        f"{warm:.2f} s), {len(ds) / runs[0]:,.0f} texts/s cold first pass; "
        f"{len(ds) / warm_cpu:,.0f} texts/s by CPU time"
    )
    rng = np.random.default_rng(0)
    picks = rng.choice(len(ds), size=500, replace=True)
    lat, lat_cpu = [], []
    for i in picks:
        t0, c0 = time.perf_counter(), time.process_time()
        model.predict_proba([ds.texts[i]])
        lat.append((time.perf_counter() - t0) * 1000)
        lat_cpu.append((time.process_time() - c0) * 1000)
    q = np.percentile(lat, [50, 99])
    qc = np.percentile(lat_cpu, [50, 99])
    print(
        f"single text (500 calls): p50 {q[0]:.2f} ms, p99 {q[1]:.2f} ms, "
        f"mean {statistics.fmean(lat):.2f} ms wall; CPU p50 {qc[0]:.2f} ms, p99 {qc[1]:.2f} ms"
    )

    print("\n== auto-dispatch (threshold tuned on the tuning part's out-of-fold probabilities)")
    acc = "n/a" if rep.accuracy_above is None else f"{rep.accuracy_above:.4f}"
    tuned = rep.extra["threshold_tuned"]
    print(f"threshold for 95% precision: {rep.threshold:.4f} (tuned {tuned:.4f})")
    print(f"coverage (share auto-dispatched, out-of-fold): {rep.coverage:.1%}")
    print(f"precision of the auto-dispatched (out-of-fold): {acc}")
    sample = ds.texts[0]
    print(f"\n== example: {sample[:40]}…")
    print("top-3:", [(lab, round(p, 3)) for lab, p in model.top_k(sample, 3)])
    print("explain:", [(t, round(w, 3)) for t, w in model.explain(sample, k=8)])


def _hold_back(
    texts: list[str], labels: list[str], share: float, seed: int
) -> tuple[list[str], list[str], list[str], list[str]]:
    if share <= 0:
        return texts, labels, [], []
    from sklearn.model_selection import train_test_split

    tune, held = train_test_split(
        range(len(texts)), test_size=share, random_state=seed, stratify=labels
    )
    return (
        [texts[i] for i in tune],
        [labels[i] for i in tune],
        [texts[i] for i in held],
        [labels[i] for i in held],
    )


def _param(spec: str) -> tuple[str, object]:
    name, _, raw = spec.partition("=")
    if "," in raw:  # a tuple, e.g. an n-gram range
        return name.strip(), tuple(_scalar(v) for v in raw.split(",") if v)
    return name.strip(), _scalar(raw)


def _scalar(raw: str) -> object:
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return None if raw == "None" else raw


if __name__ == "__main__":
    main()
