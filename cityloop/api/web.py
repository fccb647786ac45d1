"""Serve the built web console (web/ → cityloop/web_dist/) at `/`.

`mount_web(app)` adds the static assets and a fallback that answers index.html for the
console's client-side routes. When the build is absent it does nothing: the API still works.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

WEB_DIST = Path(__file__).resolve().parents[1] / "web_dist"
_NOT_CONSOLE = ("api/", "docs", "redoc", "openapi.json", "open311/")


def mount_web(app: FastAPI, dist: Path | None = None) -> bool:
    """Serve the console if it was built; answer True when it is mounted."""
    root = (dist or WEB_DIST).resolve()
    index = root / "index.html"
    if not index.is_file():
        return False
    assets = root / "assets"
    if assets.is_dir():
        # Hashed file names: cache them for a year.
        app.mount("/assets", _ImmutableStatic(directory=assets), name="web-assets")

    @app.get("/{path:path}", include_in_schema=False)
    def console(path: str, request: Request) -> Response:
        if path.startswith(_NOT_CONSOLE):
            raise HTTPException(404, "未找到 Not found")
        if path:
            candidate = (root / path).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return FileResponse(candidate)
        # A client-side route: the single page decides what to show.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return True


class _ImmutableStatic(StaticFiles):
    async def get_response(self, path: str, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
