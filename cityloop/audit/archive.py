"""Retention of the audit log (网络安全法 art. 21: at least six months): signed JSON Lines
exports, and the archive that writes records past retention to such a file before purging them.

A file's first line names what it holds; each further line is one record with its seal and
chain link, so the archived part of the chain still verifies offline (`verify-archive`). The
signature beside it (`FILE.sig`) is an HMAC-SHA256 of the file under a key derived from the
audit key. Only the audit log is purged: the work-order timeline lives as long as its orders.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, update

from cityloop.audit.chain import STATE, TABLES, _lock_state, seal_log
from cityloop.audit.guard import allow_purge
from cityloop.audit.records import AUDIT, chain_record
from cityloop.domain.audit_chain import GENESIS, verify
from cityloop.settings import Settings
from cityloop.store.repositories import add_audit

FORMAT = "cityloop-audit-jsonl/1"


def _signing_key(settings: Settings) -> bytes:
    return hmac.new(settings.audit_key_bytes(), b"cityloop audit archive", hashlib.sha256).digest()


def _sign(settings: Settings, data: bytes) -> str:
    return "hmac-sha256:" + hmac.new(_signing_key(settings), data, hashlib.sha256).hexdigest()


def _line(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, default=_iso) + "\n").encode()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _write_signed(settings: Settings, file: Path, header: dict[str, Any], rows: list[Any]) -> None:
    data = _line({"format": FORMAT, **header}) + b"".join(_line(dict(r)) for r in rows)
    file.parent.mkdir(parents=True, exist_ok=True)
    for path, content in ((file, data), (file.with_name(file.name + ".sig"), None)):
        body = content if content is not None else (_sign(settings, data) + "\n").encode()
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def _rows(conn: Connection, query: Any) -> list[Any]:
    return list(conn.execute(query).mappings())


def export_records(
    ctx: Any, file: Path, start: datetime | None = None, end: datetime | None = None
) -> int:
    """Write the audit log's records in [start, end) to a signed file; the number written.
    The export itself is audited."""
    table: Table = TABLES[AUDIT.table]
    query = select(table).order_by(table.c.id)
    if start is not None:
        query = query.where(table.c.at >= start)
    if end is not None:
        query = query.where(table.c.at < end)
    with ctx.engine.connect() as conn:
        rows = _rows(conn, query)
    header = {
        "kind": "export",
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "records": len(rows),
        "created_at": ctx.clock.now().isoformat(),
    }
    _write_signed(ctx.settings, file, header, rows)
    with ctx.uow() as uow:
        add_audit(uow.session, None, "audit.export", str(file)[-100:], header)
        uow.commit()
    return len(rows)


@dataclass(frozen=True)
class Archived:
    records: int
    file: Path | None


def archive_dir(settings: Settings) -> Path:
    return settings.audit_archive_dir or settings.data_dir / "audit_archive"


def archive_and_purge(ctx: Any, now: datetime | None = None) -> Archived:
    """Archive, then purge, the chain's oldest records written before the retention period.
    A plain function: the operations scheduler may call it daily."""
    settings: Settings = ctx.settings
    cutoff = (now or ctx.clock.now()) - timedelta(days=max(180, settings.audit_retention_days))
    while seal_log(ctx.engine, AUDIT):  # only sealed records are archived
        pass
    table: Table = TABLES[AUDIT.table]
    with ctx.engine.begin() as conn:
        state = _lock_state(conn, AUDIT.table)
        # The chain's oldest records up to the first one still inside retention: a prefix of
        # the chain, so what stays keeps verifying from the archived head.
        keep_from = conn.execute(
            select(func.min(table.c.chain_seq)).where(
                table.c.chain_seq.is_not(None), table.c.at >= cutoff
            )
        ).scalar_one()
        query = select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq)
        if keep_from is not None:
            query = query.where(table.c.chain_seq < keep_from)
        rows = _rows(conn, query)
        if not rows:
            return Archived(0, None)
        first, last = rows[0], rows[-1]
        check = verify(
            settings.audit_key_bytes(),
            (chain_record(AUDIT, r) for r in rows),
            (),
            int(state.purged_seq),
            str(state.purged_hash),
        )
        if not check.intact:  # never purge evidence of tampering
            assert check.finding is not None
            raise RuntimeError(f"audit chain broken, archive refused: {check.finding.message}")
        file = archive_dir(settings) / (
            f"audit-{first['chain_seq']:012d}-{last['chain_seq']:012d}.jsonl"
        )
        header = {
            "kind": "archive",
            "before": cutoff.isoformat(),
            "records": len(rows),
            "start_seq": int(state.purged_seq),
            "start_hash": str(state.purged_hash),
            "head_seq": int(last["chain_seq"]),
            "head_hash": str(last["chain_hash"]),
            "created_at": ctx.clock.now().isoformat(),
        }
        _write_signed(settings, file, header, rows)
        ok, message = verify_file(settings, file)
        if not ok:
            raise RuntimeError(f"archive {file} does not verify: {message}")
        allow_purge(conn)
        conn.execute(delete(table).where(table.c.chain_seq <= last["chain_seq"]))
        conn.execute(
            update(STATE)
            .where(STATE.c.log == AUDIT.table)
            .values(purged_seq=last["chain_seq"], purged_hash=last["chain_hash"])
        )
    with ctx.uow() as uow:
        add_audit(uow.session, None, "audit.archive", file.name, header)
        uow.commit()
    return Archived(len(rows), file)


def verify_file(settings: Settings, file: Path) -> tuple[bool, str]:
    """Check a file's signature and, for an archive, the chain inside it."""
    sig_path = file.with_name(file.name + ".sig")
    if not file.is_file() or not sig_path.is_file():
        return False, f"{file}: 文件或签名缺失 file or signature missing"
    data = file.read_bytes()
    if not hmac.compare_digest(_sign(settings, data), sig_path.read_text().strip()):
        return False, f"{file}: 签名不符（文件被改动） signature does not match"
    lines = data.decode().splitlines()
    header = json.loads(lines[0])
    if header.get("format") != FORMAT:
        return False, f"{file}: 不是审计归档文件 not an audit archive"
    if header.get("kind") == "archive":
        records = []
        for line in lines[1:]:
            r = json.loads(line)
            r["at"] = datetime.fromisoformat(r["at"])
            records.append(chain_record(AUDIT, r))
        check = verify(
            settings.audit_key_bytes(),
            records,
            (),
            int(header.get("start_seq", 0)),
            str(header.get("start_hash", GENESIS)),
        )
        if not check.intact:
            assert check.finding is not None
            return False, f"{file}: {check.finding.message}"
    return True, f"{file}: 签名有效 signature valid, {len(lines) - 1} 条记录 records"
