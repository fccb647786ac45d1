from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cityloop.nlp.classifier import AppealClassifier
from cityloop.nlp.registry import ModelRegistry, data_fingerprint
from tests.nlp.synthetic import make_corpus


@pytest.fixture(scope="module")
def model() -> AppealClassifier:
    texts, labels = make_corpus(per_class=6)
    return AppealClassifier(word_features="none").fit(texts, labels)


def test_empty_registry(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert reg.list() == []
    assert reg.active() is None
    assert reg.active_version() is None


def test_register_list_activate(model: AppealClassifier, tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    v1 = reg.register(model, {"macro_f1": 0.5, "n_samples": 24}, "abc")
    v2 = reg.register(model, {"macro_f1": 0.6, "n_samples": 24}, "def")
    assert v1.startswith("v0001-") and v2.startswith("v0002-")
    assert reg.active() is None  # registering does not activate
    assert reg.activate("v0001") == v1
    listed = reg.list()
    assert [v.version for v in listed] == [v1, v2]
    assert [v.active for v in listed] == [True, False]
    assert listed[1].metrics["macro_f1"] == 0.6
    assert listed[0].fingerprint == "abc" == listed[0].metrics["fingerprint"]
    assert listed[0].metrics["created_at"] == listed[0].created_at
    assert reg.activate("2") == v2
    loaded = reg.active()
    assert loaded is not None
    texts = ["医院挂号难", "公交车太少"]
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    with pytest.raises(KeyError):
        reg.activate("v0099")


def test_fingerprint_uses_normalized_text() -> None:
    a = data_fingerprint(["醫院 挂号"], ["卫生计生"])
    b = data_fingerprint(["医院  挂号"], ["卫生计生"])
    c = data_fingerprint(["医院 挂号"], ["交通运输"])
    assert a == b != c
    assert len(a) == 64
