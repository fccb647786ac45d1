"""Encryption of personal data at rest (个人信息加密存储): now the shared keyring
(`cityloop.security.keyring`); these names stay for the community package's callers.
"""

from __future__ import annotations

from cityloop.security.keyring import CipherError, Keyring, keyring_for
from cityloop.security.keyring.storage import generate_key

FieldCipher = Keyring
KeyError_ = CipherError
cipher_for = keyring_for

__all__ = ["FieldCipher", "KeyError_", "cipher_for", "generate_key"]
