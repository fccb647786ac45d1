"""The demo city's first model, measured honestly.

python bench/demo_model_bench.py [--appeals 3200] [--seed 7] [--table] [--models-dir DIR]

Trains the model exactly as `cityloop demo` does (its generated history's closed orders, leaf
categories, a stratified 20 % hold-out that tunes the auto-dispatch threshold), then scores it
twice: on that templated hold-out, and on cityloop/demo/data/real_appeals.csv — 206
hand-written appeals, never trained on — at the threshold stored in training (not re-tuned).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from bench._common import machine  # noqa: E402
from cityloop.demo.appeals import generate_appeals  # noqa: E402
from cityloop.demo.geography import build_regions  # noqa: E402
from cityloop.demo.load import build_gazetteer  # noqa: E402
from cityloop.demo.organisation import build_taxonomy  # noqa: E402
from cityloop.demo.real_appeals import check_on_real_appeals  # noqa: E402
from cityloop.nlp.evaluation import render_table  # noqa: E402
from cityloop.nlp.registry import ModelRegistry  # noqa: E402
from cityloop.nlp.training import train_holdout_and_register  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--appeals", type=int, default=3200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--table", action="store_true", help="print the per-class tables")
    ap.add_argument(
        "--models-dir", type=Path, help="keep the model there (for `cityloop model eval`)"
    )
    args = ap.parse_args()
    print(machine())
    regions = build_regions(args.seed)
    history = generate_appeals(
        regions,
        build_gazetteer(regions, args.seed),
        build_taxonomy(),
        datetime(2026, 6, 1, 12),
        count=args.appeals,
        seed=args.seed,
    )
    closed = [a for a in history if a.outcome.stage == "closed"]
    texts = [f"{a.title}。{a.content}" if a.title else a.content for a in closed]
    labels = [a.category_path for a in closed]
    print(f"{len(history)} generated appeals, {len(closed)} closed: the training examples")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.models_dir or Path(tmp)
        t0 = time.perf_counter()
        version, holdout = train_holdout_and_register(texts, labels, where)
        took = time.perf_counter() - t0
        registry = ModelRegistry(where)
        model, threshold = registry.active(), registry.threshold()
        assert model is not None and threshold is not None
    if args.models_dir:
        print(f"model {version} kept in {args.models_dir}")
    tuned = holdout.extra["threshold_tuned"]
    print(
        f"trained in {took:.1f} s; stored threshold {threshold:.2f} "
        f"(tuned on the hold-out {tuned:.4f}, floor 0.50)"
    )
    real = check_on_real_appeals(model, threshold)
    for name, rep in (("templated hold-out", holdout), ("hand-written appeals", real)):
        prec = "n/a" if rep.accuracy_above is None else f"{rep.accuracy_above:.3f}"
        print(
            f"{name:<22} n={len(rep.y_true):<4} accuracy {rep.accuracy:.3f}  "
            f"macro-F1 {rep.macro_f1:.3f}  auto-dispatch at {rep.threshold:.2f}: "
            f"coverage {rep.coverage:.1%}, precision {prec}"
        )
    conf = real.proba.max(axis=1) if real.proba is not None else []
    if len(conf):
        qs = [float(v) for v in sorted(conf)]
        n = len(qs)
        cuts = (("min", 0), ("p25", n // 4), ("median", n // 2), ("p75", 3 * n // 4), ("max", -1))
        print("hand-written confidence: " + "  ".join(f"{k} {qs[i]:.2f}" for k, i in cuts))
    if args.table:
        print("\n-- hand-written appeals --")
        print(render_table(real))


if __name__ == "__main__":
    main()
