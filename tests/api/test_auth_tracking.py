"""Login with throttling, tokens, and residents' tracking by ticket number and phone."""

from __future__ import annotations

from datetime import timedelta

import jwt

from tests.conftest import PASSWORD, WEST, category


def _login(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_returns_a_working_token(client):
    r = _login(client, "dispatcher", PASSWORD)
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert r.json()["user"]["role"] == "dispatcher"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "dispatcher"


def test_wrong_password_is_401_and_repeated_failures_are_throttled(client, ctx, clock):
    for _ in range(ctx.settings.login_max_failures):
        assert _login(client, "operator", "wrong-password").status_code == 401
    r = _login(client, "operator", PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # Other users are not affected, and the lock lifts after the window.
    assert _login(client, "dispatcher", PASSWORD).status_code == 200
    clock.set(clock.now() + timedelta(seconds=ctx.settings.login_window_seconds + 1))
    assert _login(client, "operator", PASSWORD).status_code == 200


def test_expired_token_is_refused(client, users, clock, ctx):
    h = users.headers("dispatcher")
    assert client.get("/api/v1/work-orders", headers=h).status_code == 200  # verified once
    clock.set(clock.now() + timedelta(minutes=ctx.settings.token_ttl_minutes + 1))
    assert client.get("/api/v1/work-orders", headers=h).status_code == 401


def test_tampered_or_foreign_tokens_are_refused_after_a_good_one(client, users, ctx):
    token = users.headers("dispatcher")["Authorization"].removeprefix("Bearer ")
    ok = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/work-orders", headers=ok).status_code == 200
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    tampered = {"Authorization": f"Bearer {header}.{payload}.{flipped}"}
    assert client.get("/api/v1/work-orders", headers=tampered).status_code == 401
    # Signed with another key: refused although a token with the same claims was accepted.
    foreign = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "k" * 40)
    assert foreign != token
    r = client.get("/api/v1/work-orders", headers={"Authorization": f"Bearer {foreign}"})
    assert r.status_code == 401


def test_admin_creates_users_with_validated_scope(client, users):
    h = users.headers("admin")
    ok = client.post(
        "/api/v1/users",
        headers=h,
        json={
            "username": "sup2",
            "password": "long-enough-1",
            "display_name": "督办2",
            "role": "supervisor",
            "region_code": "990102002",
        },
    )
    assert ok.status_code == 201
    bad = client.post(
        "/api/v1/users",
        headers=h,
        json={
            "username": "sup3",
            "password": "long-enough-1",
            "display_name": "督办3",
            "role": "supervisor",
            "region_code": "nowhere",
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region_code"
    assert bad.json()["errors"][0]["code"] == "region_required"
    assert (
        client.post(
            "/api/v1/users",
            headers=users.headers("dispatcher"),
            json={
                "username": "x",
                "password": "long-enough-1",
                "display_name": "x",
                "role": "admin",
            },
        ).status_code
        == 403
    )
    assert _login(client, "sup2", "long-enough-1").status_code == 200


def test_resident_tracks_and_rates_by_ticket_and_phone(client, users, ctx):
    body = {
        "channel": "web",
        "content": "幸福路路灯坏了好几天，晚上很黑。",
        "reporter_phone": "13512345678",
        "reporter_name": "王五",
        "lon": WEST[0],
        "lat": WEST[1],
        "category_code": category(ctx, "城乡建设/市政设施/路灯损坏"),
    }
    created = client.post("/api/v1/appeals", json=body).json()
    ticket, oid = created["ticket_no"], created["work_order_id"]
    assert "将于" in created["next_step"]
    # The same answer in English, for the portal's English mode: the department's name is data.
    assert created["next_step_en"].startswith("Sent to 市城市管理局, who will reply by 20")
    params = {"ticket_no": ticket, "phone": "13512345678"}
    view = client.get("/api/v1/appeals/track", params=params).json()
    assert view["status_label"] == "已派单" and view["department"] == "市城市管理局"
    assert [s["step"] for s in view["steps"]] == ["您的诉求已受理", "已派发给承办单位"]
    assert [s["step_en"] for s in view["steps"]] == [
        "Your appeal was received",
        "Sent to the department that handles it",
    ]
    assert view["next_step_en"] == created["next_step_en"]
    assert not view["can_rate"]
    wrong = client.get("/api/v1/appeals/track", params={**params, "phone": "13500000000"})
    assert wrong.status_code == 404
    early = client.post("/api/v1/appeals/track/rate", json={**params, "rating": "satisfied"})
    assert early.status_code == 409
    h = users.headers("cg")
    client.post(f"/api/v1/work-orders/{oid}/actions/accept", json={}, headers=h)
    client.post(f"/api/v1/work-orders/{oid}/actions/reply", json={"note": "已修复"}, headers=h)
    view = client.get("/api/v1/appeals/track", params=params).json()
    assert view["can_rate"] and view["reply"] == "已修复" and "评价" in view["next_step"]
    assert view["next_step_en"] == (
        "市城市管理局 replied; please rate the result "
        "(satisfied / basically satisfied / unsatisfied)."
    )
    rated = client.post(
        "/api/v1/appeals/track/rate",
        json={**params, "rating": "basically_satisfied", "note": "还行"},
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed"


def test_health_and_choices(client):
    assert client.get("/api/v1/health").json() == {
        "status": "ok",
        "database": "ok",
        "version": "0.1.0",
    }
    choices = client.get("/api/v1/meta/choices").json()
    labels = {s["value"]: s["label"] for s in choices["statuses"]}
    assert labels["pending_dispatch"] == "待派单" and labels["closed"] == "已办结"
    assert {a["value"] for a in choices["actions"]} >= {"dispatch", "return", "urge"}
