"""Photos and documents attached to appeals (随手拍 photos, scanned letters), stored under the
data directory with an unguessable id; the appeal keeps only the metadata."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cityloop.domain.errors import InvalidCommand
from cityloop.services.context import CityLoop

# What residents and staff attach; anything else is refused rather than stored.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
}
_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"RIFF": "image/webp",
    b"GIF8": "image/gif",
    b"%PDF": "application/pdf",
}


@dataclass(frozen=True)
class StoredAttachment:
    id: str
    name: str
    content_type: str
    size: int

    @property
    def url(self) -> str:
        return f"/api/v1/attachments/{self.id}"


def _root(ctx: CityLoop) -> Path:
    root = ctx.settings.data_dir / "attachments"
    root.mkdir(parents=True, exist_ok=True)
    return root


def sniff(data: bytes) -> str | None:
    for magic, content_type in _MAGIC.items():
        if data.startswith(magic):
            return content_type
    return None


def store(ctx: CityLoop, name: str, data: bytes) -> StoredAttachment:
    if not data:
        raise InvalidCommand("file", "the file is empty")
    if len(data) > ctx.settings.attachment_max_bytes:
        limit = ctx.settings.attachment_max_bytes // (1024 * 1024)
        raise InvalidCommand("file", f"larger than {limit} MB")
    # The bytes decide the type, not the name or the client's header.
    content_type = sniff(data)
    if content_type is None:
        raise InvalidCommand("file", "only JPEG, PNG, WebP, GIF images and PDF are accepted")
    ident = secrets.token_urlsafe(18)
    (_root(ctx) / (ident + ALLOWED_TYPES[content_type])).write_bytes(data)
    safe_name = Path(name or "file").name[:200]
    return StoredAttachment(ident, safe_name, content_type, len(data))


def find(ctx: CityLoop, ident: str) -> tuple[Path, str] | None:
    if not ident or not all(c.isalnum() or c in "-_" for c in ident):
        return None
    for content_type, suffix in ALLOWED_TYPES.items():
        path = _root(ctx) / (ident + suffix)
        if path.is_file():
            return path, content_type
    return None
