"""Intake judges urgency from the operator, the category's default and the text, and shows
the dispatcher why (routing.urgent_phrase, routing.urgency)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cityloop.domain.statuses import Urgency
from cityloop.domain.taxonomy import Category
from cityloop.domain.urgency import CategoryUrgency, assess_urgency
from cityloop.services import admin
from cityloop.services.reference import Reference
from cityloop.services.urgency import judge_urgency, with_category
from cityloop.store.models import AppealRow, WorkOrderRow
from tests.conftest import WEST, Users, category

GAS = "公共安全/燃气安全/燃气泄漏"
ISSUE_EXAMPLE = "燃气味道很重，楼道里都能闻到，怀疑哪里漏气了，赶紧来人！"


def _post(client: TestClient, users: Users, **over: object) -> dict:
    body: dict[str, object] = {
        "channel": "hotline",
        "content": "幸福路路灯不亮",
        "reporter_phone": "13812341234",
        "lon": WEST[0],
        "lat": WEST[1],
    }
    body.update(over)
    r = client.post("/api/v1/appeals", json=body, headers=users.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _rows(ctx, order_id: int) -> tuple[WorkOrderRow, AppealRow]:
    with ctx.uow() as uow:
        order = uow.session.get(WorkOrderRow, order_id)
        appeal = uow.session.query(AppealRow).filter_by(work_order_id=order_id).one()
        uow.session.expunge_all()
        return order, appeal


def test_the_issue_s_gas_call_is_urgent_and_life_safety(client, users, ctx):
    body = _post(client, users, content=ISSUE_EXAMPLE, category_code=category(ctx, GAS))
    assert body["urgency"] == "urgent"
    routing = body["routing"]
    assert "燃气味道很重" in routing["urgent_phrase"]
    assert routing["urgency"]["source"] == "text"
    assert routing["urgency"]["reason"] == "gas_leak" and routing["urgency"]["life_safety"]
    order, appeal = _rows(ctx, body["work_order_id"])
    assert order.urgency == appeal.urgency == "urgent"
    assert order.life_safety and appeal.life_safety


def test_a_past_mention_stays_normal_and_says_why(client, users, ctx):
    body = _post(
        client,
        users,
        content="去年小区发生过一次燃气泄漏，至今物业也没有加装报警器，建议整改。",
        category_code=category(ctx, "城乡建设/市政设施/路灯损坏"),
    )
    assert body["urgency"] == "normal"
    assert body["routing"].get("urgent_phrase") is None
    assert body["routing"]["urgency"]["reason"] == "past"
    assert "燃气泄漏" in body["routing"]["urgency"]["evidence"]
    order, _ = _rows(ctx, body["work_order_id"])
    assert not order.life_safety


def test_the_category_default_makes_a_calm_call_urgent(client, users, ctx):
    cols = ("一级", "二级", "三级")
    admin.import_taxonomy(
        ctx,
        [
            (
                2,
                {
                    "一级": "公共安全",
                    "二级": "燃气安全",
                    "三级": "燃气泄漏",
                    "默认紧急程度": "生命安全",
                },
            )
        ],
        cols,
    )
    body = _post(client, users, content="请燃气公司派人来看看", category_code=category(ctx, GAS))
    assert body["urgency"] == "urgent"
    assert body["routing"]["urgency"]["source"] == "category"
    assert body["routing"]["urgency"]["reason"] == "category_life_safety"
    order, _ = _rows(ctx, body["work_order_id"])
    assert order.life_safety


def test_the_operator_s_normal_does_not_hide_a_danger(client, users, ctx):
    body = _post(client, users, content="电梯困人了，里边有个孕妇，快点", urgency="normal")
    assert body["urgency"] == "urgent"
    assert body["routing"]["urgency"]["source"] == "text"
    assert body["routing"]["urgency"]["reason"] == "trapped"


def _reference() -> Reference:
    ref = Reference()
    for code, name, level, parent in [("01", "水电气", 1, None), ("0101", "燃气", 2, "01")]:
        ref.categories[code] = Category(code, name, level, parent)
    ref.categories["010101"] = Category("010101", "燃气泄漏", 3, "0101")
    ref.category_urgency["0101"] = CategoryUrgency.URGENT
    ref.category_urgency["010101"] = CategoryUrgency.LIFE_SAFETY
    return ref


def test_the_model_s_category_raises_a_judgement_made_before_it():
    ref = _reference()
    calm = judge_urgency(ref, "家里燃气灶要检修", None, None)
    assert calm.level is Urgency.NORMAL
    raised = with_category(ref, calm, "010101")
    assert raised.urgent and raised.life_safety and raised.source == "category"
    assert with_category(ref, calm, "01") == calm  # the top level has no default


def test_a_history_replay_keeps_its_recorded_urgency():
    ref = _reference()
    kept = judge_urgency(ref, ISSUE_EXAMPLE, Urgency.NORMAL, "010101", replay=True)
    assert kept.level is Urgency.NORMAL and not kept.life_safety
    assert with_category(ref, kept, "010101", replay=True) == kept
    live = judge_urgency(ref, ISSUE_EXAMPLE, Urgency.NORMAL, "010101")
    assert live == assess_urgency(
        ISSUE_EXAMPLE, operator_choice=Urgency.NORMAL, category_default=CategoryUrgency.LIFE_SAFETY
    )


def test_analyse_while_typing_judges_as_the_intake_will(client, users, ctx):
    h = users.headers("operator")
    r = client.post(
        "/api/v1/understanding/analyse",
        headers=h,
        json={"content": ISSUE_EXAMPLE, "category_code": category(ctx, GAS)},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["urgent"] and body["life_safety"] and "燃气味道很重" in body["urgent_phrase"]
    assert body["urgency_basis"]["reason"] == "gas_leak"
    r = client.post(
        "/api/v1/understanding/analyse",
        headers=h,
        json={"content": "楼道里堆满纸箱，万一着火后果不堪设想"},
    )
    body = r.json()
    assert not body["urgent"] and body["urgent_phrase"] is None
    assert body["urgency_basis"]["reason"] == "hypothetical"
