"""Versioned model store: ``<root>/v0001-<timestamp>/`` folders plus an ``ACTIVE`` pointer."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cityloop.nlp.classifier import AppealClassifier, auto_dispatch_threshold

ACTIVE_FILE = "ACTIVE"
METRICS_FILE = "metrics.json"
INFO_FILE = "version.json"
_VERSION_RE = re.compile(r"^v(\d{4,})-")
# A version saved without a tuned threshold (hand-made, or older) routes only sure cases.
UNTUNED_THRESHOLD = 0.9


def data_fingerprint(texts: Iterable[str], labels: Iterable[str]) -> str:
    """sha256 over normalized texts and labels, so the same data gives the same fingerprint
    whatever its file encoding, full-width forms or greetings."""
    from cityloop.nlp.normalize import normalize

    h = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        h.update(normalize(text).encode("utf-8"))
        h.update(b"\x1f")
        h.update(str(label).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


@dataclass(frozen=True)
class ModelVersion:
    version: str
    path: Path
    created_at: str
    fingerprint: str
    active: bool
    metrics: dict[str, Any]


class ModelRegistry:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(
            (p for p in self.root.iterdir() if p.is_dir() and _VERSION_RE.match(p.name)),
            key=lambda p: int(_VERSION_RE.match(p.name).group(1)),  # type: ignore[union-attr]
        )

    def _resolve(self, version: str) -> Path:
        """Accept the full folder name, or its 'v0003' / '3' prefix."""
        for p in self._dirs():
            num = int(_VERSION_RE.match(p.name).group(1))  # type: ignore[union-attr]
            if version in (p.name, p.name.split("-")[0]) or version == str(num):
                return p
        raise KeyError(f"no model version {version!r} in {self.root}")

    def active_version(self) -> str | None:
        marker = self.root / ACTIVE_FILE
        if not marker.is_file():
            return None
        name = marker.read_text("utf-8").strip()
        return name if name and (self.root / name).is_dir() else None

    def list(self) -> list[ModelVersion]:
        active = self.active_version()
        out = []
        for p in self._dirs():
            info = _read_json(p / INFO_FILE)
            out.append(
                ModelVersion(
                    version=p.name,
                    path=p,
                    created_at=str(info.get("created_at", "")),
                    fingerprint=str(info.get("fingerprint", "")),
                    active=p.name == active,
                    metrics=_read_json(p / METRICS_FILE),
                )
            )
        return out

    def register(self, model: AppealClassifier, metrics: dict[str, Any], fingerprint: str) -> str:
        """Save ``model`` as the next version (not activated) and return its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        dirs = self._dirs()
        last = int(_VERSION_RE.match(dirs[-1].name).group(1)) if dirs else 0  # type: ignore[union-attr]
        now = datetime.now(UTC)
        name = f"v{last + 1:04d}-{now.strftime('%Y%m%dT%H%M%SZ')}"
        tmp = self.root / f".{name}.tmp"
        model.save(tmp)
        created = now.isoformat(timespec="seconds")
        # metrics.json is self-contained (fingerprint, created_at) for dashboards reading it alone.
        _write_json(
            tmp / METRICS_FILE, {**metrics, "fingerprint": fingerprint, "created_at": created}
        )
        _write_json(
            tmp / INFO_FILE,
            {
                "version": name,
                "created_at": created,
                "fingerprint": fingerprint,
                "classes": [str(c) for c in model.classes_],
            },
        )
        tmp.rename(self.root / name)  # readers never see a half-written version
        return name

    def activate(self, version: str) -> str:
        name = self._resolve(version).name
        tmp = self.root / f".{ACTIVE_FILE}.tmp"
        tmp.write_text(name + "\n", "utf-8")
        os.replace(tmp, self.root / ACTIVE_FILE)  # atomic switch for running services
        return name

    def active(self) -> AppealClassifier | None:
        name = self.active_version()
        if name is None:
            return None
        return AppealClassifier.load(self.root / name)

    def metrics(self, version: str | None = None) -> dict[str, Any]:
        name = version or self.active_version()
        if name is None:
            return {}
        return _read_json(self._resolve(name) / METRICS_FILE)

    def threshold(self, version: str | None = None) -> float | None:
        """The auto-dispatch threshold stored with ``version`` (default: the active one) when it
        was trained, raised to the floor; None when there is no such model. Evaluation and
        routing both use this value: it is never re-tuned on the data being scored."""
        name = version or self.active_version()
        if name is None:
            return None
        stored = self.metrics(name).get("threshold")
        value = stored if isinstance(stored, int | float) else UNTUNED_THRESHOLD
        return auto_dispatch_threshold(float(value))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
