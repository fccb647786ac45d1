"""知识库 over HTTP: administrators keep it, operators search it, and a consultation answered
from it is closed on the call (直接办结) and counted."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from cityloop.store.models import AuditRow, OrderEventRow
from tests.conftest import Users, category

WATER = "城乡建设/供水/停水"


def _entry(ctx, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category_code": category(ctx, WATER),
        "question": "停水了什么时候恢复供水？",
        "answer": "计划停水可在水务局官网查询；突发停水一般 24 小时内恢复，可拨打 96116 查询。",
        "keywords": "停水 没水 恢复供水",
    }
    body.update(over)
    return body


def _consultation(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "市民来电咨询：家里停水了，想知道什么时候恢复供水。",
        "reporter_name": "李四",
        "reporter_phone": "13900001111",
    }
    body.update(over)
    return body


def test_admin_keeps_entries_and_operators_search_them(client: TestClient, users: Users, ctx):
    admin, operator = users.headers("admin"), users.headers("operator")
    r = client.post("/api/v1/knowledge", json=_entry(ctx), headers=admin)
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["category_path"] == WATER
    other = _entry(
        ctx, category_code="", question="如何查询工单进度？", answer="凭工单号和电话在网站查询。"
    )
    other["keywords"] = "进度 查询"
    assert client.post("/api/v1/knowledge", json=other, headers=admin).status_code == 201

    found = client.get("/api/v1/knowledge", params={"q": "我家没水了"}, headers=operator).json()
    assert [i["id"] for i in found["items"]][:1] == [entry["id"]]
    assert "没水" in found["items"][0]["matched"]
    # The category narrows to its family (general questions stay).
    road = category(ctx, "城乡建设/市政设施/路灯损坏")
    narrowed = client.get("/api/v1/knowledge", params={"category": road}, headers=operator).json()
    assert [i["question"] for i in narrowed["items"]] == ["如何查询工单进度？"]

    # Only the administrator changes it.
    assert client.post("/api/v1/knowledge", json=_entry(ctx), headers=operator).status_code == 403
    r = client.put(
        f"/api/v1/knowledge/{entry['id']}",
        json=_entry(ctx, answer="新的答复口径：24 小时内恢复。", active=False),
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["active"] is False
    found = client.get("/api/v1/knowledge", params={"q": "停水"}, headers=operator).json()
    assert entry["id"] not in [i["id"] for i in found["items"]]
    assert client.delete(f"/api/v1/knowledge/{entry['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/knowledge/{entry['id']}", headers=operator).status_code == 404
    with ctx.uow() as uow:
        actions = uow.session.execute(select(AuditRow.action)).scalars().all()
    assert "config.knowledge" in actions and "config.knowledge.delete" in actions


def test_bad_entries_are_refused_naming_the_field(client: TestClient, users: Users, ctx):
    admin = users.headers("admin")
    r = client.post("/api/v1/knowledge", json=_entry(ctx, category_code="999999"), headers=admin)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "category_code"
    r = client.post("/api/v1/knowledge", json=_entry(ctx, answer="  "), headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer"
    assert client.post("/api/v1/knowledge", json=_entry(ctx), headers=admin).status_code == 201
    r = client.post("/api/v1/knowledge", json=_entry(ctx), headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "question"


def test_import_from_csv_and_excel_all_or_nothing(client: TestClient, users: Users, ctx):
    admin = users.headers("admin")
    water = category(ctx, WATER)
    csv_text = (
        "category_code,question,answer,keywords\n"
        f"{water},停水多久恢复？,一般 24 小时内恢复。,停水\n"
        ",如何查询进度？,凭工单号查询。,进度\n"
    )
    files = {"file": ("kb.csv", csv_text.encode("gb18030"), "text/csv")}
    r = client.post("/api/v1/knowledge/import", files=files, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 2, "updated": 0}

    wb = Workbook()
    ws = wb.active
    ws.append(["category_code", "question", "answer", "keywords"])
    ws.append([water, "停水多久恢复？", "以水务局公告为准，一般 12 小时内恢复。", "停水"])
    ws.append([None, "噪音扰民找谁？", "可拨打 12345 反映，由生态环境局处理。", "噪音"])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("kb.xlsx", buf.getvalue(), "application/octet-stream")}
    r = client.post("/api/v1/knowledge/import", files=files, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 1, "updated": 1}
    found = client.get("/api/v1/knowledge", params={"q": "停水"}, headers=admin).json()
    assert "12 小时" in found["items"][0]["answer"]

    bad = (
        "category_code,question,answer\n"
        "999999,问题一,答复一\n"
        ",问题二,\n"
        ",问题三,答复三\n"
        ",问题三,答复四\n"
    )
    files = {"file": ("bad.csv", bad.encode(), "text/csv")}
    r = client.post("/api/v1/knowledge/import", files=files, headers=admin)
    assert r.status_code == 422
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert errors == {(2, "category_code"), (3, "answer"), (5, "question")}
    assert client.get("/api/v1/knowledge", headers=admin).json()["total"] == 3  # nothing added


def test_consultation_closed_directly_with_the_answer(client: TestClient, users: Users, ctx):
    admin, operator = users.headers("admin"), users.headers("operator")
    entry = client.post("/api/v1/knowledge", json=_entry(ctx), headers=admin).json()
    body = _consultation(answer=entry["answer"], knowledge_id=entry["id"])
    r = client.post("/api/v1/appeals", json=body, headers=operator)
    assert r.status_code == 201, r.text
    accepted = r.json()
    assert accepted["status"] == "closed"
    assert accepted["routing"]["answered"] == {"knowledge_id": entry["id"]}
    order = client.get(f"/api/v1/work-orders/{accepted['work_order_id']}", headers=operator).json()
    assert order["reply_text"] == entry["answer"]
    assert [e["action"] for e in order["timeline"]] == ["receive", "answer"]
    assert order["timeline"][-1]["actor_name"] == "operator"
    assert order["sla"] is None and order["allowed_actions"] == ["comment"]
    assert (
        client.get(f"/api/v1/knowledge/{entry['id']}", headers=operator).json()["used_count"] == 1
    )
    stats = client.get("/api/v1/knowledge/stats", headers=operator).json()
    assert stats["answered_on_call"] == 1
    assert stats["top"] == [{"id": entry["id"], "question": entry["question"], "used_count": 1}]
    with ctx.uow() as uow:
        answered = uow.session.execute(
            select(OrderEventRow).where(OrderEventRow.action == "answer")
        ).scalar_one()
    assert answered.to_status == "closed"


def test_direct_close_is_refused_where_it_does_not_belong(client: TestClient, users: Users, ctx):
    operator = users.headers("operator")
    # An urgent matter is never closed on the call.
    gas = _consultation(content="家里厨房有很浓的煤气味，燃气泄漏了怎么办", answer="请开窗通风。")
    r = client.post("/api/v1/appeals", json=gas, headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer"
    # A resident cannot close their own appeal.
    r = client.post(
        "/api/v1/appeals",
        json=_consultation(channel="web", answer="自己答复"),
        headers=users.headers("resident"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer"
    r = client.post("/api/v1/appeals", json=_consultation(answer="   "), headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer"
    r = client.post(
        "/api/v1/appeals", json=_consultation(answer="答复", knowledge_id=999), headers=operator
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "knowledge_id"
    r = client.post("/api/v1/appeals", json=_consultation(knowledge_id=1), headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "knowledge_id"
