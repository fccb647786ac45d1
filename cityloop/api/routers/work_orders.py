from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.api.edge import CityDateTime
from cityloop.api.schemas import ActionRequest, OrderDetail, OrderSummary, Page, RevealRequest
from cityloop.domain.statuses import Action, OrderStatus
from cityloop.domain.steps import Step
from cityloop.services import orders
from cityloop.services import watch as watch_lists
from cityloop.services.orders import ActionInput, OrderFilters
from cityloop.services.watch import Watch

router = APIRouter(prefix="/api/v1/work-orders", tags=["work-orders"])


@router.get("", response_model=Page[OrderSummary], operation_id="listWorkOrders")
def list_work_orders(
    ctx: Ctx,
    actor: CurrentActor,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    department: str | None = None,
    category: str | None = Query(None, description="category code; includes sub-categories"),
    region: str | None = Query(None, description="district/street/community/grid code"),
    channel: str | None = None,
    received_from: CityDateTime | None = None,
    received_to: CityDateTime | None = None,
    overdue: bool | None = None,
    q: str | None = Query(None, max_length=100, description="ticket number, title or content"),
    watch: Watch | None = Query(
        None, description="watch list: warning, overdue, dispatch_overdue, life_safety …"
    ),
    overdue_step: Step | None = Query(
        None, description="with watch=overdue or warning: only this step"
    ),
    sort: str = Query("-received_at", pattern=r"^-?(received_at|due_at)$"),
    page: int = Query(1, ge=1),
    page_size: int = Query(20, ge=1, le=200),
) -> dict[str, Any]:
    """工单列表 within the caller's jurisdiction, filtered and paged."""
    filters = OrderFilters(
        status=status or [],
        department=department,
        category=category,
        region=region,
        channel=channel,
        received_from=received_from,
        received_to=received_to,
        overdue=overdue,
        q=q,
        sort=sort,
        watch=watch,
        overdue_step=overdue_step,
    )
    return orders.list_orders(ctx, actor, filters, page, page_size)


@router.get("/watch-counts", operation_id="watchCounts")
def watch_counts(ctx: Ctx, actor: CurrentActor) -> dict[str, int]:
    """Counts of every watch list (预警, 超期, 待审批延期, 已督办, 重办, 待回访, 待派单超时,
    生命安全) within your jurisdiction, for the menu."""
    return watch_lists.watch_counts(ctx, actor)


@router.get("/{order_id}", response_model=OrderDetail, operation_id="getWorkOrder")
def get_work_order(order_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """工单详情 with callers, assignments, the whole timeline and the actions allowed to you."""
    return orders.get_order(ctx, order_id, actor)


@router.post(
    "/{order_id}/actions/{action}", response_model=OrderDetail, operation_id="actOnWorkOrder"
)
def act(
    order_id: int, action: Action, body: ActionRequest, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    """Take an action on an order (派单, 签收, 退单, 延期, 答复, 督办, 评价, 重办, 合并, 撤销 …).
    An action the current state does not allow answers 409 with the allowed actions."""
    data = ActionInput(
        note=body.note,
        lead_department=body.lead_department,
        co_departments=tuple(body.co_departments) if body.co_departments is not None else None,
        time_limit=body.time_limit,
        category_code=body.category_code,
        rating=body.rating,
        merge_into=body.merge_into,
        extension=body.extension,
        extension_amount=body.extension_amount,
        extension_unit=body.extension_unit,
        reply_result=body.result,
        measures=body.measures,
        photos_before=tuple(a.model_dump() for a in body.photos_before),
        photos_after=tuple(a.model_dump() for a in body.photos_after),
    )
    return orders.act(ctx, order_id, action, data, actor)


@router.post("/{order_id}/reveal", operation_id="revealPersonalData")
def reveal(
    order_id: int, body: RevealRequest, ctx: Ctx, actor: CurrentActor
) -> list[dict[str, Any]]:
    """查看完整个人信息: unmask callers' contact details (audited, with the reason)."""
    return orders.reveal(ctx, order_id, actor, body.reason)
