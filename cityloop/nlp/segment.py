"""Chinese word segmentation with a run-time extensible user dictionary.

jieba's dictionary takes ~0.7 s to load, so the tokenizer is built on first use only, and its
logging is silenced so that CLI output and test logs stay clean.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from importlib import resources
from typing import Any

_PUNCT_ONLY_RE = re.compile(r"^[\W_]+$", re.UNICODE)


def load_stopwords() -> frozenset[str]:
    """Stopwords shipped in ``cityloop/nlp/data/stopwords.txt``."""
    text = resources.files("cityloop.nlp").joinpath("data/stopwords.txt").read_text("utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


class Segmenter:
    """jieba tokenizer with its own dictionary instance (user words never leak into the global
    ``jieba.dt`` other code may use)."""

    def __init__(self, stopwords: Iterable[str] | None = None) -> None:
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._pending: list[tuple[str, int | None, str | None]] = []
        self._user_words: dict[str, tuple[int | None, str | None]] = {}
        self._lexicon_cache: tuple[tuple[int, int, int], frozenset[str]] | None = None
        self._stopwords: frozenset[str] | None = (
            frozenset(stopwords) if stopwords is not None else None
        )

    @property
    def stopwords(self) -> frozenset[str]:
        if self._stopwords is None:
            self._stopwords = load_stopwords()
        return self._stopwords

    @property
    def user_words(self) -> list[str]:
        return list(self._user_words)

    def _ensure(self) -> Any:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba  # deferred: importing jieba is cheap, loading its dict is not

                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    for word, freq, tag in self._pending:
                        tok.add_word(word, freq, tag)
                    self._pending.clear()
                    self._tokenizer = tok
        return self._tokenizer

    def add_words(
        self, words: Iterable[str], freq: int | None = None, tag: str | None = None
    ) -> int:
        """Add gazetteer/taxonomy names so they stay one token. Returns the number of new words.

        Before first use the words are queued, so adding them costs nothing at start-up.
        """
        added = 0
        for raw in words:
            word = raw.strip() if raw else ""
            if not word or word in self._user_words:
                continue
            self._user_words[word] = (freq, tag)
            if self._tokenizer is None:
                self._pending.append((word, freq, tag))
            else:
                self._tokenizer.add_word(word, freq, tag)
            added += 1
        return added

    def lexicon(self, min_len: int = 2, max_len: int = 4) -> frozenset[str]:
        """Dictionary words (jieba's plus user words) of the given lengths."""
        key = (min_len, max_len, len(self._user_words))
        cached = self._lexicon_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        tok = self._ensure()
        words = frozenset(
            w for w, f in tok.FREQ.items() if f > 0 and min_len <= len(w) <= max_len
        ) | frozenset(w for w in self._user_words if min_len <= len(w) <= max_len)
        self._lexicon_cache = (key, words)
        return words

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        """All jieba tokens (no filtering), precise mode. ``hmm=False`` is faster and only
        loses jieba's guesses for out-of-dictionary words."""
        if not text:
            return []
        return list(self._ensure().cut(text, HMM=hmm))

    def tokenize(self, text: str, hmm: bool = True) -> list[str]:
        """Tokens without whitespace, punctuation-only tokens and stopwords."""
        stop = self.stopwords
        return [
            t
            for t in self.cut(text, hmm)
            if t.strip() and t not in stop and not _PUNCT_ONLY_RE.match(t)
        ]


_default: Segmenter | None = None
_default_lock = threading.Lock()


def get_segmenter() -> Segmenter:
    """The process-wide segmenter (created on first call)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Segmenter()
    return _default


def add_words(words: Iterable[str], freq: int | None = None, tag: str | None = None) -> int:
    """Extend the process-wide user dictionary (gazetteer, taxonomy names)."""
    return get_segmenter().add_words(words, freq, tag)


def tokenize(text: str, hmm: bool = True) -> list[str]:
    """Segment with the process-wide segmenter, dropping stopwords and punctuation."""
    return get_segmenter().tokenize(text, hmm)
