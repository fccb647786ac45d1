"""The auditor's API: only the auditor reads the trail; filters, counts, CSV (itself audited)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from cityloop.domain.statuses import Role
from cityloop.store.models import AuditRow, UserRow, utcnow
from cityloop.store.repositories import add_audit
from tests.conftest import _password_hash


def _auditor(ctx, users) -> dict[str, str]:
    with ctx.uow() as uow:
        uow.session.add(
            UserRow(
                username="auditor1",
                password_hash=_password_hash(),
                display_name="审计员",
                role=Role.AUDITOR.value,
                active=True,
                created_at=utcnow(),
            )
        )
        uow.commit()
    users.__init__(ctx)
    return users.headers("auditor1")


def _seed(ctx, users) -> None:
    with ctx.uow() as uow:
        admin = users.actor("admin")
        add_audit(uow.session, admin, "config.rules", "rules v2", {"rows": 5})
        add_audit(uow.session, admin, "config.departments", "departments", {"rows": 6})
        add_audit(uow.session, None, "auth.login", "admin", {}, result="failure", source="10.0.0.9")
        uow.commit()


def test_only_the_auditor_reads_the_trail(client, ctx, users):
    _seed(ctx, users)
    for who in ("admin", "operator", "dispatcher", "leader", "cg", "resident"):
        r = client.get("/api/v1/audit", headers=users.headers(who))
        assert r.status_code == 403, who
        r = client.get("/api/v1/audit/export.csv", headers=users.headers(who))
        assert r.status_code == 403, who
    assert client.get("/api/v1/audit").status_code == 401


def test_filters_pages_and_counts(client, ctx, users):
    headers = _auditor(ctx, users)
    _seed(ctx, users)
    r = client.get("/api/v1/audit", params={"event": "config."}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and body["failures"] == 0
    assert [i["action"] for i in body["items"]] == ["config.departments", "config.rules"]
    item = body["items"][0]
    assert item["role"] == "admin" and item["result"] == "success" and item["actor_name"]
    r = client.get("/api/v1/audit", params={"result": "failure"}, headers=headers)
    assert r.json()["total"] == 1 and r.json()["items"][0]["source"] == "10.0.0.9"
    r = client.get("/api/v1/audit", params={"limit": 1, "offset": 1}, headers=headers)
    assert r.json()["total"] >= 3 and len(r.json()["items"]) == 1
    r = client.get("/api/v1/audit", params={"target": "rules"}, headers=headers)
    assert [i["target"] for i in r.json()["items"]] == ["rules v2"]
    bad = client.get("/api/v1/audit", params={"result": "maybe", "from": "x"}, headers=headers)
    assert bad.status_code == 422


def test_csv_export_is_audited(client, ctx, users):
    headers = _auditor(ctx, users)
    _seed(ctx, users)
    r = client.get("/api/v1/audit/export.csv", params={"event": "config."}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "时间", "操作人"] and len(rows) == 3
    with ctx.uow() as uow:
        exports = (
            uow.session.execute(select(AuditRow).where(AuditRow.action == "audit.export"))
            .scalars()
            .all()
        )
    assert len(exports) == 1 and exports[0].actor_name == "审计员"
    assert exports[0].detail == {"action": "config."}


def test_verify_endpoint(client, ctx, users):
    headers = _auditor(ctx, users)
    _seed(ctx, users)
    body = client.get("/api/v1/audit/verify", headers=headers).json()
    assert body["audit_log"]["intact"] and body["order_events"]["intact"]
