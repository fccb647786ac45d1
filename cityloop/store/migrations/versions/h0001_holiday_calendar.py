"""The holiday calendar as data (holiday_years, holiday_days), seeded from chinesecalendar; the
ticket counters set to the numbers actually used

The calendar tables take the arrangement the installed `chinesecalendar` package knows (2004 up
to its last year); later years are added by administrators (console, API or
`cityloop import holidays`). Ticket numbers used to be handed out in blocks of 100, so a day's
counter ran ahead of its last ticket; numbering now follows each appeal, and the counters are set
back to the highest number used so the day goes on without a gap.

Revision ID: h0001
Revises: 0004
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

import cityloop.store.models

revision = "h0001"
down_revision = "0004"
branch_labels = ("calendar",)
depends_on = None

Utc = cityloop.store.models.UtcDateTime(timezone=True)
SEEDER = "chinesecalendar"
# Kept here, not imported, so this migration seeds the same way whatever the code becomes.
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_arrangement() -> dict[int, list[tuple[date, str, str]]]:
    import chinese_calendar

    out: dict[int, list[tuple[date, str, str]]] = {}
    for table, kind, suffix in (
        (chinese_calendar.holidays, "holiday", ""),
        (chinese_calendar.workdays, "workday", "调休"),
    ):
        for day, name in table.items():
            out.setdefault(day.year, []).append((day, kind, NAMES_ZH.get(name, name) + suffix))
    return out


def upgrade() -> None:
    years = op.create_table(
        "holiday_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", Utc, nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    days = op.create_table(
        "holiday_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_at", Utc, nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_index("ix_holiday_days_year", "holiday_days", ["year"])
    now = datetime.now(UTC)
    arrangement = package_arrangement()
    op.bulk_insert(
        years,
        [
            {"year": y, "source": SEEDER, "revision": 1, "updated_at": now, "updated_by": SEEDER}
            for y in sorted(arrangement)
        ],
    )
    op.bulk_insert(
        days,
        [
            {
                "day": d,
                "year": y,
                "kind": kind,
                "name": name,
                "source": SEEDER,
                "updated_at": now,
                "updated_by": SEEDER,
            }
            for y, listed in sorted(arrangement.items())
            for d, kind, name in listed
        ],
    )
    # 20261201-000123 → day 20261201, number 123 (substr is 1-based on both databases).
    op.execute(
        """
        UPDATE ticket_counters SET value = COALESCE((
            SELECT MAX(CAST(SUBSTR(a.ticket_no, 10) AS INTEGER)) FROM appeals a
            WHERE SUBSTR(a.ticket_no, 1, 8) = ticket_counters.day
        ), 0)
        """
    )


def downgrade() -> None:
    op.drop_index("ix_holiday_days_year", table_name="holiday_days")
    op.drop_table("holiday_days")
    op.drop_table("holiday_years")
