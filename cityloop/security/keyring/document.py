"""The keyring document: the keys beyond the community key and which one is active (pure).

    {"active": "k2",
     "keys": [{"id": "k2", "algorithm": "sm4-gcm", "key": "<urlsafe base64>",
               "created_at": "2026-12-01T14:00:00+00:00"}]}

The same JSON is kept in a file (data_dir/field_keys.json, 0600) or given whole in the
environment (CITYLOOP_FIELD_KEYS, from a secret store). The community key is not in it: it is
key `k1`, read where it always was, and the root of the lookup digests.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cityloop.security.keyring.ring import CipherError, FieldKey


@dataclass(frozen=True)
class RingDocument:
    keys: tuple[FieldKey, ...] = ()
    active: str | None = None  # None: the community key


def _bad(source: str, where: str, what: str) -> CipherError:
    return CipherError("bad_keyring", f"{source}: {where}: {what}")


def _key(source: str, i: int, item: Any) -> FieldKey:
    where = f"keys[{i}]"
    if not isinstance(item, dict):
        raise _bad(source, where, "应为对象 expected an object")
    for name in ("id", "algorithm", "key"):
        if not isinstance(item.get(name), str) or not item[name]:
            raise _bad(source, f"{where}.{name}", "缺少或不是字符串 missing or not a string")
    try:
        secret = base64.urlsafe_b64decode(item["key"].encode())
    except (binascii.Error, ValueError):
        raise _bad(source, f"{where}.key", "不是 urlsafe base64 not urlsafe base64") from None
    try:
        return FieldKey(item["id"], item["algorithm"], secret, str(item.get("created_at", "")))
    except CipherError as exc:
        raise _bad(source, where, exc.detail) from None


def load(text: str, source: str) -> RingDocument:
    """Parse a document; every problem names the source and the entry."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise _bad(source, f"line {exc.lineno}", f"不是 JSON not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _bad(source, "top level", "应为对象 expected an object")
    items = data.get("keys", [])
    if not isinstance(items, list):
        raise _bad(source, "keys", "应为数组 expected a list")
    keys = tuple(_key(source, i, item) for i, item in enumerate(items))
    active = data.get("active")
    if active is not None and not isinstance(active, str):
        raise _bad(source, "active", "应为密钥编号 expected a key id")
    return RingDocument(keys, active or None)


def dump(doc: RingDocument) -> str:
    return json.dumps(
        {
            "active": doc.active,
            "keys": [
                {
                    "id": k.id,
                    "algorithm": k.algorithm,
                    "key": base64.urlsafe_b64encode(k.secret).decode(),
                    "created_at": k.created_at,
                }
                for k in doc.keys
            ],
        },
        indent=2,
    )
