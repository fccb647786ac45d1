"""The work-order state machine: examples for each action, and property tests showing that no
sequence of actions reaches an inconsistent state."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityloop.domain.errors import IllegalTransition, InvalidCommand
from cityloop.domain.orders import (
    TRANSITIONS,
    Actor,
    AssignmentState,
    Command,
    WorkOrder,
    check_invariants,
)
from cityloop.domain.statuses import TERMINAL, Action, OrderStatus, Rating, Role

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
ACTOR = Actor(1, "测试", Role.ADMIN)
S = OrderStatus


def new_order() -> WorkOrder:
    order = WorkOrder.receive("20260930-000001", T0, ACTOR)
    order.id = 1
    return order


def cmd(action: Action, at: datetime = T0, **kw: object) -> Command:
    """A command with a complete payload for its action."""
    base: dict[str, object] = {"note": "说明"}
    if action is Action.DISPATCH:
        base |= {
            "lead_department": "D-CG",
            "co_departments": ("D-HX",),
            "time_limit": "5d",
            "due_at": at + timedelta(days=7),
            "warn_at": at + timedelta(days=5),
        }
    if action in (Action.APPROVE_EXTENSION, Action.REJECT_REPLY):
        base |= {"due_at": at + timedelta(days=20), "warn_at": at + timedelta(days=15)}
    if action is Action.RATE:
        base |= {"rating": Rating.SATISFIED}
    if action is Action.MERGE:
        base |= {"merge_into": 2}
    if action is Action.REQUEST_EXTENSION:
        base |= {"extension": "3d"}
    if action is Action.CO_REPLY:
        base |= {"department_code": "D-HX"}
    base |= kw
    return Command(action=action, at=at, **base)  # type: ignore[arg-type]


def run(order: WorkOrder, *actions: Action) -> WorkOrder:
    for a in actions:
        order.execute(cmd(a), ACTOR)
    return order


A = Action


def test_happy_path_to_closed() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.START, A.CO_REPLY, A.REPLY, A.RATE)
    assert order.status is S.CLOSED
    assert order.rating is Rating.SATISFIED
    assert [e.to_status for e in order.history] == [
        S.RECEIVED,
        S.DISPATCHED,
        S.ACCEPTED,
        S.IN_PROGRESS,
        S.IN_PROGRESS,
        S.REPLIED,
        S.CLOSED,
    ]
    assert order.lead is not None and order.lead.state is AssignmentState.DONE
    co = order.co_assignment("D-HX")
    assert co is not None and co.state is AssignmentState.DONE and co.note == "说明"
    assert check_invariants(order) == []


def test_illegal_action_names_the_allowed_ones() -> None:
    order = new_order()
    with pytest.raises(IllegalTransition) as err:
        order.execute(cmd(A.REPLY), ACTOR)
    assert err.value.status == "received"
    assert set(err.value.allowed) == {
        "submit",
        "dispatch",
        "handle_on_spot",
        "answer",
        "merge",
        "cancel",
        "comment",
    }
    assert order.status is S.RECEIVED and len(order.history) == 1


def test_return_goes_back_to_dispatch_and_needs_a_reason() -> None:
    order = run(new_order(), A.DISPATCH)
    with pytest.raises(InvalidCommand) as err:
        order.execute(cmd(A.RETURN, note=" "), ACTOR)
    assert (err.value.field, err.value.code) == ("note", "text_required")
    order.execute(cmd(A.RETURN, note="非我单位职责"), ACTOR)
    assert order.status is S.RETURNED and order.return_count == 1
    assert order.lead is None and order.due_at is None
    run(order, A.DISPATCH)
    assert order.status is S.DISPATCHED and order.lead is not None
    assert check_invariants(order) == []


def test_extension_moves_the_deadline_once_approved() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.REQUEST_EXTENSION)
    assert order.pending_extension == "3d"
    with pytest.raises(IllegalTransition):
        order.execute(cmd(A.REQUEST_EXTENSION), ACTOR)  # one request at a time
    before = order.due_at
    run(order, A.APPROVE_EXTENSION)
    assert order.due_at is not None and before is not None and order.due_at > before
    assert order.pending_extension is None and order.extension_count == 1
    with pytest.raises(IllegalTransition, match="no extension request is pending"):
        order.execute(cmd(A.DENY_EXTENSION), ACTOR)


def test_extension_must_move_the_deadline_later() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.REQUEST_EXTENSION)
    with pytest.raises(InvalidCommand):
        order.execute(cmd(A.APPROVE_EXTENSION, due_at=T0, warn_at=T0), ACTOR)


def test_urging_counts_but_keeps_the_clock() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT)
    due = order.due_at
    run(order, A.URGE, A.URGE)
    assert order.urge_count == 2 and order.due_at == due and order.status is S.ACCEPTED


def test_unsatisfied_rating_reopens_with_a_new_deadline() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.REPLY)
    new_due = T0 + timedelta(days=30)
    order.execute(cmd(A.RATE, rating=Rating.UNSATISFIED, due_at=new_due, warn_at=new_due), ACTOR)
    assert order.status is S.REOPENED and order.reopen_count == 1 and order.due_at == new_due
    run(order, A.ACCEPT, A.REPLY, A.RATE)
    assert order.status is S.CLOSED
    assert check_invariants(order) == []


def test_unsatisfied_rating_needs_the_rework_deadline() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.REPLY)
    with pytest.raises(InvalidCommand):
        order.execute(Command(A.RATE, T0, rating=Rating.UNSATISFIED), ACTOR)


def test_merge_and_cancel_are_terminal() -> None:
    merged = run(new_order(), A.MERGE)
    assert merged.status is S.MERGED and merged.merged_into == 2
    with pytest.raises(InvalidCommand):
        new_order().execute(cmd(A.MERGE, merge_into=1), ACTOR)
    cancelled = run(new_order(), A.CANCEL)
    for order in (merged, cancelled):
        assert order.allowed_actions() == [A.COMMENT]


def test_handled_on_spot_closes_at_receipt_with_what_was_done() -> None:
    order = new_order()
    at = T0 + timedelta(minutes=3)
    order.execute(cmd(A.HANDLE_ON_SPOT, at, note="已将倒伏的共享单车扶正并挪回停放区"), ACTOR)
    assert order.status is S.CLOSED and order.handled_on_spot
    assert order.reply_text == "已将倒伏的共享单车扶正并挪回停放区"
    assert order.replied_at == order.closed_at == at
    assert order.assignments == [] and order.due_at is None
    assert [e.action for e in order.history] == [A.RECEIVE, A.HANDLE_ON_SPOT]
    assert check_invariants(order) == []
    assert order.allowed_actions() == [A.COMMENT]


def test_handled_on_spot_needs_the_note_and_a_fresh_order() -> None:
    with pytest.raises(InvalidCommand) as err:
        new_order().execute(cmd(A.HANDLE_ON_SPOT, note="  "), ACTOR)
    assert (err.value.field, err.value.code) == ("handling_note", "text_required")
    for done in (run(new_order(), A.DISPATCH), run(new_order(), A.SUBMIT)):
        with pytest.raises(IllegalTransition):
            done.execute(cmd(A.HANDLE_ON_SPOT), ACTOR)
        assert not done.handled_on_spot


def test_an_on_spot_flag_on_a_dispatched_order_is_inconsistent() -> None:
    order = run(new_order(), A.DISPATCH, A.ACCEPT, A.REPLY, A.CLOSE)
    assert check_invariants(order) == []
    order.handled_on_spot = True
    assert check_invariants(order) == ["handled on the spot: closed at once, never dispatched"]


def test_dispatch_payload_is_checked() -> None:
    for bad, field, code in [
        ({"lead_department": None}, "lead_department", "missing"),
        ({"co_departments": ("D-CG",)}, "co_departments", "lead_also_co"),
        ({"co_departments": ("D-X", "D-X")}, "co_departments", "listed_twice"),
        ({"time_limit": None}, "time_limit", "missing"),
        ({"due_at": None}, "due_at", "missing"),
    ]:
        with pytest.raises(InvalidCommand) as err:
            new_order().execute(cmd(A.DISPATCH, **bad), ACTOR)
        assert (err.value.field, err.value.code) == (field, code)


def test_co_reply_only_from_a_co_department() -> None:
    order = run(new_order(), A.DISPATCH)
    with pytest.raises(InvalidCommand):
        order.execute(cmd(A.CO_REPLY, department_code="D-CG"), ACTOR)


def test_system_events_are_not_actions() -> None:
    with pytest.raises(IllegalTransition):
        new_order().execute(cmd(A.RECEIVE), ACTOR)


# -- properties -----------------------------------------------------------------------------
ACTIONS = sorted(TRANSITIONS, key=str)
ratings = st.sampled_from(list(Rating))


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[Action, Rating, bool]]:
    n = draw(st.integers(min_value=0, max_value=30))
    return [(draw(st.sampled_from(ACTIONS)), draw(ratings), draw(st.booleans())) for _ in range(n)]


@settings(max_examples=400, deadline=None)
@given(steps())
def test_no_sequence_reaches_an_inconsistent_state(seq: list[tuple[Action, Rating, bool]]) -> None:
    order = new_order()
    at = T0
    for action, rating, blank_note in seq:
        at += timedelta(hours=1)
        extra: dict[str, object] = {"rating": rating}
        if blank_note:
            extra["note"] = ""
        if rating is Rating.UNSATISFIED or action is A.REJECT_REPLY:
            extra |= {"due_at": at + timedelta(days=9), "warn_at": at + timedelta(days=7)}
        before = (order.status, len(order.history))
        try:
            order.execute(cmd(action, at, **extra), ACTOR)
        except (IllegalTransition, InvalidCommand):
            # A refused action changes nothing.
            assert (order.status, len(order.history)) == before
        else:
            assert len(order.history) == before[1] + 1
        assert check_invariants(order) == [], (action, order.status)
        if order.status in TERMINAL:
            assert set(order.allowed_actions()) <= {A.COMMENT, A.URGE}


@settings(max_examples=200, deadline=None)
@given(steps())
def test_allowed_actions_are_exactly_the_ones_that_succeed(
    seq: list[tuple[Action, Rating, bool]],
) -> None:
    order = new_order()
    for action, _, _ in seq:
        allowed = set(order.allowed_actions())
        for candidate in ACTIONS:
            probe = WorkOrder(
                **{
                    **order.__dict__,
                    "assignments": [type(a)(**a.__dict__) for a in order.assignments],
                    "history": list(order.history),
                    "new_events": [],
                }
            )
            try:
                probe.execute(cmd(candidate, rating=Rating.SATISFIED), ACTOR)
                ok = True
            except IllegalTransition:
                ok = False
            except InvalidCommand:
                ok = True  # allowed by state; refused only for its payload
            assert ok == (candidate in allowed), (candidate, order.status)
        with contextlib.suppress(IllegalTransition, InvalidCommand):
            order.execute(cmd(action, rating=Rating.SATISFIED), ACTOR)
