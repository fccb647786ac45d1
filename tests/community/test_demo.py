"""The demo city's community data loads quickly and is consistent with the ledger's rules."""

from __future__ import annotations

from sqlalchemy import func, select

from cityloop.community.store import (
    PointAccountRow,
    PointEntryRow,
    ResidentRow,
    SnapGroupRow,
    WishRow,
)
from cityloop.demo.community import load_community
from cityloop.demo.load import _create_users, load_reference_city
from cityloop.services.context import CityLoop
from tests.conftest import _clean


def test_demo_community_loads(ctx: CityLoop) -> None:
    # The demo city's reference data and users (the appeal history is not needed here).
    _clean(ctx)
    ctx.reference.invalidate()
    load_reference_city(ctx)
    _create_users(ctx)
    summary = load_community(ctx, 7)
    assert "estates" in summary and "disputes" in summary
    with ctx.uow() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(ResidentRow)).scalar_one() > 1000
        linked = s.execute(select(ResidentRow).where(ResidentRow.user_id.is_not(None))).scalar()
        assert linked is not None  # the demo resident is a registered resident
        assert s.execute(select(func.sum(PointEntryRow.amount))).scalar_one() == 0
        assert (
            s.execute(
                select(func.count()).where(
                    PointAccountRow.kind != "system", PointAccountRow.balance < 0
                )
            ).scalar_one()
            == 0
        )
        assert s.execute(select(WishRow).where(WishRow.work_order_id.is_not(None))).first()
        assert s.execute(select(SnapGroupRow).where(SnapGroupRow.status == "escalated")).first()
