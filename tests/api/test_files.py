"""Attachment upload and download; administrators' imports over HTTP."""

from __future__ import annotations

from tests.conftest import Users

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_photo_upload_then_download_and_attach(client, users: Users):
    r = client.post("/api/v1/attachments", files={"file": ("井盖.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    meta = r.json()
    assert meta["content_type"] == "image/png" and meta["size"] == len(PNG)
    got = client.get(meta["download_url"])  # anonymous: through the signed link
    assert got.status_code == 200 and got.content == PNG
    body = {
        "channel": "web",
        "content": "小区门口井盖松动，走上去晃动，很危险。",
        "reporter_phone": "13512345678",
        "attachments": [meta],
    }
    created = client.post("/api/v1/appeals", json=body)
    assert created.status_code == 201
    detail = client.get(
        f"/api/v1/work-orders/{created.json()['work_order_id']}",
        headers=users.headers("dispatcher"),
    ).json()
    assert detail["appeals"][0]["attachments"][0]["url"] == meta["url"]


def test_upload_refuses_what_is_not_a_photo_or_pdf(client, ctx):
    r = client.post(
        "/api/v1/attachments", files={"file": ("x.png", b"MZ\x90\x00evil", "image/png")}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    assert r.json()["errors"][0]["code"] == "file_type"
    ctx.settings.attachment_max_bytes = 10
    big = client.post("/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")})
    assert big.status_code == 422
    assert big.json()["errors"][0] | {"message": ""} == {
        "field": "file",
        "code": "file_too_large",
        "params": {"max_mb": 0},
        "message": "",
    }
    ctx.settings.attachment_max_bytes = 10 * 1024 * 1024
    assert client.get("/api/v1/attachments/nope").status_code == 404
    assert client.get("/api/v1/attachments/..%2F..%2Fsecret_key").status_code == 404


def test_admin_imports_files_over_http(client, users: Users):
    h = users.headers("admin")
    depts = "code,name,level,region_code\nD-NEW,市新部门,city,990100\n".encode()
    r = client.post(
        "/api/v1/departments/import", headers=h, files={"file": ("d.csv", depts, "text/csv")}
    )
    assert r.status_code == 200 and r.json() == {"imported": 1}
    rules = "category,lead,co,normal\n环境保护,D-NEW,,4d\n".encode()
    r = client.post(
        "/api/v1/linkage-rules/import", headers=h, files={"file": ("r.csv", rules, "text/csv")}
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    bad = "category,lead,co,normal\n环境保护,D-NOPE,,4d\n".encode()
    r = client.post(
        "/api/v1/linkage-rules/import", headers=h, files={"file": ("r.csv", bad, "text/csv")}
    )
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "row": 2,
        "field": "lead",
        "code": "unknown_department",
        "params": {"value": "D-NOPE", "field": "lead"},
        "message": "承办单位“D-NOPE”不存在",
        "message_en": "No department has the code 'D-NOPE'",
        "hint": "在“部门”页查到正确编码，或先导入部门",
        "hint_en": "Look the code up on the Departments page, or import the department first",
    }
    tax = "一级分类,二级分类,三级分类\n交通运输,公交,线路调整\n".encode()
    r = client.post(
        "/api/v1/categories/import", headers=h, files={"file": ("t.csv", tax, "text/csv")}
    )
    assert r.json() == {"imported": 3}
    denied = client.post(
        "/api/v1/departments/import",
        headers=users.headers("dispatcher"),
        files={"file": ("d.csv", depts, "text/csv")},
    )
    assert denied.status_code == 403


PDF = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"


def test_downloads_need_a_session_or_a_signed_link(client, users: Users, ctx):
    meta = client.post("/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")}).json()
    assert client.get(meta["url"]).status_code == 401  # anonymous, no link
    assert client.get(meta["download_url"]).content == PNG  # the signed link
    assert client.get(meta["url"], headers=users.headers("cg")).status_code == 200
    forged = meta["download_url"].replace("sig=", "sig=0")
    assert client.get(forged).status_code == 401
    from cityloop.services import attachments

    ident = meta["url"].rsplit("/", 1)[1]
    old = attachments.download_url(meta["url"], now=0)  # expired long ago
    assert "exp=" in old and client.get(old).status_code == 401
    assert not attachments.link_valid(ident, None, None)


def test_served_sandboxed_non_images_as_downloads(client, users: Users):
    pdf = client.post("/api/v1/attachments", files={"file": ("x.pdf", PDF)}).json()
    r = client.get(pdf["download_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert r.headers["x-content-type-options"] == "nosniff"
    img = client.get(
        client.post("/api/v1/attachments", files={"file": ("a.png", PNG)}).json()["download_url"]
    )
    assert img.headers["content-disposition"].startswith("inline")
    assert img.headers["content-security-policy"].startswith("sandbox")
    # A RIFF file that is not WebP (WAV, AVI) is not an image.
    wav = client.post(
        "/api/v1/attachments", files={"file": ("a.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ")}
    )
    assert wav.status_code == 422


def test_attachment_urls_only_relative_or_https_to_configured_hosts(client, ctx):
    def appeal(url: str) -> int:
        body = {
            "channel": "web",
            "content": "小区门口井盖松动，走上去晃动，很危险。",
            "reporter_phone": "13512345678",
            "attachments": [{"name": "x", "url": url}],
        }
        return client.post("/api/v1/appeals", json=body).status_code

    for bad in (
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//evil.example/x.png",
        "http://cdn.example/x.png",
        "https://evil.example/x.png",
    ):
        assert appeal(bad) == 422, bad
    assert appeal("/api/v1/attachments/abc") == 201
