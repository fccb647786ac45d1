"""就地处置: a work order reported and closed by the grid worker in one step

`work_orders.handled_on_spot` marks such orders; the KPI rollup counts them apart
(`analytics_kpi_daily.on_spot`: orders received in the period that were handled on the spot)
and leaves them out of the replies a department is judged on.

The rollup is derived data: the new column starts at 0 and the rollup watermark is dropped, so
KPI tables answer live until `cityloop analyse refresh-kpi --full` runs again.

Revision ID: m0001
Revises: a0002
Create Date: 2026-12-01 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0001"
down_revision = "a0002"
branch_labels = ("onspot",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(
            sa.Column("handled_on_spot", sa.Boolean(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("analytics_kpi_daily") as batch:
        batch.add_column(sa.Column("on_spot", sa.Integer(), nullable=False, server_default="0"))
    op.execute("DELETE FROM analytics_state WHERE name = 'kpi_rollup'")


def downgrade() -> None:
    with op.batch_alter_table("analytics_kpi_daily") as batch:
        batch.drop_column("on_spot")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("handled_on_spot")
