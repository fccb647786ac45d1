"""Where the field keys live (密钥存储), and the keyring a process uses.

- `k1`, the community key: CITYLOOP_COMMUNITY_KEY (urlsafe base64 of 32 bytes), else generated
  once into data_dir/community_key (0600) — as before the keyring, so v1 rows open unchanged.
  It is also the root of the lookup digests and is never retired.
- The keys made by rotation, and which key is active: CITYLOOP_FIELD_KEYS (the whole JSON
  document, for a secret store in production), else the file CITYLOOP_FIELD_KEYS_FILE,
  default data_dir/field_keys.json (0600), written by `cityloop keys rotate`.

The keyring is cached per process and re-read when the file changes, so a rotation on one
worker is seen by the others at their next use case.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cityloop.security.keyring import document
from cityloop.security.keyring.algorithms import AES_256_GCM, ALGORITHMS
from cityloop.security.keyring.document import RingDocument
from cityloop.security.keyring.ring import (
    CipherError,
    FieldKey,
    Keyring,
    index_secret_of,
    next_key_id,
)
from cityloop.settings import Settings

LEGACY_ID = "k1"
COMMUNITY_KEY_FILE = "community_key"
RING_FILE = "field_keys.json"
_lock = threading.Lock()
_cache: dict[tuple[object, ...], Keyring] = {}


def generate_key(nbytes: int = 32) -> str:
    return base64.urlsafe_b64encode(os.urandom(nbytes)).decode()


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), replacing it atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _community_key(settings: Settings) -> tuple[str, str]:
    """The community key's text and when it was made ("" when set in the environment)."""
    configured = settings.community_key or os.environ.get("CITYLOOP_COMMUNITY_KEY", "")
    if configured:
        return str(configured), ""
    path = settings.ensure_data_dir() / COMMUNITY_KEY_FILE
    with _lock:
        if not path.exists():
            _write_private(path, generate_key())
    made = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return path.read_text().strip(), made


def ring_source(settings: Settings) -> tuple[str, Path | None]:
    """("env", None) when the environment carries the keyring, else ("file", its path)."""
    if settings.field_keys:
        return "env", None
    return "file", settings.field_keys_file or settings.data_dir / RING_FILE


def _document(settings: Settings) -> tuple[RingDocument, tuple[object, ...]]:
    kind, path = ring_source(settings)
    if path is None:
        return document.load(settings.field_keys, "CITYLOOP_FIELD_KEYS"), (
            "env",
            settings.field_keys,
        )
    try:
        st = path.stat()
    except FileNotFoundError:
        return RingDocument(), (kind, str(path), None)
    signature = (kind, str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    return document.load(path.read_text(), str(path)), signature


def _build(community: tuple[str, str], doc: RingDocument) -> Keyring:
    text, made = community
    try:
        secret = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        raise CipherError("bad_keyring", "CITYLOOP_COMMUNITY_KEY: not urlsafe base64") from None
    if len(secret) != 32:
        raise CipherError(
            "bad_keyring", "CITYLOOP_COMMUNITY_KEY: must be urlsafe base64 of 32 bytes"
        )
    legacy = FieldKey(LEGACY_ID, AES_256_GCM, secret, made)
    if any(k.id == LEGACY_ID for k in doc.keys):
        raise CipherError("bad_keyring", f"key id {LEGACY_ID} is the community key's")
    return Keyring((legacy, *doc.keys), doc.active or LEGACY_ID, LEGACY_ID, index_secret_of(secret))


def keyring_for(settings: Settings) -> Keyring:
    """The process's keyring for these settings (re-read when its file changes)."""
    community = _community_key(settings)
    doc, signature = _document(settings)
    cache_key = (community[0], *signature)
    found = _cache.get(cache_key)
    if found is None:
        found = _cache[cache_key] = _build(community, doc)
    return found


@contextmanager
def _ring_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def rotated(settings: Settings, algorithm: str, now: datetime) -> tuple[RingDocument, FieldKey]:
    """The document with one new key, active, of this algorithm (nothing is written)."""
    if algorithm not in ALGORITHMS:
        raise CipherError("bad_keyring", f"algorithm {algorithm!r}, one of {', '.join(ALGORITHMS)}")
    doc, _sig = _document(settings)
    new = FieldKey(
        next_key_id([LEGACY_ID, *(k.id for k in doc.keys)]),
        algorithm,
        ALGORITHMS[algorithm].new_key(),
        now.astimezone(UTC).isoformat(timespec="seconds"),
    )
    return replace(doc, keys=(*doc.keys, new), active=new.id), new


def rotate_file(settings: Settings, algorithm: str, now: datetime) -> tuple[FieldKey, str]:
    """Add a new active key to the keyring file; returns it and the key active before."""
    kind, path = ring_source(settings)
    if path is None:
        raise CipherError("bad_keyring", "the keyring is CITYLOOP_FIELD_KEYS, not a file")
    with _ring_lock(path):
        before = keyring_for(settings).active.id
        doc, new = rotated(settings, algorithm, now)
        _build(_community_key(settings), doc)  # the new document must load before it lands
        _write_private(path, document.dump(doc))
    return new, before
