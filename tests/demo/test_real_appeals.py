"""The hand-written appeals: a realistic set for the demo's taxonomy, never trained on, and the
check that scores the demo model on them at its stored threshold."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import numpy as np

from cityloop.demo._templates import TEMPLATES
from cityloop.demo.appeals import TZ, generate_appeals
from cityloop.demo.geography import build_regions
from cityloop.demo.organisation import build_gazetteer, build_taxonomy
from cityloop.demo.real_appeals import check_on_real_appeals, load_real_appeals
from cityloop.nlp.classifier import AppealClassifier


def _history(count: int) -> list[tuple[str, str]]:
    regions = build_regions(7)
    appeals = generate_appeals(
        regions,
        build_gazetteer(regions, seed=7),
        build_taxonomy(),
        now=datetime(2025, 6, 18, 10, 30, tzinfo=TZ),
        count=count,
        seed=7,
    )
    return [(a.content, a.category_path) for a in appeals]


def test_the_set_covers_the_taxonomy_with_varied_texts() -> None:
    texts, labels = load_real_appeals()
    assert len(texts) >= 150 and len(set(texts)) == len(texts)
    leaves = {f"{t['l1']}/{t['l2']}/{t['l3']}" for t in build_taxonomy()}
    assert set(labels) <= leaves
    per = Counter(labels)
    assert set(per) == {t.category for t in TEMPLATES}  # every problem the demo generates
    assert min(per.values()) >= 3
    lengths = sorted(len(t) for t in texts)
    assert lengths[0] < 15 and lengths[-1] > 80  # one-liners and long stories
    assert sum("，" not in t for t in texts) >= 10  # short, unpunctuated calls


def test_the_set_is_not_the_templates_nor_the_history() -> None:
    texts, _ = load_real_appeals()
    # A template body with its slots cut out leaves fragments; none opens a hand-written text.
    fragments = {
        part
        for tpl in TEMPLATES
        for body in tpl.bodies
        for part in re.split(r"\{\w+\}|^@\S+ ", body)
        if len(part) >= 12
    }
    assert not [t for t in texts if any(f in t for f in fragments)]
    history = {content for content, _ in _history(400)}
    assert not history & set(texts)


def test_the_check_measures_at_the_stored_threshold() -> None:
    history = _history(500)
    model = AppealClassifier().fit([c for c, _ in history], [p for _, p in history])
    rep = check_on_real_appeals(model, threshold=0.5)
    texts, labels = load_real_appeals()
    proba = model.predict_proba(texts)
    above = proba.max(axis=1) >= 0.5
    right = np.asarray(model.classes_)[proba.argmax(axis=1)] == np.asarray(labels)
    assert rep.threshold == 0.5 and rep.extra["threshold_source"] == "stored"
    assert len(rep.y_true) == len(texts)
    assert rep.coverage == above.mean()
    assert rep.accuracy_above == (right[above].mean() if above.any() else None)
    assert rep.accuracy == right.mean()
