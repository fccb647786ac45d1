"""Every encrypted column, how many values each key still protects there, and rewriting them
under the active key (重新加密) in batches.

A rewrite is idempotent and resumable: each batch commits on its own and picks only values not
yet under the active key, so a run that stops part-way is finished by running it again. A value
changed meanwhile by a use case is left alone (it was sealed with the active key by then).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Column, Engine, Table, func, select, update

import cityloop.community.store as community
from cityloop.security.keyring.ring import CipherError, Keyring
from cityloop.store.security_models import UserSecurityRow

PLAINTEXT = "plaintext"  # a value not yet encrypted (TOTP secrets before migration y0001)
UNREADABLE = "unreadable"  # neither a known format nor an accepted plaintext
_BASE32 = re.compile(r"^[A-Z2-7]+=*$")


@dataclass(frozen=True)
class TextColumn:
    """A text column holding one sealed value per row."""

    table: Table
    column: str
    label: str  # for messages: residents.id_number …
    plaintext: re.Pattern[str] | None = None  # legacy plaintext that may be sealed as found

    @property
    def pk(self) -> Column[Any]:
        return list(self.table.primary_key.columns)[0]

    @property
    def col(self) -> Column[Any]:
        return self.table.c[self.column]


@dataclass(frozen=True)
class JsonListColumn:
    """A JSON list of objects, each with a sealed value under `key` (dispute parties' phones)."""

    table: Table
    column: str
    key: str
    label: str

    @property
    def pk(self) -> Column[Any]:
        return list(self.table.primary_key.columns)[0]


Encrypted = TextColumn | JsonListColumn


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


COLUMNS: tuple[Encrypted, ...] = (
    TextColumn(_t(community.ResidentRow), "id_number_enc", "residents.id_number"),
    TextColumn(_t(community.ResidentRow), "phone_enc", "residents.phone"),
    TextColumn(_t(community.ShopRow), "contact_phone_enc", "shops.contact_phone"),
    JsonListColumn(_t(community.DisputeRow), "parties", "phone_enc", "disputes.parties.phone"),
    TextColumn(_t(UserSecurityRow), "totp_secret", "user_security.totp_secret", _BASE32),
    TextColumn(
        _t(UserSecurityRow), "totp_pending_secret", "user_security.totp_pending_secret", _BASE32
    ),
)


def _kind(ring: Keyring, value: str, plaintext: re.Pattern[str] | None) -> str:
    """The key id a value is under, PLAINTEXT or UNREADABLE."""
    try:
        return ring.key_of(value)
    except CipherError:
        return PLAINTEXT if plaintext is not None and plaintext.match(value) else UNREADABLE


def count(engine: Engine, ring: Keyring) -> dict[str, Counter[str]]:
    """Per column label: how many values each key id (or PLAINTEXT / UNREADABLE) holds."""
    out: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for c in COLUMNS:
            counts: Counter[str] = Counter()
            if isinstance(c, TextColumn):
                total = conn.execute(select(func.count()).where(c.col.isnot(None))).scalar() or 0
                counted = 0
                for kid in ring.keys:
                    pattern = "v1:%" if kid == ring.legacy.id else None
                    n = (
                        conn.execute(select(func.count()).where(c.col.like(f"v2:{kid}:%"))).scalar()
                        or 0
                    )
                    if pattern:
                        n += (
                            conn.execute(select(func.count()).where(c.col.like(pattern))).scalar()
                            or 0
                        )
                    if n:
                        counts[kid] = n
                    counted += n
                if total > counted:  # the rest: read one by one to tell plaintext from garbage
                    known = [c.col.like(f"v2:{k}:%") for k in ring.keys] + [c.col.like("v1:%")]
                    rest = select(c.col).where(c.col.isnot(None))
                    for cond in known:
                        rest = rest.where(~cond)
                    for (value,) in conn.execute(rest):
                        counts[_kind(ring, value, c.plaintext)] += 1
            else:
                for (parties,) in conn.execute(select(c.table.c[c.column])):
                    for p in parties or []:
                        value = p.get(c.key) if isinstance(p, dict) else None
                        if value:
                            counts[_kind(ring, value, None)] += 1
            out[c.label] = counts
    return out


@dataclass
class Progress:
    rewritten: int = 0
    failures: list[tuple[str, Any, str]] = field(default_factory=list)  # label, row id, reason


def _open(ring: Keyring, value: str, c: TextColumn) -> str | None:
    if c.plaintext is not None and c.plaintext.match(value):
        return value
    return ring.decrypt(value, c.label)


def _text(
    engine: Engine,
    ring: Keyring,
    c: TextColumn,
    batch: int,
    progress: Progress,
    tick: Callable[[str, int], None],
) -> None:
    last: Any = None
    prefix = f"v2:{ring.active.id}:%"
    while True:
        with engine.begin() as conn:
            q = select(c.pk, c.col).where(c.col.isnot(None), c.col.notlike(prefix))
            if last is not None:
                q = q.where(c.pk > last)
            rows = conn.execute(q.order_by(c.pk).limit(batch)).all()
            if not rows:
                return
            done = 0
            for pk, value in rows:
                try:
                    plain = _open(ring, value, c)
                except CipherError as exc:
                    progress.failures.append((c.label, pk, exc.code))
                    continue
                result = conn.execute(
                    update(c.table)
                    .where(c.pk == pk, c.col == value)
                    .values({c.column: ring.encrypt(plain)})
                )
                done += result.rowcount
            last = rows[-1][0]
        progress.rewritten += done
        tick(c.label, done)


def _json(
    engine: Engine,
    ring: Keyring,
    c: JsonListColumn,
    batch: int,
    progress: Progress,
    tick: Callable[[str, int], None],
) -> None:
    last: Any = None
    col = c.table.c[c.column]
    while True:
        with engine.begin() as conn:
            q = select(c.pk, col).order_by(c.pk).limit(batch).with_for_update()
            if last is not None:
                q = q.where(c.pk > last)
            rows = conn.execute(q).all()
            if not rows:
                return
            done = 0
            for pk, items in rows:
                changed, new = 0, []
                for p in items or []:
                    value = p.get(c.key) if isinstance(p, dict) else None
                    if value and not ring.is_current(value):
                        try:
                            p = {**p, c.key: ring.encrypt(ring.decrypt(value, c.label))}
                            changed += 1
                        except CipherError as exc:
                            progress.failures.append((c.label, pk, exc.code))
                    new.append(p)
                if changed:
                    conn.execute(update(c.table).where(c.pk == pk).values({c.column: new}))
                    done += changed
            last = rows[-1][0]
        progress.rewritten += done
        tick(c.label, done)


def reencrypt(
    engine: Engine,
    ring: Keyring,
    batch: int = 500,
    tick: Callable[[str, int], None] = lambda _label, _n: None,
) -> Progress:
    """Rewrite every value not under the active key; failures name the column and row."""
    progress = Progress()
    for c in COLUMNS:
        if isinstance(c, TextColumn):
            _text(engine, ring, c, batch, progress, tick)
        else:
            _json(engine, ring, c, batch, progress, tick)
    return progress
