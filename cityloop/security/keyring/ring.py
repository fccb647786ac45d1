"""A keyring of field keys and the self-describing ciphertext it writes (pure: no settings, no
files, no database).

    v2:<key id>:<algorithm>:<urlsafe base64 of nonce ‖ ciphertext ‖ tag>

The header `v2:<key id>:<algorithm>:` is the cipher's associated data, so neither the key id
nor the algorithm can be changed without the value failing to open. New values are sealed
with the active key; a value is opened with the key its header names, so rows written before a
rotation stay readable. The first format, `v1:<base64>` (AES-256-GCM under the community key,
associated data "cityloop-community"), is still read and never written.

Lookup digests (HMAC-SHA256 of the normalised value) use an index key that is not part of the
rotation: a digest is stored beside the ciphertext (an ID number's, unique) or stands for a
value that is never stored at all (a group-chat sender), so a new index key would orphan them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag

from cityloop.security.keyring.algorithms import AES_256_GCM, ALGORITHMS, NONCE_BYTES

V1 = "v1:"
V2 = "v2"
V1_AAD = b"cityloop-community"
KEY_ID = re.compile(r"^[a-z][a-z0-9]{0,15}$")

MESSAGES = {
    "unknown_format": "密文格式无法识别 unrecognised ciphertext format",
    "unknown_key": "密钥环中没有此密钥 key id not in the keyring",
    "tampered": "密文已被篡改或密钥不符 value was altered or the key does not match",
    "algorithm_mismatch": "密文的算法与密钥不符 algorithm differs from the key's",
    "bad_keyring": "密钥配置有误 keyring configuration is invalid",
}


class CipherError(Exception):
    """A stored value that does not open, or a key configuration that cannot be used.

    `code` is stable (see MESSAGES); `field` names the column when the caller gave it and
    `key_id` the key the value names."""

    def __init__(self, code: str, detail: str = "", *, field: str = "", key_id: str = "") -> None:
        self.code, self.detail, self.field, self.key_id = code, detail, field, key_id
        parts = [MESSAGES.get(code, code)]
        if field:
            parts.append(f"字段 field {field}")
        if key_id:
            parts.append(f"密钥 key {key_id}")
        if detail:
            parts.append(detail)
        super().__init__("; ".join(parts))


@dataclass(frozen=True)
class FieldKey:
    id: str
    algorithm: str
    secret: bytes = field(repr=False)
    created_at: str = ""  # ISO 8601; "" when unknown (a community key set before rings)

    def __post_init__(self) -> None:
        if not KEY_ID.match(self.id):
            raise CipherError("bad_keyring", f"key id {self.id!r}: lowercase letters and digits")
        spec = ALGORITHMS.get(self.algorithm)
        if spec is None:
            raise CipherError(
                "bad_keyring",
                f"key {self.id}: algorithm {self.algorithm!r}, one of {', '.join(ALGORITHMS)}",
            )
        if len(self.secret) != spec.key_bytes:
            raise CipherError(
                "bad_keyring",
                f"key {self.id}: {self.algorithm} needs {spec.key_bytes} bytes, "
                f"got {len(self.secret)}",
            )


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError) as exc:
        raise CipherError("unknown_format", f"{what}: not urlsafe base64") from exc


@dataclass(frozen=True)
class Envelope:
    """A stored value's header and body, read without opening it."""

    version: str  # "v1" or "v2"
    key_id: str
    algorithm: str
    body: str


def parse(token: str, legacy_id: str) -> Envelope:
    if token.startswith(V1):
        return Envelope("v1", legacy_id, AES_256_GCM, token[len(V1) :])
    parts = token.split(":", 3)
    if len(parts) != 4 or parts[0] != V2:
        raise CipherError("unknown_format", "expected v1:… or v2:<key>:<algorithm>:…")
    return Envelope(V2, parts[1], parts[2], parts[3])


class Keyring:
    """The keys a process may open values with, the one it seals new values with, and the
    index key of lookup digests."""

    def __init__(
        self, keys: Iterable[FieldKey], active: str, legacy: str, index_secret: bytes
    ) -> None:
        self.keys: dict[str, FieldKey] = {}
        for k in keys:
            if k.id in self.keys:
                raise CipherError("bad_keyring", f"key id {k.id} appears twice")
            self.keys[k.id] = k
        for name, kid in (("active", active), ("legacy", legacy)):
            if kid not in self.keys:
                raise CipherError("bad_keyring", f"{name} key {kid!r} is not in the keyring")
        self.active = self.keys[active]
        self.legacy = self.keys[legacy]
        if self.legacy.algorithm != AES_256_GCM:
            raise CipherError("bad_keyring", "the v1 (community) key is AES-256-GCM")
        self._mac_key = index_secret

    def encrypt(self, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        k = self.active
        header = f"{V2}:{k.id}:{k.algorithm}:"
        nonce = os.urandom(NONCE_BYTES)
        sealed = ALGORITHMS[k.algorithm].seal(k.secret, nonce, value.encode(), header.encode())
        return header + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str | None, field: str = "") -> str | None:
        if not token:
            return None
        try:
            env = parse(token, self.legacy.id)
        except CipherError as exc:
            raise CipherError(exc.code, exc.detail, field=field) from None
        key = self.keys.get(env.key_id)
        if key is None:
            raise CipherError("unknown_key", field=field, key_id=env.key_id)
        if env.algorithm != key.algorithm:
            raise CipherError(
                "algorithm_mismatch",
                f"{env.algorithm} ≠ {key.algorithm}",
                field=field,
                key_id=key.id,
            )
        raw = _b64(env.body, field or "value")
        aad = V1_AAD if env.version == "v1" else token[: len(token) - len(env.body)].encode()
        try:
            plain = ALGORITHMS[key.algorithm].open(
                key.secret, raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad
            )
        except (InvalidTag, ValueError) as exc:
            raise CipherError("tampered", field=field, key_id=key.id) from exc
        try:
            return plain.decode()
        except UnicodeDecodeError as exc:
            raise CipherError("tampered", "not UTF-8 text", field=field, key_id=key.id) from exc

    def key_of(self, token: str) -> str:
        """The id of the key a stored value names (without opening it)."""
        return parse(token, self.legacy.id).key_id

    def is_current(self, token: str | None) -> bool:
        """Whether the value is already sealed in the current format with the active key."""
        return bool(token) and str(token).startswith(f"{V2}:{self.active.id}:")

    def digest(self, value: str | None) -> str | None:
        """A keyed hash for lookups and uniqueness (same value → same digest, any key)."""
        if not value:
            return None
        return hmac.new(self._mac_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def index_secret_of(community_key: bytes) -> bytes:
    """The lookup digests' key, derived from the community key as it always was."""
    return hashlib.sha256(b"cityloop-community-index" + community_key).digest()


def next_key_id(existing: Iterable[str]) -> str:
    """k<n+1> after the highest k<n> in use."""
    numbers = [int(k[1:]) for k in existing if re.fullmatch(r"k[0-9]+", k)]
    return f"k{max(numbers, default=0) + 1}"
