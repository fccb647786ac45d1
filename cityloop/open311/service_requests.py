"""Service requests over Open311: a POST becomes an appeal (channel open311) through the one
intake; GET shows appeals as GeoReport requests, with residents' personal data left out."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from cityloop.api.schemas import LANDLINE, MOBILE
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_address, mask_name, mask_phone, mask_text
from cityloop.domain.statuses import STATUS_LABELS, TERMINAL, Channel, OrderStatus, Role
from cityloop.open311.catalogue import get_service
from cityloop.open311.config import (
    InvalidAttribute,
    Open311Config,
    check_attributes,
    parse_datetime,
)
from cityloop.open311.errors import Open311Error, bad_request, not_found
from cityloop.open311.keys import ClientInfo
from cityloop.services.context import CityLoop
from cityloop.services.intake import AppealInput, IntakeResult, submit_appeal
from cityloop.services.tracking import next_step
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow

MAX_WINDOW = timedelta(days=90)
MAX_DESCRIPTION = 4000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Phone numbers inside free text (content, replies): masked before anything is published.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")

Form = Mapping[str, list[str]]


def _one(form: Form, name: str, limit: int = 300) -> str:
    values = form.get(name) or []
    value = values[0].strip() if values else ""
    if len(value) > limit:
        raise bad_request(f"{name} is longer than {limit} characters")
    return value


def _coordinate(form: Form, name: str, bound: float) -> float | None:
    text = _one(form, name, 40)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise bad_request(f"{name} '{text}' is not a number") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise bad_request(f"{name} must be between -{bound:g} and {bound:g}")
    return value


def _outside_the_city(ref: Any, lon: float, lat: float) -> bool:
    """A point no grid covers is not the city's to handle (or has lat and long swapped). A city
    that has imported no grids yet locates nothing, so nothing is refused there."""
    return len(ref.grids) > 0 and ref.grids.locate(lon, lat) is None


def _attributes(form: Form) -> dict[str, list[str]]:
    """attribute[code]=v, and attribute[code][]=v1&attribute[code][]=v2 for multi-values."""
    out: dict[str, list[str]] = {}
    for key, values in form.items():
        m = re.fullmatch(r"attribute\[([^\[\]]+)\](\[\])?", key)
        if m:
            out.setdefault(m.group(1), []).extend(values)
    return out


@dataclass(frozen=True)
class Submitted:
    result: IntakeResult
    notice: str


def submit_request(
    ctx: CityLoop, config: Open311Config, client: ClientInfo, form: Form
) -> Submitted:
    """POST requests: check everything first (bad input changes nothing), then one intake."""
    ref = ctx.reference.get()
    code = _one(form, "service_code", 40)
    if not code:
        raise bad_request("service_code was not provided")
    service = get_service(ref, config, code)
    if service is None:
        if code in ref.categories:
            raise bad_request(f"service_code {code} is a group, not a service; use a subcategory")
        raise not_found(f"service_code {code} was not found")

    lat, lon = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    if (lat is None) != (lon is None):
        raise bad_request("lat and long come together")
    address = _one(form, "address_string", 300)
    address_id = _one(form, "address_id", 100)
    if lat is None and not address and not address_id:
        raise bad_request("a location is required: lat & long, address_string or address_id")
    if lat is not None and lon is not None and _outside_the_city(ref, lon, lat):
        raise bad_request(f"lat {lat:g}, long {lon:g} is outside every grid of the city")

    try:
        attributes = check_attributes(service.attributes, _attributes(form), ctx.settings.tz)
    except InvalidAttribute as exc:
        raise bad_request(str(exc)) from None

    description = _one(form, "description", MAX_DESCRIPTION)
    content = description if len(description) >= 5 else f"【{service.name}】{description}"
    phone = _one(form, "phone", 40).replace(" ", "") or None
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise bad_request(
            "phone is not a mainland mobile (11 digits from 1) or landline (e.g. 0571-88886666)"
        )
    email = _one(form, "email", 200)
    if email and not _EMAIL.match(email):
        raise bad_request(f"email '{email}' is not an e-mail address")
    name = (_one(form, "last_name", 40) + _one(form, "first_name", 40)) or None
    media_url = _one(form, "media_url", 1000)
    if media_url and not re.match(r"^https?://\S+$", media_url):
        raise bad_request("media_url must be an http(s) URL")
    external = _one(form, "external_id", 80)

    attachments: list[dict[str, Any]] = []
    if media_url:
        attachments.append({"name": "media", "url": media_url})
    if attributes:
        labels = {
            a.code: _label(a.value_names(), attributes[a.code])
            for a in service.attributes
            if a.code in attributes
        }
        attachments.append({"name": "attributes", "values": attributes, "labels": labels})
    meta = {
        k: v
        for k, v in {
            "client": client.name,
            "client_id": client.id,  # servicerequestupdates answers a key its own requests
            "address_id": address_id,
            "device_id": _one(form, "device_id", 100),
            "account_id": _one(form, "account_id", 100),
        }.items()
        if v
    }
    attachments.append({"name": "open311", **meta})

    result = submit_appeal(
        ctx,
        AppealInput(
            channel=Channel.OPEN311,
            content=content,
            address=address,
            lat=lat,
            lon=lon,
            reporter_name=name,
            reporter_phone=phone,
            category_code=service.code,
            attachments=attachments,
            # A client's own id, namespaced by client so two apps' ids never collide.
            external_id=f"c{client.id}:{external}" if external else None,
        ),
        Actor(user_id=None, name=f"Open311 {client.name}"[:80], role=Role.RESIDENT),
    )
    status = OrderStatus(result.status)
    dept = ref.departments.get(result.lead_department or "")
    due = ctx.local(result.due_at) if result.due_at else None
    return Submitted(result, next_step(status, dept, due))


def _label(names: dict[str, str], value: Any) -> Any:
    if isinstance(value, list):
        return [names.get(v, v) for v in value]
    return names.get(value, value) if isinstance(value, str) and names else value


# -- reading -----------------------------------------------------------------------------------
def is_closed(status: str) -> bool:
    return OrderStatus(status) in TERMINAL


def window(ctx: CityLoop, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The start_date/end_date window: at most 90 days, the last 90 when neither is given."""
    tz = ctx.settings.tz
    try:
        start_at = parse_datetime(start, tz) if start else None
        end_at = parse_datetime(end, tz) if end else None
    except ValueError:
        raise bad_request("start_date and end_date must be ISO 8601 date-times") from None
    if start_at is None and end_at is None:
        end_at = ctx.clock.now()
    if end_at is None:
        assert start_at is not None
        end_at = max(ctx.clock.now(), start_at)
    if start_at is None:
        start_at = end_at - MAX_WINDOW
    if start_at > end_at:
        raise bad_request("start_date is after end_date")
    if end_at - start_at > MAX_WINDOW:
        raise bad_request("the date range is longer than 90 days")
    return start_at, end_at


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def list_requests(
    ctx: CityLoop,
    config: Open311Config,
    *,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    stmt = (
        select(AppealRow, WorkOrderRow)
        .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
        .where(AppealRow.channel.in_(sorted(config.public_channels)))
    )
    ids = _split(service_request_id)
    if ids:  # ids override every other filter (GeoReport v2)
        if len(ids) > config.max_results:
            raise bad_request(f"at most {config.max_results} service_request_id at once")
        stmt = stmt.where(AppealRow.ticket_no.in_(ids))
    else:
        start_at, end_at = window(ctx, start_date, end_date)
        stmt = stmt.where(AppealRow.received_at >= start_at, AppealRow.received_at <= end_at)
        codes = _split(service_code)
        if codes:
            stmt = stmt.where(WorkOrderRow.category_code.in_(codes))
        wanted = {s.lower() for s in _split(status)}  # clients send Open, CLOSED too
        if wanted - {"open", "closed"}:
            raise bad_request("status must be open or closed")
        terminal = [s.value for s in TERMINAL]
        if wanted == {"open"}:
            stmt = stmt.where(WorkOrderRow.status.not_in(terminal))
        elif wanted == {"closed"}:
            stmt = stmt.where(WorkOrderRow.status.in_(terminal))
    stmt = stmt.order_by(AppealRow.received_at.desc(), AppealRow.id.desc()).limit(
        config.max_results
    )
    return _views(ctx, stmt)


def get_request(ctx: CityLoop, config: Open311Config, request_id: str) -> dict[str, Any]:
    stmt = (
        select(AppealRow, WorkOrderRow)
        .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
        .where(
            AppealRow.channel.in_(sorted(config.public_channels)),
            AppealRow.ticket_no == request_id.strip(),
        )
    )
    views = _views(ctx, stmt)
    if not views:
        raise not_found(f"service_request_id {request_id} was not found")
    return views[0]


def request_for_token(ctx: CityLoop, config: Open311Config, token: str) -> dict[str, Any]:
    """Requests are created synchronously, so a token is simply the ticket number."""
    try:
        view = get_request(ctx, config, token)
    except Open311Error:
        raise not_found(f"token {token} was not found") from None
    return {"service_request_id": view["service_request_id"], "token": token.strip()}


def _views(ctx: CityLoop, stmt: Any) -> list[dict[str, Any]]:
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        rows = uow.session.execute(stmt).all()
        order_ids = {order.id for _, order in rows}
        updated: dict[int, datetime] = {}
        if order_ids:
            updated = {
                oid: at
                for oid, at in uow.session.execute(
                    select(OrderEventRow.work_order_id, func.max(OrderEventRow.at))
                    .where(OrderEventRow.work_order_id.in_(order_ids))
                    .group_by(OrderEventRow.work_order_id)
                )
            }
        return [_view(ctx, ref, appeal, order, updated.get(order.id)) for appeal, order in rows]


def _iso(ctx: CityLoop, at: datetime | None) -> str | None:
    return ctx.local(at).isoformat(timespec="seconds") if at else None


def scrub(text: str, appeal: AppealRow) -> str:
    """Public text never carries the resident's phone numbers, ID and card numbers, e-mail
    addresses or name."""
    text = mask_text(_PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "", text)) or ""
    name = (appeal.reporter_name or "").strip()
    if len(name) >= 2:
        text = text.replace(name, mask_name(name) or "")
    return text


