"""Every import and configuration change is on the audit trail, accepted or refused."""

from __future__ import annotations

from sqlalchemy import select

from cityloop.store.models import AuditRow
from tests.conftest import CITY_FEATURES


def _audit(ctx, action: str) -> list[AuditRow]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)
            ).scalars()
        )


def test_imports_over_http_are_audited_with_result_and_source(client, ctx, users):
    admin = users.headers("admin") | {"user-agent": "pytest-browser"}
    csv = "code,name,level,region_code\nD-XX,新部门,city,990100\n".encode()
    r = client.post("/api/v1/departments/import", files={"file": ("depts.csv", csv)}, headers=admin)
    assert r.status_code == 200, r.text
    bad = "code,name,level\n,无编码,planet\n".encode()
    r = client.post("/api/v1/departments/import", files={"file": ("bad.csv", bad)}, headers=admin)
    assert r.status_code in (400, 422)
    records = _audit(ctx, "config.departments")
    assert [(a.target, a.result) for a in records] == [
        ("depts.csv", "success"),
        ("bad.csv", "failure"),
    ]
    ok, failed = records
    assert ok.detail["imported"] == 1 and ok.actor_name == "admin" and ok.role == "admin"
    assert ok.user_agent == "pytest-browser" and ok.source
    assert failed.detail["problems"] >= 2 and "error" in failed.detail

    r = client.post(
        "/api/v1/regions/import",
        json={"type": "FeatureCollection", "features": CITY_FEATURES[:1]},
        headers=admin,
    )
    assert [a.result for a in _audit(ctx, "config.regions")] == [
        "success" if r.status_code == 200 else "failure"
    ]

    rules = "category,lead,co,normal\n城乡建设/市政设施,D-CG,,4d\n".encode()
    r = client.post(
        "/api/v1/linkage-rules/import", files={"file": ("rules.csv", rules)}, headers=admin
    )
    assert r.status_code == 200, r.text
    [rec] = _audit(ctx, "config.rules")
    assert rec.detail["version"] == r.json()["version"]


def test_non_admins_are_refused_before_anything_is_recorded(client, ctx, users):
    csv = "code,name,level\nD-YY,部门,city\n".encode()
    r = client.post(
        "/api/v1/departments/import",
        files={"file": ("d.csv", csv)},
        headers=users.headers("dispatcher"),
    )
    assert r.status_code == 403
    assert _audit(ctx, "config.departments") == []


def test_sensing_vendor_changes_are_audited(ctx):
    from cityloop.sensing.service import create_vendor, revoke_vendor

    create_vendor(ctx, "acme", "default")
    revoke_vendor(ctx, "acme")
    assert [a.detail["op"] for a in _audit(ctx, "config.sensing_vendor")] == [
        "create",
        "revoke",
    ]
