"""Retention: records past the retention period are archived to a signed file, verified, and only
then purged; the chain goes on verifying from the archived head; exports are signed too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from cityloop.audit.archive import archive_and_purge, export_records, verify_file
from cityloop.audit.chain import seal_all, verify_all
from cityloop.audit.cli import audit_app
from cityloop.settings import Settings
from cityloop.store.models import AuditRow, utcnow
from cityloop.store.repositories import add_audit


def _record(ctx, users, n: int) -> None:
    """n records stamped now (add_audit takes the wall clock, not the test's clock)."""
    with ctx.uow() as uow:
        for i in range(n):
            add_audit(uow.session, users.actor("admin"), "config.departments", f"d{i}", {"i": i})
        uow.commit()


def _count(ctx) -> int:
    with ctx.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(AuditRow)).scalar_one()


def test_retention_below_180_days_is_refused():
    with pytest.raises(ValidationError, match="audit_retention_days"):
        Settings(audit_retention_days=90, _env_file=None)  # type: ignore[call-arg]


def test_archive_purges_only_past_retention_and_the_chain_still_verifies(ctx, users, tmp_path):
    ctx.settings.audit_archive_dir = tmp_path / "archive"
    _record(ctx, users, 5)
    seal_all(ctx.engine)
    # Nothing is old enough today.
    assert archive_and_purge(ctx, now=utcnow()).records == 0 and _count(ctx) == 5
    # 181 days later the five are past retention; they are archived and purged.
    later = utcnow() + timedelta(days=181)
    out = archive_and_purge(ctx, now=later)
    assert out.records == 5 and out.file is not None and out.file.exists()
    ok, message = verify_file(ctx.settings, out.file)
    assert ok, message
    lines = out.file.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["kind"] == "archive" and header["records"] == 5 and header["head_seq"] == 5
    assert [json.loads(line)["target"] for line in lines[1:]] == [f"d{i}" for i in range(5)]
    # What stays: the archive's own audit record, chained on from the archived head.
    with ctx.uow() as uow:
        left = uow.session.execute(select(AuditRow)).scalars().all()
    assert [r.action for r in left] == ["audit.archive"]
    seal_all(ctx.engine)
    v = verify_all(ctx.engine)["audit_log"]
    assert v.intact and v.head_seq == 6
    # A changed byte in the archive is found.
    out.file.write_text(out.file.read_text().replace("d3", "d9"))
    ok, message = verify_file(ctx.settings, out.file)
    assert not ok and "签名不符" in message
    result = CliRunner().invoke(audit_app, ["verify-archive", str(out.file)], obj=ctx)
    assert result.exit_code == 1


def test_archive_refuses_a_broken_chain(ctx, users, tmp_path):
    from sqlalchemy import text

    ctx.settings.audit_archive_dir = tmp_path / "archive"
    _record(ctx, users, 3)
    seal_all(ctx.engine)
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(text("UPDATE audit_log SET target = 'x' WHERE chain_seq = 2"))
    with pytest.raises(RuntimeError, match="archive refused"):
        archive_and_purge(ctx, now=utcnow() + timedelta(days=200))
    assert _count(ctx) == 3


def test_export_period_to_a_signed_file_by_command(ctx, users, tmp_path):
    _record(ctx, users, 4)
    file = tmp_path / "export.jsonl"
    day = utcnow().astimezone(ctx.settings.tz).date()
    result = CliRunner().invoke(
        audit_app,
        ["export", str(file), "--from", day.isoformat(), "--to", (day + timedelta(1)).isoformat()],
        obj=ctx,
    )
    assert result.exit_code == 0, result.output
    assert "exported 4 records" in result.output
    assert verify_file(ctx.settings, file)[0]
    rows = [json.loads(x) for x in file.read_text().splitlines()[1:]]
    assert {r["action"] for r in rows} == {"config.departments"}
    # The export is itself audited.
    with ctx.uow() as uow:
        assert (
            uow.session.execute(
                select(func.count()).where(AuditRow.action == "audit.export")
            ).scalar_one()
            == 1
        )
    # An empty period still gives a valid, signed file.
    assert export_records(ctx, tmp_path / "none.jsonl", end=utcnow() - timedelta(1)) == 0
    bad = CliRunner().invoke(audit_app, ["export", str(file), "--from", "yesterday"], obj=ctx)
    assert bad.exit_code == 2 and "--from" in bad.output
