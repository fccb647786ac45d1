"""field keys: TOTP secrets encrypted at rest with the field keyring (字段加密)

The two secret columns widen to text (a sealed value is ~110 characters) and every plaintext
secret is sealed with the active field key. The keyring comes from the settings `cityloop init`
passes (else the environment's), so run it where the platform's keys are.

Downgrade opens the secrets again and narrows the columns back: the code of i0001 reads
plaintext. It stops, changing nothing, when a secret does not open with the keyring.

Revision ID: y0001
Revises: i0001
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "y0001"
down_revision = "i0001"
branch_labels = ("fieldkeys",)
depends_on = None

COLUMNS = ("totp_secret", "totp_pending_secret")
_table = sa.table(
    "user_security", sa.column("user_id"), *(sa.column(c, sa.Text()) for c in COLUMNS)
)


def _ring() -> Any:
    from cityloop.security.keyring import keyring_for
    from cityloop.settings import get_settings

    return keyring_for(context.config.attributes.get("settings") or get_settings())


def _rows() -> list[Any]:
    conn = op.get_bind()
    return list(
        conn.execute(sa.select(_table).where(sa.or_(*(_table.c[c].isnot(None) for c in COLUMNS))))
    )


def _rewrite(change: Any) -> None:
    rows = _rows()
    if not rows:
        return  # a fresh database: no key is needed (nor created)
    ring = _ring()
    conn = op.get_bind()
    for row in rows:
        values = {c: change(ring, c, row.user_id, getattr(row, c)) for c in COLUMNS}
        conn.execute(sa.update(_table).where(_table.c.user_id == row.user_id).values(values))


def _seal(ring: Any, _column: str, _user: int, value: str | None) -> str | None:
    if value is None or value.startswith(("v1:", "v2:")):
        return value
    return ring.encrypt(value)  # type: ignore[no-any-return]


def _open(ring: Any, column: str, user: int, value: str | None) -> str | None:
    from cityloop.security.keyring import CipherError

    if value is None or not value.startswith(("v1:", "v2:")):
        return value
    try:
        return ring.decrypt(value, column)  # type: ignore[no-any-return]
    except CipherError as exc:
        raise RuntimeError(f"user_security 行 row user_id={user}: {exc}") from exc


def upgrade() -> None:
    with op.batch_alter_table("user_security") as batch:
        for c in COLUMNS:
            batch.alter_column(c, type_=sa.Text(), existing_type=sa.String(length=64))
    _rewrite(_seal)


def downgrade() -> None:
    _rewrite(_open)
    with op.batch_alter_table("user_security") as batch:
        for c in COLUMNS:
            batch.alter_column(c, type_=sa.String(length=64), existing_type=sa.Text())
