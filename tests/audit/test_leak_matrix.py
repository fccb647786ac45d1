"""Role × endpoint leak matrix: EVERY operation of the OpenAPI document, called by every role and
anonymously, never answers 5xx, never shows a masked role unmasked personal data, and never
shows an out-of-jurisdiction role the order of another district.

Path parameters name the other district's order (or an id that exists nowhere); bodies are
empty, so most writes are refused by validation — what matters here is what comes back.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.domain.jurisdiction import SEES_PERSONAL_DATA
from cityloop.domain.statuses import Role
from tests.conftest import EAST, category

PHONE = "13987654321"
ID_NUMBER = "11010519491231002X"
NAME = "欧阳娜娜"
EAST_MARK = "河东区专用暗记七三九"
PII = (PHONE, ID_NUMBER, NAME)
# Roles whose jurisdiction does not reach the east street's order.
WEST_ONLY = ("hx", "sup_west", "grid_west", "resident", "resident2")
# Open311 publishes service requests by design (masked): checked for personal data only.
PUBLIC_PREFIXES = ("/open311/",)
DENIED = {400, 401, 403, 404, 405, 409, 422}
# Server-sent event streams never end, so a sweep cannot read their whole answer; who may open
# them is tested in tests/operations/test_live_stream.py.
STREAMS = ("/api/v1/dashboard/stream", "/api/v1/events/stream")


def _east_order(client: TestClient, users: Any, ctx: Any) -> dict[str, Any]:
    body = {
        "channel": "hotline",
        "content": f"{EAST_MARK}：路灯不亮，我是{NAME}，电话{PHONE}，身份证{ID_NUMBER}。",
        "reporter_name": NAME,
        "reporter_phone": PHONE,
        "address": "和平社区3栋2单元501",
        "lon": EAST[0],
        "lat": EAST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _fill(path: str, ids: dict[str, Any]) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(ids.get(name, "999999" if name.endswith("id") else "x"))

    return re.sub(r"{(\w+)}", value, path)


def _operations(app: Any) -> list[tuple[str, str]]:
    ops = [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete") and path not in STREAMS
    ]
    # Ending one's own session last keeps the token valid for the rest of the sweep.
    return sorted(ops, key=lambda op: "logout" in op[1])


def test_every_route_for_every_role(ctx, users):
    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    created = _east_order(client, users, ctx)
    ids = {
        "order_id": created["work_order_id"],
        "appeal_id": created.get("appeal_id", created["work_order_id"]),
        "request_id": created.get("ticket_no", "x"),
        "ident": "x",
        "action": "comment",
        "fmt": "csv",
    }
    operations = _operations(client.app)
    # The whole document, not a hand-picked list: all operations but the two streams.
    total = sum(len(item) for item in client.app.openapi()["paths"].values())
    assert len(operations) == total - len(STREAMS) > 100
    identities: list[str | None] = [None, *users.rows]
    failures: list[str] = []
    calls = 0
    for who in identities:
        headers = users.headers(who) if who else {}
        role = Role(users.rows[who].role) if who else None
        for method, path in operations:
            url = _fill(path, ids)
            kwargs: dict[str, Any] = {"headers": headers}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            r = client.request(method, url, **kwargs)
            calls += 1
            text = r.text
            label = f"{who or 'anonymous'} {method} {url} → {r.status_code}"
            if r.status_code >= 500:
                failures.append(f"{label}: server error")
            if role not in SEES_PERSONAL_DATA:
                leaked = [m for m in PII if m in text]
                if leaked:
                    failures.append(f"{label}: unmasked personal data {leaked}")
            public = path.startswith(PUBLIC_PREFIXES)
            if (who is None or who in WEST_ONLY) and not public and EAST_MARK in text:
                failures.append(f"{label}: another district's order")
            if who in WEST_ONLY and "{order_id}" in path and r.status_code not in DENIED:
                failures.append(f"{label}: out of scope but answered")
    assert calls == len(identities) * len(operations)
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("who", WEST_ONLY)
def test_out_of_scope_order_answers_not_found(ctx, users, who):
    client = TestClient(create_app(ctx))
    oid = _east_order(client, users, ctx)["work_order_id"]
    r = client.get(f"/api/v1/work-orders/{oid}", headers=users.headers(who))
    assert r.status_code == 404 and EAST_MARK not in r.text
