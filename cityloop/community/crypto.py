"""Encryption of personal data at rest (个人信息加密存储): AES-256-GCM with a key from the
settings (CITYLOOP_COMMUNITY_KEY), else one generated once into the data directory, as the token
signing key is. A keyed hash (HMAC-SHA256) lets an ID number be found without decrypting rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cityloop.settings import Settings

_PREFIX = "v1:"
_KEY_FILE = "community_key"
_lock = threading.Lock()
_cache: dict[str, FieldCipher] = {}


class KeyError_(Exception):
    """The configured key is not a 32-byte urlsafe-base64 value, or a value does not decrypt."""


@dataclass(frozen=True)
class FieldCipher:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise KeyError_("the community key must be 32 bytes (urlsafe base64 of 32 bytes)")

    def encrypt(self, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, value.encode(), b"cityloop-community")
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str | None) -> str | None:
        if not token:
            return None
        if not token.startswith(_PREFIX):
            raise KeyError_("unknown ciphertext format")
        raw = base64.urlsafe_b64decode(token[len(_PREFIX) :])
        try:
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], b"cityloop-community").decode()
        except InvalidTag as exc:
            raise KeyError_("the value does not decrypt with the configured key") from exc

    def digest(self, value: str | None) -> str | None:
        """A keyed hash for lookups and uniqueness (same value → same digest)."""
        if not value:
            return None
        mac_key = hashlib.sha256(b"cityloop-community-index" + self.key).digest()
        return hmac.new(mac_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _configured_key(settings: Settings) -> str:
    configured = getattr(settings, "community_key", "") or os.environ.get(
        "CITYLOOP_COMMUNITY_KEY", ""
    )
    if configured:
        return str(configured)
    path = settings.ensure_data_dir() / _KEY_FILE
    with _lock:
        if not path.exists():
            path.write_text(generate_key())
            path.chmod(0o600)
    return path.read_text().strip()


def cipher_for(settings: Settings) -> FieldCipher:
    text = _configured_key(settings)
    found = _cache.get(text)
    if found is None:
        try:
            key = base64.urlsafe_b64decode(text.encode())
        except ValueError as exc:
            raise KeyError_("CITYLOOP_COMMUNITY_KEY is not urlsafe base64") from exc
        found = _cache[text] = FieldCipher(key)
    return found
