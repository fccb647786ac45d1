"""Key use cases for the command line: list the keys with what each still protects, rotate to
a new key, re-encrypt every column under the active key. Each is on the audit trail (as the
command line's), refused or not; no key material ever goes into a record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cityloop.audit.changes import audited_change, record
from cityloop.security.keyring import columns, document, storage
from cityloop.security.keyring.columns import PLAINTEXT, UNREADABLE, Progress
from cityloop.services.context import CityLoop


@dataclass(frozen=True)
class KeyLine:
    id: str
    algorithm: str
    created_at: str
    active: bool
    values: int  # sealed values still under this key, all columns
    per_column: dict[str, int]


@dataclass(frozen=True)
class KeyReport:
    keys: list[KeyLine]
    other: dict[str, Counter[str]]  # per column: PLAINTEXT / unreadable / unknown key ids
    source: str  # where the rotated keys live


class ReencryptIncomplete(Exception):
    """Some values could not be opened; the others were rewritten."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        super().__init__(f"{len(progress.failures)} value(s) could not be opened")


def _source_text(ctx: CityLoop) -> str:
    kind, path = storage.ring_source(ctx.settings)
    return "CITYLOOP_FIELD_KEYS" if path is None else str(path)


def list_keys(ctx: CityLoop) -> KeyReport:
    ring = storage.keyring_for(ctx.settings)
    counts = columns.count(ctx.engine, ring)
    lines = []
    for k in ring.keys.values():
        per = {label: c[k.id] for label, c in counts.items() if c[k.id]}
        lines.append(
            KeyLine(k.id, k.algorithm, k.created_at, k is ring.active, sum(per.values()), per)
        )
    other = {
        label: Counter({kid: n for kid, n in c.items() if kid not in ring.keys})
        for label, c in counts.items()
    }
    report = KeyReport(lines, {k: v for k, v in other.items() if v}, _source_text(ctx))
    record(
        ctx,
        None,
        "keys.list",
        "field_keys",
        {"keys": {k.id: k.values for k in lines}, "active": ring.active.id},
    )
    return report


@dataclass(frozen=True)
class Rotation:
    key_id: str
    algorithm: str
    previous: str
    printed: str | None  # the new document, when the keyring is the environment's


def rotate(ctx: CityLoop, algorithm: str | None = None) -> Rotation:
    chosen = algorithm or ctx.settings.field_cipher
    with audited_change(ctx, None, "keys.rotate", "field_keys", {"algorithm": chosen}) as info:
        now = ctx.clock.now()
        kind, _path = storage.ring_source(ctx.settings)
        if kind == "env":
            previous = storage.keyring_for(ctx.settings).active.id
            doc, new = storage.rotated(ctx.settings, chosen, now)
            info.update(key_id=new.id, previous=previous, written="printed for CITYLOOP_FIELD_KEYS")
            return Rotation(new.id, new.algorithm, previous, document.dump(doc))
        new, previous = storage.rotate_file(ctx.settings, chosen, now)
        info.update(key_id=new.id, previous=previous, written=_source_text(ctx))
        return Rotation(new.id, new.algorithm, previous, None)


def reencrypt(
    ctx: CityLoop, batch: int = 500, tick: Callable[[str, int], None] = lambda _l, _n: None
) -> Progress:
    """Rewrite every sealed value under the active key; raises ReencryptIncomplete (after
    rewriting the rest) when some value does not open."""
    ring = storage.keyring_for(ctx.settings)
    with audited_change(
        ctx, None, "keys.reencrypt", "field_keys", {"key_id": ring.active.id, "batch": batch}
    ) as info:
        progress = columns.reencrypt(ctx.engine, ring, batch, tick)
        info["rewritten"] = progress.rewritten
        if progress.failures:
            info["failed"] = [f"{label}#{pk}:{why}" for label, pk, why in progress.failures[:20]]
            raise ReencryptIncomplete(progress)
    return progress


def leftover(report: KeyReport) -> dict[str, Any]:
    """What no key of the ring accounts for, per kind (for the listing's last line)."""
    total: Counter[str] = Counter()
    for c in report.other.values():
        for kid, n in c.items():
            total[kid if kid in (PLAINTEXT, UNREADABLE) else "unknown_key"] += n
    return dict(total)
