"""HTTP hardening (入侵防范): security headers on every response, and the API docs from local
assets (no CDN), switched off in production by CITYLOOP_API_DOCS=false.

The middleware is plain ASGI (no BaseHTTPMiddleware: that costs every request a task and a
queue); it only adds headers a handler did not set itself, so an attachment's own sandboxing
policy wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from cityloop.settings import Settings

ASSETS = Path(__file__).parent / "docs_assets"


def content_security_policy(settings: Settings) -> str:
    """No inline script anywhere; images also from the configured map tiles' host."""
    img = ["'self'", "data:", "blob:"]
    tiles = urlsplit(settings.tile_url)
    if tiles.scheme and tiles.netloc:
        # A subdomain template ({s}.tile…, t{s}.tianditu…) becomes a wildcard label.
        first, _, rest = tiles.netloc.partition(".")
        host = f"*.{rest}" if "{" in first and rest else tiles.netloc
        img.append(f"{tiles.scheme}://{host}")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # Element Plus and Leaflet position elements with style attributes.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(img)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (
                b"permissions-policy",
                b"camera=(), microphone=(), payment=(), usb=(), geolocation=(self)",
            ),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.hsts = (b"strict-transport-security", f"max-age={settings.hsts_seconds}".encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                if tls and self.hsts[0] not in present:
                    headers.append(self.hsts)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    from cityloop.services import attachments

    attachments.configure(
        settings.attachment_hosts, settings.signing_key(), settings.download_link_seconds
    )
    app.add_middleware(SecurityHeaders, settings=settings)
    if settings.api_docs:
        _local_docs(app)


_DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>CityLoop API 文档</title>
<link rel="stylesheet" href="/docs-assets/vendor/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/docs-assets/vendor/swagger-ui-bundle.js"></script>
<script src="/docs-assets/init.js"></script>
</body></html>"""


def _local_docs(app: FastAPI) -> None:
    """Swagger UI 5 (OpenAPI 3.1) from the swagger-ui-py package's files, started by a file
    (CSP: no inline script)."""
    import swagger_ui

    vendor = Path(swagger_ui.__file__).parent / "static"
    app.mount("/docs-assets/vendor", StaticFiles(directory=vendor), name="docs-vendor")
    app.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)
