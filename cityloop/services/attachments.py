"""Photos and documents attached to appeals (随手拍 photos, scanned letters), stored under the
data directory with an unguessable id; the appeal keeps only the metadata."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
            # RIFF also starts WAV and AVI files: WebP names itself at byte 8.
            if magic == b"RIFF" and data[8:12] != b"WEBP":
                return None
            return content_type
    return None


# -- where attachment URLs may point, and signed download links ---------------------------
@dataclass
class LinkPolicy:
    hosts: frozenset[str] = frozenset()
    key: bytes = b""
    lifetime: int = 300


_policy = LinkPolicy()


def configure(hosts: list[str], key: str, lifetime: int) -> None:
    """Set once per process from the settings (cityloop.api.hardening.install)."""
    global _policy
    _policy = LinkPolicy(
        frozenset(h.lower() for h in hosts),
        hashlib.sha256(b"cityloop attachment link\x00" + key.encode()).digest(),
        lifetime,
    )


def url_allowed(url: str) -> bool:
    """Relative URLs (our own uploads), or https to a configured host; never javascript:,
    data:, protocol-relative or plain-http URLs."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and not url.startswith("//") and "\\" not in url
    return parts.scheme == "https" and (parts.hostname or "").lower() in _policy.hosts


def _signature(ident: str, expires: int) -> str:
    return hmac.new(_policy.key, f"{ident}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def download_url(url: str, now: float | None = None) -> str:
    """Our own attachment's URL with a signed, expiring grant (for <img> and links, which send
    no bearer token); other URLs as they are."""
    prefix = "/api/v1/attachments/"
    if not url.startswith(prefix) or "?" in url:
        return url
    ident = url[len(prefix) :]
    expires = int((time.time() if now is None else now) + _policy.lifetime)
    return f"{url}?exp={expires}&sig={_signature(ident, expires)}"


def link_valid(ident: str, exp: int | None, sig: str | None, now: float | None = None) -> bool:
    if exp is None or not sig or not _policy.key:
        return False
    if exp < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_signature(ident, exp), sig)


def store(ctx: CityLoop, name: str, data: bytes) -> StoredAttachment:
    if not data:
        raise InvalidCommand("file", "file_empty")
    if len(data) > ctx.settings.attachment_max_bytes:
        limit = ctx.settings.attachment_max_bytes // (1024 * 1024)
        raise InvalidCommand("file", "file_too_large", {"max_mb": limit})
    # The bytes decide the type, not the name or the client's header.
    content_type = sniff(data)
    if content_type is None:
        raise InvalidCommand("file", "file_type")
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
