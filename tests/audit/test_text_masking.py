"""Personal data in free text is masked for masked roles in details and lists; an action's full
answer to a role that sees personal data is audited like a read."""

from __future__ import annotations

from sqlalchemy import select

from cityloop.store.models import AuditRow


def test_free_text_masked_for_masked_roles_and_full_answers_audited(client, ctx, users):
    from tests.conftest import WEST, category

    text = "我是王芳，电话13812345678，身份证11010519491231002X，邮箱wf@example.com，路灯坏了。"
    body = {
        "channel": "hotline",
        "content": text,
        "reporter_name": "王芳",
        "reporter_phone": "13812345678",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    oid = r.json()["work_order_id"]
    masked = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("cg")).json()
    assert masked["personal_data_masked"]
    for value in (masked["content"], masked["appeals"][0]["content"]):
        assert "13812345678" not in value and "11010519491231002X" not in value
        assert "138****5678" in value and "110105********002X" in value and "w***@" in value
    listed = client.get("/api/v1/work-orders", headers=users.headers("cg")).json()
    assert "13812345678" not in str(listed)
    full = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers("dispatcher")).json()
    assert full["content"] == text
    # An action's answer to a role that sees personal data is a read of it: audited.
    with ctx.uow() as uow:
        before = (
            uow.session.execute(select(AuditRow).where(AuditRow.action == "read_personal_data"))
            .scalars()
            .all()
        )
    action = next(a for a in ("comment", "urge") if a in full["allowed_actions"])
    r = client.post(
        f"/api/v1/work-orders/{oid}/actions/{action}",
        json={"note": "请加快"},
        headers=users.headers("dispatcher"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["content"] == text
    with ctx.uow() as uow:
        after = (
            uow.session.execute(select(AuditRow).where(AuditRow.action == "read_personal_data"))
            .scalars()
            .all()
        )
    assert len(after) == len(before) + 1
