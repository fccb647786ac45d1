"""The demo's trust-property estate: its books balance and show each flag, its votes count."""

from __future__ import annotations

from sqlalchemy import func, select

from cityloop.community.trust.store import TrustCompoundRow, TrustLineRow, TrustVoteRow
from cityloop.demo.community import load_community
from cityloop.demo.load import _create_users, load_reference_city
from cityloop.demo.trust import load_trust
from cityloop.services.context import CityLoop
from tests.conftest import Users, _clean


def test_demo_trust_estate(ctx: CityLoop) -> None:
    _clean(ctx)
    ctx.reference.invalidate()
    load_reference_city(ctx)
    _create_users(ctx)
    load_community(ctx, 7)
    summary = load_trust(ctx, "demo-Password-1", 7)
    assert "1 compound" in summary
    with ctx.uow() as uow:
        s = uow.session
        debit, credit = s.execute(
            select(func.sum(TrustLineRow.debit), func.sum(TrustLineRow.credit))
        ).one()
        assert debit == credit > 0
        cid = s.execute(select(TrustCompoundRow.id)).scalar_one()
        closed = s.execute(select(TrustVoteRow).where(TrustVoteRow.status == "closed")).scalar_one()
        assert closed.result is not None and closed.result["rule"] == "three_quarters"
    from cityloop.community.trust import books

    users = Users(ctx)
    statement = books.monthly_statement(
        ctx, users.actor("resident"), cid, ctx.now_local().strftime("%Y-%m")
    )
    assert {f["code"] for f in statement["flags"]} == {
        "public_income_short",
        "no_voucher",
        "related_party",
        "over_budget",
    }


def test_demo_group_chats(ctx: CityLoop) -> None:
    from cityloop.community.groups import chats
    from cityloop.demo.groups import load_groups

    _clean(ctx)
    ctx.reference.invalidate()
    load_reference_city(ctx)
    _create_users(ctx)
    load_community(ctx, 7)
    assert "2 micro-grids" in load_groups(ctx)
    users = Users(ctx)
    topics = chats.list_topics(ctx, users.actor("admin"), None, 1, 100)
    assert topics["total"] >= 5
    assert any(t["status"] == "escalated" for t in topics["items"])
