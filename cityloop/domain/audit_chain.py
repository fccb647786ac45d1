"""Tamper evidence for the audit trail and the work-order timeline (安全审计, 数据完整性).

Two keyed digests protect each record:

- its *seal* (``mac``), computed by the writer from the record's content when it is written,
  so a row put in with plain SQL, or a row whose content was changed, no longer matches;
- its *link* (``chain_hash``), computed by the sealing step, which numbers the records of one
  log in a gap-free sequence and chains each to the one before, so a deleted or reordered
  record breaks the chain.

Both are HMACs under a key the database does not hold: someone with write access to the
tables but not the key cannot forge either. The algorithm (SHA-256 or SM3) travels with each
digest (``"sm3:…"``), so changing the setting starts new records with the new algorithm while
the old ones still verify.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ALGORITHMS = ("sha256", "sm3")


class Breach(StrEnum):
    CHANGED = "changed"  # the content no longer matches its seal
    INSERTED = "inserted"  # a record the platform did not write (no or a foreign seal)
    DELETED = "deleted"  # the chain skips a number or no longer links
    REORDERED = "reordered"


BREACH_LABELS: dict[Breach, str] = {
    Breach.CHANGED: "记录内容被修改",
    Breach.INSERTED: "记录非本系统写入（被插入）",
    Breach.DELETED: "记录被删除（链条断开）",
    Breach.REORDERED: "记录顺序被改动",
}


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes a seal covers: the fields sorted by name, JSON with sorted keys. The same
    record read back from SQLite or PostgreSQL gives the same bytes."""
    return json.dumps(
        {k: _canonical_value(v) for k, v in content.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()


def _digest(key: bytes, algorithm: str, payload: bytes) -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown audit hash algorithm {algorithm!r}")
    return f"{algorithm}:{hmac.new(key, payload, algorithm).hexdigest()}"


def _algorithm_of(digest: str | None) -> str | None:
    if not digest or ":" not in digest:
        return None
    algorithm = digest.split(":", 1)[0]
    return algorithm if algorithm in ALGORITHMS else None


def seal(key: bytes, algorithm: str, content: Mapping[str, Any]) -> str:
    return _digest(key, algorithm, b"seal\x00" + canonical(content))


def seal_matches(key: bytes, content: Mapping[str, Any], mac: str | None) -> bool:
    algorithm = _algorithm_of(mac)
    if algorithm is None or mac is None:
        return False
    return hmac.compare_digest(seal(key, algorithm, content), mac)


def link(
    key: bytes, algorithm: str, previous: str, seq: int, record_id: int, anchor: str, mac: str
) -> str:
    """The chain hash of record number `seq`: covers the previous link, the record's id, its
    `anchor` (fields the writer could not seal, e.g. the order id the database assigns) and
    its seal."""
    payload = "\x00".join(("link", previous, str(seq), str(record_id), anchor, mac))
    return _digest(key, algorithm, payload.encode())


GENESIS = "genesis"


@dataclass(frozen=True)
class ChainRecord:
    """One record as read back for verification."""

    id: int
    seq: int | None  # None: not sealed yet
    content: Mapping[str, Any]
    anchor: str
    mac: str | None
    chain_hash: str | None


@dataclass(frozen=True)
class Finding:
    record_id: int
    seq: int | None
    breach: Breach
    message: str


@dataclass
class Verification:
    checked: int = 0
    unsealed: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    finding: Finding | None = None

    @property
    def intact(self) -> bool:
        return self.finding is None


def verify(
    key: bytes,
    sealed: Iterable[ChainRecord],
    unsealed: Iterable[ChainRecord],
    start_seq: int = 0,
    start_hash: str = GENESIS,
) -> Verification:
    """Walk the sealed records in sequence order, then check the seals of the unsealed ones;
    stop at the first breach. `start_*` continue from an archived head (records purged)."""
    result = Verification(head_seq=start_seq, head_hash=start_hash)
    expected_seq, previous = start_seq + 1, start_hash
    for r in sealed:
        result.checked += 1
        if r.seq != expected_seq:
            # A missing number: the record that held it was deleted (or renumbered).
            result.finding = Finding(
                r.id,
                r.seq,
                Breach.DELETED,
                f"第 {expected_seq} 条记录缺失（在记录 #{r.id} 之前） "
                f"record no. {expected_seq} is missing, before record #{r.id}",
            )
            return result
        if not _sealed_by_us(key, r, result):
            return result
        algorithm = _algorithm_of(r.chain_hash) or "sha256"
        assert r.mac is not None  # _sealed_by_us checked it
        if r.chain_hash != link(key, algorithm, previous, r.seq, r.id, r.anchor, r.mac):
            result.finding = Finding(
                r.id,
                r.seq,
                Breach.DELETED if _algorithm_of(r.chain_hash) else Breach.INSERTED,
                f"记录 #{r.id} 与前一条记录的链接不符（前面的记录被删除或替换） "
                f"record #{r.id} does not link to the record before it",
            )
            return result
        previous, expected_seq = r.chain_hash, expected_seq + 1
        result.head_seq, result.head_hash = r.seq, r.chain_hash
    for r in unsealed:
        result.checked += 1
        result.unsealed += 1
        if not _sealed_by_us(key, r, result):
            return result
    return result


def _sealed_by_us(key: bytes, r: ChainRecord, result: Verification) -> bool:
    if _algorithm_of(r.mac) is None:
        result.finding = Finding(
            r.id,
            r.seq,
            Breach.INSERTED,
            f"记录 #{r.id} 没有本系统的签章（被插入） record #{r.id} was not written by the "
            "platform (inserted)",
        )
        return False
    if not seal_matches(key, r.content, r.mac):
        result.finding = Finding(
            r.id,
            r.seq,
            Breach.CHANGED,
            f"记录 #{r.id} 的内容与签章不符（被修改） record #{r.id} was changed",
        )
        return False
    return True
