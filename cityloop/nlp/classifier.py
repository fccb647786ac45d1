"""Appeal category classifier.

Model (chosen by stratified 5-fold CV on the Teddy 2020 appeals, see bench/nlp_bench.py):
char 1-3-gram TF-IDF + a word block (jieba-dictionary words of 2-4 chars matched as char
n-grams, see WORD_MODES), two linear models on the same features
(a class-weighted LinearSVC and an NB-SVM, i.e. one-vs-rest SVMs on log-count-ratio scaled
features), stacked by a multinomial logistic regression fitted on out-of-fold scores. The
stacker both combines the two models and calibrates the probabilities that routing thresholds.
Both base models are linear, so each collapses to one coefficient matrix and prediction is a
single sparse product.

Head block (head_chars=40): a second char 1-3-gram TF-IDF over the first 40 characters, i.e. the
title where there is one (compose_text puts it first) or the opening of the body. Titles are
short and topical; in the concatenated text they were drowned by long bodies. CV macro-F1
0.9072 -> 0.9099 for ~0.1 ms per text. Tried on top (5-fold CV, seed 42, macro-F1): head 25
chars 0.9094; head weight 1.5 0.9051; + Complement NB member (members=("svm", "nbsvm", "cnb"))
0.9100 (kept optional); balanced class weights in the stacker 0.9051. Semi-supervised, with the
2,773 unlabelled Teddy appeals not duplicating a labelled one (opt-in, off by default):
unlabeled_texts (vocabulary and idf also from them) 0.9068; + self_training_threshold=0.9
(confident pseudo-labels join every training fold) 0.9088 at twice the training time.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from cityloop.nlp.features import CharNgramTfidf
from cityloop.nlp.normalize import normalize
from cityloop.nlp.segment import add_words, get_segmenter, tokenize

# Word block: "lexicon" = jieba-dictionary words (2-4 chars) found as char n-grams, fully
# vectorised (CV macro-F1 within 0.01 of "jieba" at several times the speed); "jieba" =
# segmented words (slow: jieba is pure Python); "none" = char n-grams only.
WORD_MODES = ("lexicon", "jieba", "none")
LEXICON_NGRAMS = (2, 4)
# Base models of the stack: "svm" = class-weighted LinearSVC, "nbsvm" = NB-SVM, "cnb" =
# Complement Naive Bayes on the TF-IDF features (all linear: one coefficient matrix each).
MEMBERS = ("svm", "nbsvm", "cnb")
MODEL_FILE = "model.joblib"
META_FILE = "model.json"
FORMAT_VERSION = 1
# Auto-dispatch is never allowed below this confidence, whatever the tuning found (a model
# trained on uniform texts reaches 95 % precision on its own hold-out at any threshold).
MIN_THRESHOLD = 0.5


def _word_analyzer(text: str, max_chars: int | None = None) -> list[str]:
    # Module-level (not a lambda) so the fitted vectorizer pickles. No HMM: it is the slowest
    # part of prediction, and unknown words are covered by the char n-grams anyway.
    return tokenize(text[:max_chars] if max_chars else text, hmm=False)


class _LinearScores:
    """A fitted linear scorer: scores = X @ coef.T + intercept.

    Stored transposed and C-contiguous (features x classes, float32): sparse @ dense then needs
    no per-call copy of the coefficient matrix, which dominated single-text latency.
    """

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef_t = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.coef_t, dtype=np.float64) + self.intercept


class AppealClassifier(BaseEstimator, ClassifierMixin):  # type: ignore[misc]
    """Classify appeal texts into categories, with calibrated probabilities and explanations."""

    def __init__(
        self,
        char_ngram_range: tuple[int, int] = (1, 3),
        char_min_df: int = 2,
        char_max_chars: int | None = None,
        word_features: str = "lexicon",
        word_min_df: int = 2,
        word_max_chars: int | None = None,
        svm_c: float = 0.5,
        nb_c: float = 0.3,
        nb_alpha: float = 1.0,
        class_weight: str | None = "balanced",
        calibration_folds: int = 3,
        user_words: Sequence[str] = (),
        random_state: int = 0,
        head_chars: int = 40,
        head_ngram_range: tuple[int, int] = (1, 3),
        head_weight: float = 1.0,
        members: Sequence[str] = ("svm", "nbsvm"),
        cnb_alpha: float = 0.3,
        stacker_c: float = 1.0,
        stacker_class_weight: str | None = None,
        unlabeled_texts: Sequence[str] = (),
        self_training_threshold: float | None = None,
    ) -> None:
        self.char_ngram_range = char_ngram_range
        self.char_min_df = char_min_df
        self.char_max_chars = char_max_chars
        self.word_features = word_features
        self.word_min_df = word_min_df
        self.word_max_chars = word_max_chars
        self.svm_c = svm_c
        self.nb_c = nb_c
        self.nb_alpha = nb_alpha
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.user_words = user_words
        self.random_state = random_state
        self.head_chars = head_chars
        self.head_ngram_range = head_ngram_range
        self.head_weight = head_weight
        self.members = members
        self.cnb_alpha = cnb_alpha
        self.stacker_c = stacker_c
        self.stacker_class_weight = stacker_class_weight
        self.unlabeled_texts = unlabeled_texts
        self.self_training_threshold = self_training_threshold

    # -- features ---------------------------------------------------------------------------
    def _prepare(self, texts: Iterable[str]) -> list[str]:
        if self.user_words:
            add_words(self.user_words)  # idempotent; needed again after load()
        return [normalize(t) for t in texts]

    def _fit_features(self, norm: list[str]) -> sp.csr_matrix:
        if self.word_features not in WORD_MODES:
            raise ValueError(
                f"word_features must be one of {WORD_MODES}, not {self.word_features!r}"
            )
        self._feature_names: np.ndarray | None = None
        self.char_vectorizer_ = CharNgramTfidf(
            ngram_range=self.char_ngram_range,
            min_df=self.char_min_df,
            max_chars=self.char_max_chars,
        )
        blocks = [self.char_vectorizer_.fit_transform(norm)]
        # Tiny corpora (tests, a new city's first weeks) may have no word in 2 documents.
        min_df = self.word_min_df if len(norm) >= 50 else 1
        self.word_vectorizer_: CharNgramTfidf | TfidfVectorizer | None = None
        if self.word_features == "lexicon":
            lex = CharNgramTfidf(
                ngram_range=LEXICON_NGRAMS,
                min_df=min_df,
                max_chars=self.word_max_chars,
                lexicon=get_segmenter().lexicon(*LEXICON_NGRAMS),
            )
            blocks.append(lex.fit_transform(norm))
            lex.lexicon = None  # the vocabulary is fixed now; don't pickle 300k dictionary words
            self.word_vectorizer_ = lex
        elif self.word_features == "jieba":
            self.word_vectorizer_ = TfidfVectorizer(
                analyzer=partial(_word_analyzer, max_chars=self.word_max_chars),
                sublinear_tf=True,
                min_df=min_df,
            )
            blocks.append(self.word_vectorizer_.fit_transform(norm))
        self.head_vectorizer_: CharNgramTfidf | None = None
        if self.head_chars > 0:
            self.head_vectorizer_ = CharNgramTfidf(
                ngram_range=self.head_ngram_range, min_df=min_df, max_chars=self.head_chars
            )
            blocks.append(self._weigh_head(self.head_vectorizer_.fit_transform(norm)))
        return sp.hstack(blocks, format="csr")

    def _features(self, norm: list[str]) -> sp.csr_matrix:
        blocks = [self.char_vectorizer_.transform(norm)]
        if self.word_vectorizer_ is not None:
            blocks.append(self.word_vectorizer_.transform(norm))
        head = getattr(self, "head_vectorizer_", None)  # absent in models saved before it
        if head is not None:
            blocks.append(self._weigh_head(head.transform(norm)))
        return sp.hstack(blocks, format="csr")

    def _weigh_head(self, x: sp.csr_matrix) -> sp.csr_matrix:
        if self.head_weight != 1.0:  # in place: no copy of the block on the default path
            x.data *= self.head_weight
        return x

    def feature_names(self) -> np.ndarray:
        """Column names of the feature matrix (char n-grams, then words); cached."""
        cached: np.ndarray | None = getattr(self, "_feature_names", None)
        if cached is None:
            names = [self.char_vectorizer_.get_feature_names_out()]
            if self.word_vectorizer_ is not None:
                names.append(self.word_vectorizer_.get_feature_names_out())
            head = getattr(self, "head_vectorizer_", None)
            if head is not None:
                names.append(head.get_feature_names_out())
            cached = np.concatenate(names)
            self._feature_names = cached
        return cached

    # -- base models ------------------------------------------------------------------------
    def _members(self) -> list[str]:
        members = list(self.members)
        bad = [m for m in members if m not in MEMBERS]
        if bad or not members:
            raise ValueError(f"members must be a non-empty subset of {MEMBERS}, not {members!r}")
        return members

    def _fit_base(self, x: sp.csr_matrix, y: np.ndarray) -> list[_LinearScores]:
        return [getattr(self, f"_fit_{m}")(x, y) for m in self._members()]

    def _fit_svm(self, x: sp.csr_matrix, y: np.ndarray) -> _LinearScores:
        svm = LinearSVC(
            C=self.svm_c, class_weight=self.class_weight, random_state=self.random_state
        )
        svm.fit(x, y)
        coef, icpt = svm.coef_, svm.intercept_
        if len(self.classes_) == 2:  # binary LinearSVC has one row; mirror it for both classes
            coef, icpt = np.vstack([-coef, coef]), np.concatenate([-icpt, icpt])
        return _LinearScores(coef, icpt)

    def _fit_cnb(self, x: sp.csr_matrix, y: np.ndarray) -> _LinearScores:
        # Complement NB's score is x·log-weights (no prior term for several classes); rows are
        # centred per feature so the stacker sees the class contrast, not the text length.
        cnb = ComplementNB(alpha=self.cnb_alpha).fit(x, y)
        coef = np.asarray(cnb.feature_log_prob_)
        return _LinearScores(coef - coef.mean(axis=0), np.zeros(len(self.classes_)))

    def _fit_nbsvm(self, x: sp.csr_matrix, y: np.ndarray) -> _LinearScores:
        k = len(self.classes_)
        # NB-SVM (Wang & Manning 2012): per class, scale binary features by the log-count
        # ratio r and fit a one-vs-rest SVM; score = (x*r)·w + b = x·(r*w) + b.
        xb = x.copy()
        xb.data[:] = 1.0
        nb_coef = np.zeros((k, x.shape[1]))
        nb_icpt = np.zeros(k)
        for c in range(k):
            pos = y == c
            p = self.nb_alpha + np.asarray(xb[pos].sum(axis=0)).ravel()
            q = self.nb_alpha + np.asarray(xb[~pos].sum(axis=0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            svc = LinearSVC(C=self.nb_c, random_state=self.random_state)
            svc.fit(x.multiply(r).tocsr(), pos)
            nb_coef[c] = r * svc.coef_[0]
            nb_icpt[c] = svc.intercept_[0]
        return _LinearScores(nb_coef, nb_icpt)

    @staticmethod
    def _stack(models: list[_LinearScores], x: sp.csr_matrix) -> np.ndarray:
        # float32 features match the float32 coefficients: a float64 product would upcast
        # (copy) the whole coefficient matrix on every call, ~1.5 ms per single text.
        x32 = x.astype(np.float32)
        return np.hstack([m.scores(x32) for m in models])

    # -- public API -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> AppealClassifier:
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        labels_arr = np.asarray([str(v) for v in labels])
        self.classes_, y = np.unique(labels_arr, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes to train a classifier")
        norm = self._prepare(texts)
        unlabeled = self._prepare(self.unlabeled_texts) if len(self.unlabeled_texts) else []
        # Unlabelled texts (same platform, no labels) widen the vocabulary and the idf.
        x_all = self._fit_features(norm + unlabeled)
        x, xu = x_all[: len(norm)], x_all[len(norm) :]
        self._fit_stack(x, y)
        self.n_pseudo_ = 0
        if self.self_training_threshold is not None and xu.shape[0]:
            # Self-training: unlabelled texts the model is confident about join the training
            # set with their predicted label (never as held-out rows of the stacker's CV).
            proba = np.asarray(self.calibrator_.predict_proba(self._stack(self.base_models_, xu)))
            keep = proba.max(axis=1) >= self.self_training_threshold
            self.n_pseudo_ = int(keep.sum())
            if self.n_pseudo_:
                self._fit_stack(x, y, xu[keep], proba[keep].argmax(axis=1))
        self.n_features_ = x.shape[1]
        self.n_train_ = len(y)
        return self

    def _fit_stack(
        self,
        x: sp.csr_matrix,
        y: np.ndarray,
        x_extra: sp.csr_matrix | None = None,
        y_extra: np.ndarray | None = None,
    ) -> None:
        """Fit the base models and the stacker; extra (pseudo-labelled) rows only ever train."""

        def with_extra(xs: sp.csr_matrix, ys: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
            if x_extra is None or y_extra is None:
                return xs, ys
            return sp.vstack([xs, x_extra], format="csr"), np.concatenate([ys, y_extra])

        # Out-of-fold base scores train the stacker, so its probabilities reflect unseen texts.
        # (The vectorizers saw all rows; idf leakage is negligible next to the model fit.)
        n_folds = min(self.calibration_folds, int(np.bincount(y).min()))
        oof: np.ndarray | None = None
        if n_folds >= 2:
            oof = np.zeros((len(y), len(self._members()) * len(self.classes_)))
            skf = StratifiedKFold(n_folds, shuffle=True, random_state=self.random_state)
            for tr, te in skf.split(np.zeros(len(y)), y):
                oof[te] = self._stack(self._fit_base(*with_extra(x[tr], y[tr])), x[te])
        self.base_models_ = self._fit_base(*with_extra(x, y))
        if oof is None:
            oof = self._stack(self.base_models_, x)  # too few rows per class for CV
        self.calibrator_ = LogisticRegression(
            C=self.stacker_c, class_weight=self.stacker_class_weight, max_iter=2000
        )
        self.calibrator_.fit(oof, y)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        return self._stack(self.base_models_, self._features(self._prepare(texts)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.classes_)))
        proba = self.calibrator_.predict_proba(self.decision_function(texts))
        return np.asarray(proba)

    def predict(self, texts: Sequence[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [str(self.classes_[i]) for i in proba.argmax(axis=1)]

    def top_k(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        proba = self.predict_proba([text])[0]
        order = np.argsort(-proba)[:k]
        return [(str(self.classes_[i]), float(proba[i])) for i in order]

    def explain(self, text: str, label: str | None = None, k: int = 8) -> list[tuple[str, float]]:
        """Terms (char n-grams / words) that pushed ``text`` towards ``label`` (default: the
        predicted label), with their contribution to that class's stacked score, largest first.
        """
        x = self._features(self._prepare([text]))
        if label is None:
            proba = self.calibrator_.predict_proba(self._stack(self.base_models_, x))[0]
            c = int(np.argmax(proba))
        else:
            matches = np.flatnonzero(self.classes_ == label)
            if len(matches) == 0:
                raise ValueError(f"unknown label {label!r}; known: {list(self.classes_)}")
            c = int(matches[0])
        n_classes = len(self.classes_)
        w = np.asarray(self.calibrator_.coef_)
        if n_classes == 2:  # binary LR logit z is softmax over (-z/2, z/2)
            w = np.vstack([-w / 2, w / 2])
        # Logit of class c relative to the class mean (softmax is shift-invariant), traced back
        # through the stacker to each base model's per-feature coefficients: exact, not a proxy.
        w_rel = w[c] - w.mean(axis=0)
        row = x.getrow(0)
        contrib = np.zeros(len(row.indices))
        for i, m in enumerate(self.base_models_):
            block = w_rel[i * n_classes : (i + 1) * n_classes]
            contrib += row.data * (m.coef_t[row.indices] @ block)
        names = self.feature_names()
        # The same term can be both a char n-gram and a word feature: report it once.
        merged: dict[str, float] = {}
        for j, value in zip(row.indices, contrib, strict=True):
            term = str(names[j]).strip()
            if term:
                merged[term] = merged.get(term, 0.0) + float(value)
        ranked = sorted(merged.items(), key=lambda kv: -kv[1])
        return [(term, value) for term, value in ranked if value > 0][:k]

    # -- persistence ------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_feature_names", None)  # a cache, rebuilt on demand
        return state

    def save(self, path: str | Path) -> Path:
        """Write ``model.joblib`` and ``model.json`` (metadata) into directory ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, folder / MODEL_FILE, compress=3)
        meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "class": "AppealClassifier",
            "classes": [str(c) for c in self.classes_],
            "params": {
                k: len(v) if k == "unlabeled_texts" else _jsonable(v)  # a count, not the texts
                for k, v in self.get_params().items()
            },
            "n_pseudo_labeled": int(getattr(self, "n_pseudo_", 0)),
            "n_features": int(self.n_features_),
            "n_train": int(self.n_train_),
            "sklearn_version": sklearn.__version__,
            "python_version": platform.python_version(),
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> AppealClassifier:
        folder = Path(path)
        model = joblib.load(folder / MODEL_FILE if folder.is_dir() else folder)
        if not isinstance(model, cls):
            raise TypeError(f"{folder} does not hold an {cls.__name__}")
        if model.user_words:
            add_words(model.user_words)
        return model


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def auto_dispatch_threshold(tuned: float) -> float:
    """The threshold a model is stored and routed with: the tuned one, never below the floor."""
    return max(float(tuned), MIN_THRESHOLD)


