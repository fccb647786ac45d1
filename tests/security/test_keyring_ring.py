"""The keyring's pure core: real SM4 (GB/T 32907 and RFC 8998 vectors), round trips per
algorithm, the v1 format still read, headers bound to the value, digests that ignore rotation,
and errors that say what is wrong."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cityloop.security.keyring import document
from cityloop.security.keyring.algorithms import AES_256_GCM, ALGORITHMS, SM4_GCM
from cityloop.security.keyring.ring import (
    CipherError,
    FieldKey,
    Keyring,
    index_secret_of,
    next_key_id,
)

COMMUNITY = bytes(range(32))
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def _ring(*extra: FieldKey, active: str = "k1") -> Keyring:
    legacy = FieldKey("k1", AES_256_GCM, COMMUNITY)
    return Keyring((legacy, *extra), active, "k1", index_secret_of(COMMUNITY))


def _sm4(kid: str = "k2") -> FieldKey:
    return FieldKey(kid, SM4_GCM, os.urandom(16), "2026-12-01T00:00:00+00:00")


def _aes(kid: str) -> FieldKey:
    return FieldKey(kid, AES_256_GCM, os.urandom(32))


def test_sm4_is_the_gbt_32907_block_cipher() -> None:
    """GB/T 32907-2016 appendix A, example 1: one block, key = plaintext."""
    block = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor().update(SM4_KEY)
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_matches_rfc_8998() -> None:
    """RFC 8998 appendix A.1 (SM4-GCM), through the keyring's own seal and open."""
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    sealed = ALGORITHMS[SM4_GCM].seal(SM4_KEY, nonce, plain, aad)
    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert ALGORITHMS[SM4_GCM].open(SM4_KEY, nonce, sealed, aad) == plain


@pytest.mark.parametrize("make", [lambda: _aes("k2"), lambda: _sm4("k2")], ids=["aes", "sm4"])
def test_round_trip_per_algorithm(make) -> None:  # type: ignore[no-untyped-def]
    key = make()
    ring = _ring(key, active="k2")
    value = "110101199003071234 张三 13800001111"
    token = ring.encrypt(value)
    assert token is not None and token.startswith(f"v2:k2:{key.algorithm}:")
    assert "13800001111" not in token and "张三" not in token
    assert ring.encrypt(value) != token  # a fresh nonce each time
    assert ring.decrypt(token) == value
    assert ring.key_of(token) == "k2" and ring.is_current(token)
    assert ring.encrypt("") is None and ring.encrypt(None) is None and ring.decrypt(None) is None


def test_a_v1_value_still_decrypts_and_counts_as_the_community_key() -> None:
    nonce = os.urandom(12)
    sealed = AESGCM(COMMUNITY).encrypt(nonce, b"13800001111", b"cityloop-community")
    v1 = "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()
    ring = _ring(_sm4(), active="k2")  # even after a rotation
    assert ring.decrypt(v1) == "13800001111"
    assert ring.key_of(v1) == "k1" and not ring.is_current(v1)


def test_rotation_keeps_old_values_readable_and_digests_equal() -> None:
    before = _ring()
    old = before.encrypt("110101199003071234")
    after = _ring(_sm4(), active="k2")
    assert after.decrypt(old) == "110101199003071234"
    assert after.digest("110101199003071234") == before.digest(" 110101199003071234 ")
    assert after.digest("110101199003071234x") != after.digest("110101199003071234")
    assert after.digest("") is None


def _flip(token: str, at: int) -> str:
    ch = "A" if token[at] != "A" else "B"
    return token[:at] + ch + token[at + 1 :]


def test_altered_values_and_headers_do_not_open() -> None:
    k2 = _aes("k2")
    k3 = FieldKey("k3", AES_256_GCM, k2.secret)  # the same secret: only the header differs
    ring = _ring(k2, k3, active="k2")
    token = ring.encrypt("13800001111")
    assert token is not None
    with pytest.raises(CipherError) as err:
        ring.decrypt(_flip(token, len(token) - 5), "phone")
    assert err.value.code == "tampered" and err.value.field == "phone"
    assert "phone" in str(err.value) and "k2" in str(err.value)
    # The header is authenticated: naming another key id does not open, even with equal bytes.
    with pytest.raises(CipherError) as err:
        ring.decrypt(token.replace("v2:k2:", "v2:k3:", 1))
    assert err.value.code == "tampered" and err.value.key_id == "k3"
    with pytest.raises(CipherError) as err:
        ring.decrypt(token.replace(":aes-256-gcm:", ":sm4-gcm:", 1))
    assert err.value.code == "algorithm_mismatch"


def test_unknown_key_and_unknown_format_name_what_is_wrong() -> None:
    token = _ring(_sm4("k7"), active="k7").encrypt("x")
    assert token is not None
    with pytest.raises(CipherError) as err:
        _ring().decrypt(token, "id_number")
    assert (err.value.code, err.value.key_id, err.value.field) == ("unknown_key", "k7", "id_number")
    for bad in ("13800001111", "v3:k1:aes-256-gcm:AAAA", "v2:k1"):
        with pytest.raises(CipherError) as err:
            _ring().decrypt(bad, "phone")
        assert err.value.code == "unknown_format" and err.value.field == "phone"


def test_keys_are_checked_when_the_ring_is_built() -> None:
    with pytest.raises(CipherError, match="16 bytes"):
        FieldKey("k2", SM4_GCM, os.urandom(32))
    with pytest.raises(CipherError, match="algorithm"):
        FieldKey("k2", "des", os.urandom(8))
    with pytest.raises(CipherError, match="key id"):
        FieldKey("K 2", AES_256_GCM, os.urandom(32))
    with pytest.raises(CipherError, match="active key 'k9'"):
        _ring(_sm4(), active="k9")
    with pytest.raises(CipherError, match="twice"):
        _ring(_sm4("k2"), _sm4("k2"))


def test_document_round_trip_and_errors_name_the_entry() -> None:
    doc = document.RingDocument((_sm4("k2"), _aes("k3")), "k3")
    again = document.load(document.dump(doc), "f.json")
    assert again == doc
    bad = '{"keys": [{"id": "k2", "algorithm": "sm4-gcm", "key": "c2hvcnQ="}]}'
    with pytest.raises(CipherError) as err:
        document.load(bad, "/etc/keys.json")
    assert "/etc/keys.json" in str(err.value) and "keys[0]" in str(err.value)
    assert "16 bytes" in str(err.value)
    with pytest.raises(CipherError, match=r"keys\[0\]\.algorithm"):
        document.load('{"keys": [{"id": "k2", "key": "AAAA"}]}', "f")
    with pytest.raises(CipherError, match="not JSON"):
        document.load("{", "f")
    assert document.load("", "f") == document.RingDocument()


def test_next_key_id_follows_the_highest() -> None:
    assert next_key_id(["k1"]) == "k2"
    assert next_key_id(["k1", "k9", "k10", "prod"]) == "k11"