def _view(
    ctx: CityLoop, ref: Any, appeal: AppealRow, order: WorkOrderRow, updated: datetime | None
) -> dict[str, Any]:
    status = OrderStatus(order.status)
    label = STATUS_LABELS[status][0]
    notes = (
        order.reply_text
        if order.reply_text
        and status
        in (
            OrderStatus.REPLIED,
            OrderStatus.CLOSED,
        )
        else label
    )
    if order.ticket_no != appeal.ticket_no:
        notes = f"已与工单 {order.ticket_no} 合并办理：{notes}"
    dept = ref.departments.get(order.lead_department or "")
    due = ctx.local(order.due_at) if order.due_at else None
    category = ref.categories.get(order.category_code or "")
    extra = {a.get("name"): a for a in appeal.attachments or [] if isinstance(a, dict)}
    return {
        "service_request_id": appeal.ticket_no,
        "status": "closed" if is_closed(order.status) else "open",
        "status_notes": scrub(notes, appeal),
        "service_name": category.name if category else None,
        "service_code": order.category_code,
        "description": scrub(appeal.content, appeal),
        "agency_responsible": dept,
        "service_notice": next_step(status, dept, due),
        "requested_datetime": _iso(ctx, appeal.received_at),
        "updated_datetime": _iso(ctx, max(filter(None, [updated, appeal.received_at]))),
        "expected_datetime": _iso(ctx, order.due_at),
        "address": mask_address(appeal.address) or None,
        "address_id": (extra.get("open311") or {}).get("address_id"),
        "zipcode": None,
        "lat": appeal.lat,
        "long": appeal.lon,
        "media_url": (extra.get("media") or {}).get("url"),
    }