def threshold_for_precision(
    proba: np.ndarray,
    y_true: Sequence[str] | np.ndarray,
    target: float = 0.95,
    classes: Sequence[str] | np.ndarray | None = None,
) -> float:
    """Lowest confidence threshold t such that predictions with max-probability >= t are at
    least ``target`` precise, i.e. the threshold that maximises auto-dispatch coverage.

    ``y_true`` holds labels (``classes`` maps proba columns to labels) or column indices.
    Returns 1.0 when no non-empty set of predictions reaches the target (dispatch nothing
    automatically). Computed on out-of-fold probabilities, so it carries over to unseen texts.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or len(proba) == 0:
        return 1.0
    y = np.asarray(y_true)
    if classes is not None:
        index = {str(c): i for i, c in enumerate(classes)}
        y_idx = np.array([index.get(str(v), -1) for v in y])
    else:
        y_idx = y.astype(np.int64)
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_idx
    order = np.argsort(-conf, kind="stable")
    conf_sorted, correct_sorted = conf[order], correct[order]
    precision = np.cumsum(correct_sorted) / np.arange(1, len(order) + 1)
    # Only cut between distinct confidence values: a threshold admits all ties at once.
    last_of_tie = np.append(conf_sorted[1:] != conf_sorted[:-1], True)
    ok = np.flatnonzero(last_of_tie & (precision >= target))
    if len(ok) == 0:
        return 1.0
    return float(conf_sorted[ok[-1]])
