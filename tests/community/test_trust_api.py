"""Trust property over the API: a compound's open books (post, flag, reverse, review, publish)
and an owners' vote with a proxy, secret ballots and the published tally."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cityloop.community.store import EstateRow, HouseRow
from cityloop.services.context import CityLoop
from tests.community.conftest import add_resident_user, resident_id
from tests.conftest import Users

API = "/api/v1/community/trust"


def _houses(ctx: CityLoop) -> dict[str, int]:
    with ctx.uow() as uow:
        s = uow.session
        estate = s.execute(select(EstateRow.id).where(EstateRow.name == "幸福里")).scalar_one()
        s.execute(update(HouseRow).where(HouseRow.estate_id == estate).values(area=89.5))
        uow.commit()
        rows = s.execute(select(HouseRow.room, HouseRow.id).where(HouseRow.estate_id == estate))
        return {room: hid for room, hid in rows.all()} | {"estate": estate}


@pytest.fixture
def trust(ctx: CityLoop, capp: TestClient, city: Users) -> dict[str, Any]:
    """幸福里 under trust management: clerk `pm` keeps the books, 李四 (resident2) sits on
    the owners' committee; 张三 owns 101 and 李四 owns 102."""
    add_resident_user(ctx, "pm")
    users = Users(ctx)
    houses = _houses(ctx)
    admin = users.headers("admin")
    r = capp.post(
        f"{API}/compounds",
        json={
            "estate_id": houses["estate"],
            "property_company": "蓉城物业服务有限公司",
            "bank_account": "6222 0210 0100 1234",
            "owners_public_share": 0.7,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["bank_account"] == "****1234"
    for username, capacity in (("pm", "property"), ("resident2", "committee")):
        r = capp.post(
            f"{API}/compounds/{cid}/members",
            json={"user_id": users.id(username), "capacity": capacity},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    for room, name in (("101", "张三"), ("102", "李四")):
        r = capp.post(
            f"{API}/compounds/{cid}/owners",
            json={"house_id": houses[room], "resident_id": resident_id(ctx, name)},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    return {"id": cid, "users": users, "houses": houses}


def _post(capp: TestClient, t: dict[str, Any], body: dict[str, Any]) -> Any:
    return capp.post(
        f"{API}/compounds/{t['id']}/entries", json=body, headers=t["users"].headers("pm")
    )


def test_books_post_flag_reverse_review_and_publish(
    ctx: CityLoop, capp: TestClient, trust: dict[str, Any]
) -> None:
    users: Users = trust["users"]
    day = ctx.now_local().date().isoformat()
    period = day[:7]
    fee = _post(
        capp,
        trust,
        {
            "entry_date": day,
            "memo": "11月物业费收入",
            "lines": [
                {"account": "1001", "debit": "20000.00"},
                {"account": "6001", "credit": "20000"},
            ],
        },
    )
    assert fee.status_code == 201, fee.text
    assert fee.json()["entry_no"] == 1 and fee.json()["flags"] == []

    ads = _post(
        capp,
        trust,
        {
            "entry_date": day,
            "memo": "电梯广告收入",
            "vouchers": ["合同 GG-2026-01"],
            "lines": [
                {"account": "1001", "debit": "1000"},
                {"account": "6003", "credit": "500"},
                {"account": "2241", "credit": "500"},
            ],
        },
    )
    assert [f["code"] for f in ads.json()["flags"]] == ["public_income_short"]

    capp.post(
        f"{API}/compounds/{trust['id']}/related-parties",
        json={"name": "蓉城绿化有限公司"},
        headers=users.headers("resident2"),
    )
    repair = _post(
        capp,
        trust,
        {
            "entry_date": day,
            "memo": "绿化养护",
            "payee": "蓉城绿化有限公司",
            "lines": [{"account": "6603", "debit": "3000"}, {"account": "1001", "credit": "3000"}],
        },
    )
    assert {f["code"] for f in repair.json()["flags"]} == {"no_voucher", "related_party"}

    # A correction is a reversing entry, never an edit; it cannot be reversed twice.
    rev = capp.post(
        f"{API}/compounds/{trust['id']}/entries/{repair.json()['id']}/reverse",
        json={"reason": "付款方录入错误"},
        headers=users.headers("pm"),
    )
    assert rev.status_code == 201 and rev.json()["reverses_id"] == repair.json()["id"]
    again = capp.post(
        f"{API}/compounds/{trust['id']}/entries/{repair.json()['id']}/reverse",
        json={"reason": "再来一次"},
        headers=users.headers("pm"),
    )
    assert again.status_code == 422
    assert again.json()["errors"][0] | {"message": ""} == {
        "field": "entry_id",
        "code": "entry_already_reversed",
        "params": {"entry_no": 4},
        "message": "",
    }

    reviewed = capp.post(
        f"{API}/compounds/{trust['id']}/entries/{fee.json()['id']}/review",
        json={"note": "与银行流水核对一致"},
        headers=users.headers("resident2"),
    )
    assert reviewed.status_code == 200 and reviewed.json()["reviewed"] is True

    # Published to residents: 张三 reads the month's statement and running balance.
    st = capp.get(
        f"{API}/compounds/{trust['id']}/statement",
        params={"period": period},
        headers=users.headers("resident"),
    )
    assert st.status_code == 200, st.text
    body = st.json()
    assert [h["label"] for h in body["compound"]["my_houses"]] == ["1栋101"]
    assert body["closing_balance"] == "21000.00"  # 20000 + 1000 − 3000 + 3000 reversed
    assert body["total_expense"] == "0.00"
    assert body["unreviewed_entries"] == 3
    assert {f["code"] for f in body["flags"]} >= {"public_income_short", "no_voucher"}
    assert (
        len(
            capp.get(
                f"{API}/compounds/{trust['id']}/entries",
                params={"period": period},
                headers=users.headers("resident"),
            ).json()["items"]
        )
        == 4
    )


def test_books_refuse_what_breaks_the_rules(
    ctx: CityLoop, capp: TestClient, trust: dict[str, Any]
) -> None:
    users: Users = trust["users"]
    day = ctx.now_local().date().isoformat()
    unbalanced = _post(
        capp,
        trust,
        {
            "entry_date": day,
            "memo": "不平",
            "lines": [{"account": "1001", "debit": "100"}, {"account": "6001", "credit": "99.99"}],
        },
    )
    assert unbalanced.status_code == 422
    assert unbalanced.json()["errors"][0]["field"] == "lines"
    fractional = _post(
        capp,
        trust,
        {
            "entry_date": day,
            "memo": "三位小数",
            "lines": [
                {"account": "1001", "debit": "1.001"},
                {"account": "6001", "credit": "1.001"},
            ],
        },
    )
    assert fractional.status_code == 422
    # Only the property company's clerk posts; a committee member or resident cannot.
    for who in ("resident2", "resident"):
        r = capp.post(
            f"{API}/compounds/{trust['id']}/entries",
            json={
                "entry_date": day,
                "memo": "越权",
                "lines": [{"account": "1001", "debit": "1"}, {"account": "6001", "credit": "1"}],
            },
            headers=users.headers(who),
        )
        assert r.status_code == 403
    # A resident of another estate does not see this compound at all.
    assert (
        capp.get(
            f"{API}/compounds/{trust['id']}/statement",
            params={"period": day[:7]},
            headers=users.headers("resident3"),
        ).status_code
        == 404
    )
    bad_period = capp.get(
        f"{API}/compounds/{trust['id']}/statement",
        params={"period": "2026-13"},
        headers=users.headers("resident"),
    )
    assert bad_period.status_code == 422


def test_a_vote_with_proxy_secret_ballots_and_the_published_tally(
    ctx: CityLoop, capp: TestClient, trust: dict[str, Any]
) -> None:
    users: Users = trust["users"]
    houses = trust["houses"]
    closes = (ctx.clock.now() + timedelta(days=7)).isoformat()
    r = capp.post(
        f"{API}/compounds/{trust['id']}/votes",
        json={"title": "续聘物业服务企业", "matter": 4, "closes_at": closes},
        headers=users.headers("resident2"),
    )
    assert r.status_code == 201, r.text
    vote = r.json()
    assert vote["rule"] == "majority" and vote["turnout"]["total_owners"] == 2

    # 张三 votes for his own house; a neighbour without authorisation cannot vote for 102.
    mine = capp.put(
        f"{API}/votes/{vote['id']}/ballot",
        json={"house_id": houses["101"], "choice": "agree"},
        headers=users.headers("resident"),
    )
    assert mine.status_code == 200
    assert mine.json()["my_ballots"][0]["choice"] == "agree"
    refused = capp.put(
        f"{API}/votes/{vote['id']}/ballot",
        json={"house_id": houses["102"], "choice": "oppose"},
        headers=users.headers("resident"),
    )
    assert refused.status_code == 403
    proxy = capp.put(
        f"{API}/votes/{vote['id']}/ballot",
        json={"house_id": houses["102"], "choice": "agree", "proxy_document": "委托书 2026-017"},
        headers=users.headers("resident"),
    )
    assert proxy.status_code == 200

    # While open only turnout shows; 李四 sees the ballot cast for his house by the proxy,
    # not how 张三 voted for his own.
    other = capp.get(f"{API}/votes/{vote['id']}", headers=users.headers("resident2")).json()
    assert other["result"] is None
    assert [(b["owner"], b["proxy"]) for b in other["my_ballots"]] == [
        (str(resident_id(ctx, "李四")), True)
    ]
    assert other["turnout"]["participating_owners"] == 2

    early = capp.post(f"{API}/votes/{vote['id']}/close", headers=users.headers("resident2"))
    assert early.status_code == 422  # not before the announced close

    ctx.clock.set(ctx.clock.now() + timedelta(days=8))  # type: ignore[attr-defined]
    late = capp.put(
        f"{API}/votes/{vote['id']}/ballot",
        json={"house_id": houses["101"], "choice": "oppose"},
        headers=users.headers("resident"),
    )
    assert late.status_code == 422
    closed = capp.post(f"{API}/votes/{vote['id']}/close", headers=users.headers("resident2"))
    assert closed.status_code == 200, closed.text
    result = closed.json()["result"]
    assert result["passed"] is True and result["quorum_met"] is True
    assert (result["participating_owners"], result["agree_owners"]) == (2, 2)
    assert result["total_area"] == "179.00"


def test_a_vote_needs_a_complete_owners_register(
    ctx: CityLoop, capp: TestClient, city: Users
) -> None:
    houses = _houses(ctx)
    add_resident_user(ctx, "clerk")
    users = Users(ctx)
    cid = capp.post(
        f"{API}/compounds",
        json={"estate_id": houses["estate"], "property_company": "某物业"},
        headers=users.headers("admin"),
    ).json()["id"]
    capp.post(
        f"{API}/compounds/{cid}/members",
        json={"user_id": users.id("resident2"), "capacity": "committee"},
        headers=users.headers("admin"),
    )
    r = capp.post(
        f"{API}/compounds/{cid}/votes",
        json={
            "title": "筹集维修资金",
            "matter": 6,
            "closes_at": (ctx.clock.now() + timedelta(days=3)).isoformat(),
        },
        headers=users.headers("resident2"),
    )
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert (error["field"], error["code"]) == ("compound_id", "owner_roll_no_owner")
    assert error["params"]["count"] >= 1 and error["params"]["house_id"] >= 1


def test_owners_import_names_the_bad_row_and_writes_nothing(
    ctx: CityLoop,
    capp: TestClient,
    trust: dict[str, Any],
    settings: Any,
    monkeypatch: Any,
    tmp_path: Any,
) -> None:
    from typer.testing import CliRunner

    from cityloop.cli import app
    from cityloop.community.trust.store import TrustOwnerRow
    from cityloop.settings import get_settings

    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()

    def owners() -> int:
        with ctx.uow() as uow:
            return len(list(uow.session.execute(select(TrustOwnerRow.id)).scalars()))

    before = owners()
    f = tmp_path / "owners.csv"
    h = trust["houses"]
    f.write_text(f"房屋编号,业主居民编号,开发商\n{h['101']},,是\n{h['102']},abc,\n")
    result = CliRunner().invoke(app, ["community", "trust", "owners", str(trust["id"]), str(f)])
    assert result.exit_code == 2
    assert "第 3 行“业主居民编号”" in result.output and "未导入任何数据" in result.output
    f.write_text(f"房屋编号,业主居民编号,开发商\n{h['101']},,是\n999999,,是\n")
    result = CliRunner().invoke(app, ["community", "trust", "owners", str(trust["id"]), str(f)])
    assert result.exit_code == 2 and "第 2 条：房屋 999999 不在本小区" in result.output
    assert owners() == before
    get_settings.cache_clear()
