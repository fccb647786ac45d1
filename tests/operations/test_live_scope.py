"""Live events carry the order's grid, so that a street supervisor's screen gets the alarms of
their street and not the others'."""

from __future__ import annotations

from typing import Any

from cityloop.operations import events
from cityloop.operations.router import _visible
from cityloop.operations.tails import tail_order_events
from tests.conftest import EAST, WEST


def _urgent(client, users, at: tuple[float, float], phone: str) -> dict:
    r = client.post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "content": "楼道里燃气泄漏，味道很浓，情况紧急，请马上来人！",
            "reporter_phone": phone,
            "lon": at[0],
            "lat": at[1],
        },
        headers=users.headers("operator"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_an_urgent_order_reaches_the_supervisor_of_its_street_only(client, ctx, users, monkeypatch):
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        events, "publish", lambda _s, kind, **data: sent.append({"kind": kind, **data})
    )
    tail_order_events(ctx)  # the first run starts at the present
    west = _urgent(client, users, WEST, "13800000011")
    east = _urgent(client, users, EAST, "13800000012")
    tail_order_events(ctx)
    by_ticket = {e["ticket_no"]: e for e in sent}
    assert set(by_ticket) == {west["ticket_no"], east["ticket_no"]}
    w, e = by_ticket[west["ticket_no"]], by_ticket[east["ticket_no"]]
    assert w["kind"] in ("life_safety", "urgent_order")
    assert (w["grid_code"], e["grid_code"]) == ("990102001001001", "990102002001001")
    sup_west, sup_east = users.actor("sup_west"), users.actor("sup_east")
    assert _visible(sup_west, w) and not _visible(sup_west, e)
    assert _visible(sup_east, e) and not _visible(sup_east, w)
    assert _visible(users.actor("leader"), w) and _visible(users.actor("leader"), e)
