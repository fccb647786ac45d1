"""Security headers on every answer, no server banner, API docs from local assets only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cityloop.api.app import create_app


def test_security_headers_everywhere(client):
    for path in ("/api/v1/health", "/api/v1/work-orders", "/docs", "/nowhere"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in r.headers["permissions-policy"]
        assert "server" not in r.headers
        assert "strict-transport-security" not in r.headers  # plain HTTP: no HSTS


def test_hsts_over_tls(ctx):
    tls = TestClient(create_app(ctx), base_url="https://testserver")
    r = tls.get("/api/v1/health")
    assert r.headers["strict-transport-security"] == f"max-age={ctx.settings.hsts_seconds}"


def test_docs_from_local_assets_and_off_in_production(ctx, client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "<script>" not in page.text  # no inline script
    assert client.get("/docs-assets/vendor/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/init.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404
    off = TestClient(
        create_app(
            ctx.__class__(
                **{**vars(ctx), "settings": ctx.settings.model_copy(update={"api_docs": False})}
            )
        )
    )
    for path in ("/docs", "/openapi.json", "/docs-assets/init.js"):
        assert off.get(path).status_code == 404, path
