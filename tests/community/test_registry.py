"""Community database through the API: import, 以人找房/以房找人, masking and audited full views,
jurisdiction, versioned changes, queries, counts, export."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from cityloop.community.crypto import cipher_for
from cityloop.community.store import ResidentRow
from cityloop.services.context import CityLoop
from cityloop.store.models import AuditRow
from tests.community.conftest import (
    COLUMNS,
    GRID_W1,
    HEPING,
    ID_OLD,
    PEOPLE,
    XINGFU,
    people_csv,
    resident_id,
)
from tests.conftest import Users

API = "/api/v1/community/registry"


def _upload(client: TestClient, users: Users, data: bytes, name: str = "p.csv", who: str = "admin"):
    return client.post(
        f"{API}/import/residents", files={"file": (name, data)}, headers=users.headers(who)
    )


def test_import_rejects_bad_rows_by_line_and_field_and_writes_nothing(
    ctx: CityLoop, capp: TestClient, users: Users
) -> None:
    bad = [
        (
            "990102001001001",
            "幸福里",
            "1栋",
            "1单元",
            "101",
            "甲",
            "",
            "110101199003071235",
            "",
            "",
            "",
            "",
        ),
        ("999999999999999", "幸福里", "1栋", "1单元", "102", "乙", "", "", "12345", "", "神仙", ""),
        ("990102001001001", "", "1栋", "1单元", "103", "丙", "", "", "", "", "", "nobody"),
    ]
    r = _upload(capp, users, people_csv(bad))
    assert r.status_code == 422
    problems = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert {
        (2, "id_number"),
        (3, "grid_code"),
        (3, "phone"),
        (3, "care_tags"),
        (4, "estate"),
        (4, "username"),
    } <= problems
    # Each problem in Chinese (no personal data quoted), in English, with what to do.
    by_cell = {(e["row"], e["field"]): e for e in r.json()["errors"]}
    assert by_cell[(3, "grid_code")]["message"] == "单元网格“999999999999999”不存在"
    assert by_cell[(3, "care_tags")]["code"] == "unknown_care_tag"
    assert "关爱标签“神仙”不存在" in by_cell[(3, "care_tags")]["message"]
    assert by_cell[(2, "id_number")]["code"] == "resident_id"
    assert "110101199003071235" not in by_cell[(2, "id_number")]["message"]
    assert by_cell[(4, "username")]["message_en"] == "No user 'nobody'"
    assert all(e["hint"] for e in r.json()["errors"])
    with ctx.uow() as uow:
        assert uow.session.execute(select(ResidentRow)).first() is None


def test_import_excel_and_encrypts_at_rest(ctx: CityLoop, capp: TestClient, users: Users) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for row in PEOPLE[:2]:
        ws.append(list(row[:-1]) + [""])
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(capp, users, buf.getvalue(), "people.xlsx")
    assert r.status_code == 200, r.text
    assert r.json()["residents"] == 2
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(ResidentRow).where(ResidentRow.name == "张三")
        ).scalar_one()
    assert ID_OLD not in (row.id_number_enc or "") and "13800001111" not in (row.phone_enc or "")
    assert cipher_for(ctx.settings).decrypt(row.id_number_enc) == ID_OLD
    assert row.birth_date is not None and row.birth_date.year == 1940


def test_grid_worker_cannot_import_outside_the_grid(capp: TestClient, users: Users) -> None:
    r = _upload(capp, users, people_csv(PEOPLE[3:4]), who="grid_west")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "grid_code"


def test_person_to_house_and_house_to_people(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    rid = resident_id(ctx, "李四")
    me = capp.get(f"{API}/residents/{rid}", headers=city.headers("grid_west")).json()
    assert me["house"]["address"] == "幸福里1栋1单元102"
    assert me["house"]["household_code"] == "HH-2"
    house = capp.get(
        f"{API}/houses/{me['house']['house_id']}", headers=city.headers("grid_west")
    ).json()
    names = {m["name"] for h in house["households"] for m in h["members"]}
    assert names == {"李四", "李小"}


def test_masked_by_default_full_view_audited_and_scoped(
    ctx: CityLoop, capp: TestClient, city: Users
) -> None:
    rid = resident_id(ctx, "张三")
    masked = capp.get(f"{API}/residents/{rid}", headers=city.headers("grid_west")).json()
    assert masked["id_number"] == ID_OLD[:6] + "********" + ID_OLD[-4:]
    assert masked["phone"] == "138****1111" and masked["masked"] is True
    # A city-wide reader sees even the name masked.
    lead = capp.get(f"{API}/residents/{rid}", headers=city.headers("dispatcher")).json()
    assert lead["name"] == "张*"
    # The dispatcher may not see the full record; the grid's worker may, with a reason.
    r = capp.post(
        f"{API}/residents/{rid}/reveal",
        json={"reason": "入户走访"},
        headers=city.headers("dispatcher"),
    )
    assert r.status_code == 403
    full = capp.post(
        f"{API}/residents/{rid}/reveal",
        json={"reason": "入户走访"},
        headers=city.headers("grid_west"),
    ).json()
    assert full["id_number"] == ID_OLD and full["phone"] == "13800001111"
    with ctx.uow() as uow:
        audits = (
            uow.session.execute(select(AuditRow).where(AuditRow.action == "community.reveal"))
            .scalars()
            .all()
        )
    assert [(a.actor_name, a.target, a.detail["reason"]) for a in audits] == [
        ("grid_west", f"resident:{rid}", "入户走访")
    ]
    # Outside the jurisdiction: the east supervisor does not even see the record.
    assert capp.get(f"{API}/residents/{rid}", headers=city.headers("sup_east")).status_code == 404
    assert capp.get(f"{API}/residents/{rid}", headers=city.headers("resident")).status_code == 403


def test_lists_are_scoped_by_region_prefix(capp: TestClient, city: Users) -> None:
    def names(who: str) -> set[str]:
        body = capp.get(f"{API}/residents", headers=city.headers(who)).json()
        return {i["name"] for i in body["items"]}

    assert names("grid_west") == {"张三", "李四", "李小"}  # only 幸福1网格
    assert names("sup_west") == {"张三", "李四", "李小", "王五"}  # 河西街道
    assert len(names("admin")) == 5


def test_updates_are_versioned_with_masked_secrets(
    ctx: CityLoop, capp: TestClient, city: Users
) -> None:
    rid = resident_id(ctx, "李四")
    h = city.headers("grid_west")
    r = capp.patch(
        f"{API}/residents/{rid}",
        json={"phone": "13911112222", "relation": "本人", "version": 1},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    stale = capp.patch(f"{API}/residents/{rid}", json={"relation": "x", "version": 1}, headers=h)
    assert stale.status_code == 422 and stale.json()["errors"][0]["field"] == "version"
    bad = capp.patch(f"{API}/residents/{rid}", json={"phone": "12"}, headers=h)
    assert bad.status_code == 422
    hist = capp.get(f"{API}/history/resident/{rid}", headers=h).json()
    by_field = {c["field"]: c for c in hist}
    assert by_field["phone"]["old"] == "138****2222" and by_field["phone"]["new"] == "139****2222"
    assert by_field["relation"]["old"] == "户主" and by_field["relation"]["by"] == "grid_west"
    # The east supervisor may not change a west record (not even see it).
    assert (
        capp.patch(
            f"{API}/residents/{rid}", json={"relation": "x"}, headers=city.headers("sup_east")
        ).status_code
        == 404
    )
    assert (
        capp.patch(
            f"{API}/residents/{rid}", json={"relation": "x"}, headers=city.headers("dispatcher")
        ).status_code
        == 403
    )


def test_care_tags_and_queries(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    h = city.headers("grid_west")
    lonely = capp.get(f"{API}/residents/elderly-alone", headers=h).json()
    assert [i["name"] for i in lonely["items"]] == ["张三"]
    assert lonely["items"][0]["age"] == 86
    rid = resident_id(ctx, "李四")
    r = capp.post(f"{API}/residents/{rid}/care-tags", json={"tag": "low_income"}, headers=h)
    assert r.status_code == 200
    tag = r.json()["care_tags"][0]
    assert tag["tag"] == "low_income" and tag["set_by"] == "grid_west"
    assert (
        capp.post(
            f"{API}/residents/{rid}/care-tags", json={"tag": "nonsense"}, headers=h
        ).status_code
        == 422
    )
    hh = capp.get(f"{API}/households", params={"tag": "low_income"}, headers=h).json()
    assert [x["code"] for x in hh] == ["HH-2"]
    # The supervisor's street includes the other grid's disabled resident; grid_west's does not.
    assert capp.get(f"{API}/households", params={"tag": "disabled"}, headers=h).json() == []
    sup = capp.get(
        f"{API}/households", params={"tag": "disabled"}, headers=city.headers("sup_west")
    )
    assert [x["code"] for x in sup.json()] == ["HH-3"]
    gone = capp.delete(f"{API}/residents/{rid}/care-tags/low_income", headers=h)
    assert gone.json()["care_tags"] == []


def test_houses_without_residents(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    h = city.headers("grid_west")
    assert capp.get(f"{API}/houses", params={"vacant": True}, headers=h).json()["total"] == 0
    rid = resident_id(ctx, "张三")
    capp.patch(f"{API}/residents/{rid}", json={"active": False}, headers=h)
    vacant = capp.get(f"{API}/houses", params={"vacant": True}, headers=h).json()
    assert [i["address"] for i in vacant["items"]] == ["幸福里1栋1单元101"]


def test_counts_per_community(capp: TestClient, city: Users) -> None:
    rows = {
        c["community_code"]: c
        for c in capp.get(f"{API}/counts", headers=city.headers("admin")).json()
    }
    assert rows[XINGFU]["residents"] == 4 and rows[XINGFU]["households"] == 3
    assert rows[XINGFU]["houses"] == 3 and rows[XINGFU]["care_tags"]["elderly_alone"] == 1
    assert rows[HEPING]["residents"] == 1
    west = capp.get(f"{API}/counts", headers=city.headers("grid_west")).json()
    assert [c["community_code"] for c in west] == [XINGFU] and west[0]["residents"] == 3


def test_export_masks_unless_allowed_and_audits(
    ctx: CityLoop, capp: TestClient, city: Users
) -> None:
    r = capp.get(f"{API}/export", headers=city.headers("dispatcher"))
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 6 and ID_OLD not in r.content.decode("utf-8-sig")
    assert (
        capp.get(
            f"{API}/export",
            params={"full": True, "reason": "普查"},
            headers=city.headers("dispatcher"),
        ).status_code
        == 403
    )
    full = capp.get(
        f"{API}/export",
        params={"full": True, "reason": "普查", "format": "xlsx"},
        headers=city.headers("grid_west"),
    )
    assert full.status_code == 200
    sheet = load_workbook(io.BytesIO(full.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert ID_OLD in values and "王五" not in values  # full, but only grid_west's grid
    with ctx.uow() as uow:
        exports = (
            uow.session.execute(select(AuditRow).where(AuditRow.action == "community.export"))
            .scalars()
            .all()
        )
    assert [(a.detail["full"], a.detail["rows"]) for a in exports] == [(False, 5), (True, 3)]


def test_shops_in_buildings(ctx: CityLoop, capp: TestClient, city: Users) -> None:
    data = "grid_code,estate,building,name,business,contact_name,contact_phone\n"
    data += f"{GRID_W1},幸福里,1栋,幸福超市,零售,钱七,13655556666\n"
    r = capp.post(
        f"{API}/import/shops",
        files={"file": ("s.csv", data.encode())},
        headers=city.headers("grid_west"),
    )
    assert r.status_code == 200, r.text
    shops = capp.get(f"{API}/shops", headers=city.headers("grid_west")).json()
    assert shops[0]["contact_phone"] == "136****6666" and shops[0]["building"] == "幸福里1栋"
    b = capp.get(f"{API}/buildings/{shops[0]['building_id']}", headers=city.headers("grid_west"))
    assert [s["name"] for s in b.json()["shops"]] == ["幸福超市"]
    assert {h["room"] for h in b.json()["houses"]} == {"101", "102"}
