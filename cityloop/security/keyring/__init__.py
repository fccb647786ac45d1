"""Field encryption at rest (个人信息加密存储) with a keyring: AES-256-GCM or SM4-GCM, a key id
in every value, rotation without rewriting (old rows stay readable), lookup digests that do not
change with the keys.

- `algorithms`: the two AEAD ciphers (pure).
- `ring`: the keyring and the self-describing ciphertext (pure).
- `document`: the JSON document of rotated keys (pure).
- `storage`: where keys live (environment, data directory) and the process's keyring.
- `columns`: the encrypted columns, counts per key, re-encryption in batches.
- `service`, `cli`: `cityloop keys list | rotate | reencrypt`, audited.
"""

from cityloop.security.keyring.ring import CipherError, Keyring
from cityloop.security.keyring.storage import keyring_for

__all__ = ["CipherError", "Keyring", "keyring_for"]
