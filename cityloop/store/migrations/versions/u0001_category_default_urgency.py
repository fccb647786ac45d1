"""urgency: a default urgency per category (分类默认紧急程度: normal, urgent, life_safety)

A category such as 燃气泄漏 or 电梯困人 is urgent whatever the caller's words; intake takes
the highest of the operator's choice, this default and what the text shows. Blank (NULL)
means the category inherits its parent's default, and none at the top means normal.

Revision ID: u0001
Revises: 0004
Create Date: 2026-12-01 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "u0001"
down_revision = "0004"
branch_labels = ("urgency",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("default_urgency", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("default_urgency")
