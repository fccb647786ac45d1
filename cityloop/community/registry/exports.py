"""Exporting residents (导出) as CSV or Excel: masked, or in full for the roles that may see
full records, with a reason; every export is audited with its row count.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from cityloop.community import access
from cityloop.community.common import audit
from cityloop.community.crypto import cipher_for
from cityloop.community.registry.records import Viewer, care_tags_of, place_of, read_guard, scoped
from cityloop.community.store import HouseholdRow, ResidentRow
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop

EXPORT_COLUMNS = [
    ("id", "编号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_year", "出生年份"),
    ("id_number", "身份证号"),
    ("phone", "电话"),
    ("address", "住址"),
    ("household_code", "户码"),
    ("relation", "与户主关系"),
    ("residence", "户籍类型"),
    ("care_tags", "关爱标签"),
    ("grid_code", "网格"),
]


def export_residents(
    ctx: CityLoop, actor: Actor, fmt: str, region: str | None, full: bool, reason: str
) -> tuple[bytes, str]:
    """Residents in the actor's jurisdiction as CSV or Excel: masked, or — for the roles that
    may see full records — in full with a reason, audited with the row count."""
    read_guard(actor)
    if fmt not in ("csv", "xlsx"):
        raise InvalidCommand("format", "enum", {"expected": ["csv", "xlsx"]})
    if full:
        target = region or actor.region_code or ""
        if actor.role.value != "admin" and not access.may_see_full(actor, target):
            raise PermissionDenied("无权导出完整个人信息 full export is not for this role")
        if region and not access.may_see_full(actor, region):
            raise PermissionDenied("outside your jurisdiction")
        if len(reason.strip()) < 2:
            raise InvalidCommand("reason", "reason_full_data")
    cipher = cipher_for(ctx.settings)
    stmt = scoped(
        select(ResidentRow, HouseholdRow)
        .outerjoin(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
        .where(ResidentRow.active.is_(True)),
        ResidentRow.grid_code,
        actor,
        region,
    ).order_by(ResidentRow.id)
    with ctx.uow() as uow:
        s = uow.session
        pairs = list(s.execute(stmt).all())
        tags = care_tags_of(s, [r.id for r, _h in pairs])
        addresses: dict[int, str] = {}
        viewer = Viewer(actor, cipher, full)
        records = []
        for r, h in pairs:
            if h is not None and h.house_id not in addresses:
                addresses[h.house_id] = place_of(s, h.house_id)["address"]
            v = viewer.resident(r, tags[r.id])
            v["address"] = addresses.get(h.house_id, "") if h is not None else ""
            v["household_code"] = h.code if h is not None else ""
            v["care_tags"] = "|".join(t["tag"] for t in v["care_tags"])
            records.append(v)
        audit(
            s,
            actor,
            "community.export",
            "residents",
            {"rows": len(records), "full": full, "reason": reason.strip(), "region": region},
        )
        uow.commit()
    header = [label for _k, label in EXPORT_COLUMNS]
    table = [[_text(rec.get(k)) for k, _l in EXPORT_COLUMNS] for rec in records]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(table)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "residents"
    ws.append(header)
    for row in table:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(v: Any) -> Any:
    return "" if v is None else v
