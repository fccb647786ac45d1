"""Sanity check on real appeals: a 600-row stratified sample, 3-fold CV (skipped without data)."""

from __future__ import annotations

import numpy as np

from cityloop.nlp.classifier import AppealClassifier
from cityloop.nlp.datasets import read_labeled
from cityloop.nlp.evaluation import cross_validate
from tests.conftest import shared_file


def test_sample_macro_f1_floor() -> None:
    from sklearn.model_selection import train_test_split

    path = shared_file("teddy2020/messages_labeled.csv")
    ds = read_labeled(path, text_col="body", title_col="title", label_col="label")
    idx, _ = train_test_split(
        np.arange(len(ds)), train_size=600, stratify=ds.labels, random_state=0
    )
    texts = [ds.texts[i] for i in idx]
    labels = [ds.labels[i] for i in idx]
    rep = cross_validate(AppealClassifier(calibration_folds=2), texts, labels, folds=3)
    assert rep.macro_f1 > 0.75
    assert rep.threshold is not None and 0.0 < rep.threshold <= 1.0
