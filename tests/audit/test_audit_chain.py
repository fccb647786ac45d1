"""Tamper evidence: plain-SQL edits, deletions and insertions on the audit log and the timeline
are found by `cityloop audit verify`; on PostgreSQL the database refuses them outright."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cityloop.audit.chain import seal_all, verify_all
from cityloop.audit.guard import allow_purge
from cityloop.domain.audit_chain import Breach
from cityloop.store.repositories import add_audit
from tests.conftest import WEST, category


def _appeal(client, users, ctx, content="幸福路路灯不亮已经三天了，请尽快维修。") -> int:
    body = {
        "channel": "hotline",
        "content": content,
        "reporter_name": "李四",
        "reporter_phone": "13900001111",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()["work_order_id"]


def _history(client, users, ctx) -> list[int]:
    orders = [_appeal(client, users, ctx) for _ in range(3)]
    with ctx.uow() as uow:
        for i in range(4):
            add_audit(uow.session, users.actor("admin"), "config.rules", f"rules-{i}", {"n": i})
        uow.commit()
    return orders


def _tamper(ctx, sql: str, **params) -> None:
    """Plain SQL as a database user would run it; on PostgreSQL past the triggers (a superuser
    who dropped them), to show that verification still finds it."""
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(text(sql), params)


def _ids(ctx, table: str) -> list[int]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars())


def _cli(ctx, *args: str):
    from cityloop.audit.cli import audit_app

    return CliRunner().invoke(audit_app, list(args), obj=ctx)


def test_intact_chain_verifies_and_seals_in_id_order(client, users, ctx):
    _history(client, users, ctx)
    before = verify_all(ctx.engine)
    assert all(v.intact for v in before.values())
    assert before["audit_log"].unsealed >= 4  # checked by their seals while unsealed
    sealed = seal_all(ctx.engine)
    assert sealed["order_events"] >= 6 and sealed["audit_log"] >= 4
    after = verify_all(ctx.engine)
    assert all(v.intact and v.unsealed == 0 for v in after.values())
    assert after["order_events"].head_seq == sealed["order_events"]
    with ctx.engine.connect() as conn:
        seqs = conn.execute(text("SELECT chain_seq FROM order_events ORDER BY id")).scalars()
        assert list(seqs) == list(range(1, sealed["order_events"] + 1))
    result = _cli(ctx, "verify")
    assert result.exit_code == 0, result.output
    assert "完好" in result.output
    assert seal_all(ctx.engine) == {"audit_log": 0, "order_events": 0}


@pytest.mark.parametrize("table", ["order_events", "audit_log"])
def test_an_edited_record_is_named(client, users, ctx, table):
    _history(client, users, ctx)
    seal_all(ctx.engine)
    victim = _ids(ctx, table)[2]
    column = "note" if table == "order_events" else "target"
    _tamper(ctx, f"UPDATE {table} SET {column} = 'forged' WHERE id = :id", id=victim)
    v = verify_all(ctx.engine)[table]
    assert v.finding is not None and v.finding.record_id == victim
    assert v.finding.breach is Breach.CHANGED
    result = _cli(ctx, "verify")
    assert result.exit_code == 1
    assert f"#{victim}" in result.output and table in result.output


@pytest.mark.parametrize("table", ["order_events", "audit_log"])
def test_a_deleted_record_breaks_the_chain(client, users, ctx, table):
    _history(client, users, ctx)
    seal_all(ctx.engine)
    ids = _ids(ctx, table)
    _tamper(ctx, f"DELETE FROM {table} WHERE id = :id", id=ids[1])
    v = verify_all(ctx.engine)[table]
    assert v.finding is not None and v.finding.breach is Breach.DELETED
    assert v.finding.record_id == ids[2]  # the first record after the gap
    assert _cli(ctx, "verify").exit_code == 1


def test_an_inserted_event_is_found_sealed_or_not(client, users, ctx):
    oid = _history(client, users, ctx)[0]
    seal_all(ctx.engine)
    _tamper(
        ctx,
        "INSERT INTO order_events (work_order_id, action, at, from_status, to_status,"
        " actor_name, actor_role, note, data) VALUES (:o, 'close', :at, 'dispatched', 'closed',"
        " '伪造', 'admin', '', '{}')",
        o=oid,
        at=ctx.clock.now(),
    )
    forged = _ids(ctx, "order_events")[-1]
    v = verify_all(ctx.engine)["order_events"]
    assert v.finding is not None and v.finding.record_id == forged
    assert v.finding.breach is Breach.INSERTED
    seal_all(ctx.engine)  # the sealer does not launder it: its seal is still missing
    v = verify_all(ctx.engine)["order_events"]
    assert v.finding is not None and v.finding.record_id == forged
    result = _cli(ctx, "verify")
    assert result.exit_code == 1 and f"#{forged}" in result.output


def test_a_record_copied_into_the_chain_with_a_new_number_is_found(client, users, ctx):
    _history(client, users, ctx)
    seal_all(ctx.engine)
    ids = _ids(ctx, "audit_log")
    # A copy of a genuine record (its seal included) appended at the end of the chain.
    _tamper(
        ctx,
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail, role, result,"
        " source, user_agent, mac, chain_seq, chain_hash) SELECT at, actor_id, actor_name,"
        " action, target, detail, role, result, source, user_agent, mac,"
        " (SELECT MAX(chain_seq) + 1 FROM audit_log), chain_hash FROM audit_log WHERE id = :id",
        id=ids[0],
    )
    copy = _ids(ctx, "audit_log")[-1]
    v = verify_all(ctx.engine)["audit_log"]
    assert v.finding is not None and v.finding.record_id == copy


def test_sm3_records_verify_beside_sha256_ones(client, users, ctx):
    from cityloop.audit.keys import configure

    _history(client, users, ctx)
    seal_all(ctx.engine)
    try:
        configure(ctx.settings.model_copy(update={"audit_hash": "sm3"}))
        _history(client, users, ctx)
        seal_all(ctx.engine)
        with ctx.engine.connect() as conn:
            last = conn.execute(
                text("SELECT mac, chain_hash FROM audit_log ORDER BY chain_seq DESC LIMIT 1")
            ).one()
        assert last.mac.startswith("sm3:") and last.chain_hash.startswith("sm3:")
        assert all(v.intact for v in verify_all(ctx.engine).values())
    finally:
        configure(ctx.settings)


def test_postgresql_refuses_update_delete_and_truncate(client, users, ctx):
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("the triggers are PostgreSQL's (SQLite: verification alone)")
    _history(client, users, ctx)
    seal_all(ctx.engine)
    for sql in (
        "UPDATE order_events SET note = 'x'",
        "DELETE FROM order_events",
        "UPDATE audit_log SET target = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        # Unsealed records cannot be changed either, only numbered by the sealer.
        "UPDATE audit_log SET chain_seq = NULL, chain_hash = NULL",
    ):
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
            conn.exec_driver_sql(sql)
    with ctx.engine.begin() as conn:  # the purge path (archive) may delete
        allow_purge(conn)
        assert conn.exec_driver_sql("DELETE FROM audit_log").rowcount >= 4
        with pytest.raises(DBAPIError, match="append-only"):
            conn.exec_driver_sql("UPDATE order_events SET note = 'x'")


def test_records_older_than_tamper_evidence_are_sealed_as_found(client, users, ctx):
    """Rows written before the chain existed carry no writer's seal: the first sealing seals
    their content as found, and an edit after that is caught like any other."""
    _history(client, users, ctx)
    with ctx.engine.begin() as conn:
        top = conn.execute(text("SELECT max(id) FROM order_events")).scalar_one()
    _tamper(ctx, "UPDATE order_events SET mac = NULL")  # as the migration found them
    with ctx.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_chain_state (log, legacy_below, purged_seq) "
                "VALUES ('order_events', :top, 0) "
                "ON CONFLICT (log) DO UPDATE SET legacy_below = :top"
            ),
            {"top": top},
        )
    assert seal_all(ctx.engine)["order_events"] == len(_ids(ctx, "order_events"))
    assert verify_all(ctx.engine)["order_events"].intact
    first = _ids(ctx, "order_events")[0]
    _tamper(ctx, "UPDATE order_events SET note = 'forged' WHERE id = :id", id=first)
    assert not verify_all(ctx.engine)["order_events"].intact
