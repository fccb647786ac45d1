"""The authenticated ciphers a field may be sealed with (pure: no settings, no storage).

AES-256-GCM (the default) and SM4-GCM (国密 SM4, GB/T 32907-2016, in GCM mode as RFC 8998
uses it for TLS): a 12-byte nonce, a 16-byte tag appended to the ciphertext, associated data
that binds the value's header. Both come from `cryptography` (OpenSSL).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AES_256_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
NONCE_BYTES = 12
TAG_BYTES = 16

Seal = Callable[[bytes, bytes, bytes, bytes], bytes]  # key, nonce, plaintext, aad → sealed


@dataclass(frozen=True)
class Algorithm:
    name: str
    key_bytes: int
    seal: Seal  # ciphertext ‖ tag
    open: Seal  # raises InvalidTag when the value or its header was changed

    def new_key(self) -> bytes:
        return secrets.token_bytes(self.key_bytes)


def _aes_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    return AESGCM(key).encrypt(nonce, data, aad)


def _aes_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(nonce, sealed, aad)


def _sm4_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    return enc.update(data) + enc.finalize() + enc.tag


def _sm4_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < TAG_BYTES:
        raise InvalidTag
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(sealed[:-TAG_BYTES]) + dec.finalize()


ALGORITHMS: dict[str, Algorithm] = {
    AES_256_GCM: Algorithm(AES_256_GCM, 32, _aes_seal, _aes_open),
    SM4_GCM: Algorithm(SM4_GCM, 16, _sm4_seal, _sm4_open),
}
