"""Pydantic schemas at the API edge: one family per entity."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cityloop.domain.statuses import Channel, Rating, Urgency
from cityloop.services import attachments

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Either of the two, for a query parameter's pattern.
MOBILE_OR_LANDLINE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"

T = TypeVar("T")


class Attachment(BaseModel):
    name: str = Field(max_length=200)
    url: str = Field(max_length=1000)
    content_type: str = Field(default="application/octet-stream", max_length=100)
    size: int | None = Field(default=None, ge=0)

    @field_validator("url")
    @classmethod
    def _safe_url(cls, v: str) -> str:
        # No javascript:, data: or foreign hosts behind a link the console renders.
        if not attachments.url_allowed(v):
            raise PydanticCustomError("attachment_url", "relative, or https to a configured host")
        return v.strip()


class AppealCreate(BaseModel):
    """诉求受理: what a channel sends in."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    content: str = Field(min_length=5, max_length=4000, description="诉求内容")
    title: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    reporter_name: str | None = Field(default=None, max_length=80)
    reporter_phone: str | None = Field(
        default=None, description="手机（1 开头 11 位）或座机（区号-号码，如 0571-88886666）"
    )
    category_code: str | None = Field(default=None, max_length=12)
    urgency: Urgency | None = None
    life_safety: bool = Field(
        default=False, description="生命安全: the operator marks a danger to life"
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    merge_into: int | None = Field(
        default=None, ge=1, le=2**53, description="并入: join this open order (staff only)"
    )
    answer: str | None = Field(
        default=None,
        max_length=4000,
        description="直接办结: the answer given on the call; the consultation is closed at once",
    )
    knowledge_id: int | None = Field(
        default=None, ge=1, le=2**53, description="the knowledge-base entry the answer came from"
    )

    @field_validator("content")
    @classmethod
    def _content_not_blank(cls, v: str) -> str:
        if len(v.strip()) < 5:
            raise PydanticCustomError(
                "content_blank",
                "content must have at least {min_length} non-blank characters",
                {"min_length": 5},
            )
        return v.strip()

    @field_validator("reporter_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = v.strip().replace(" ", "")
        if not (MOBILE.match(v) or LANDLINE.match(v)):
            raise PydanticCustomError(
                "phone_invalid",
                "not a mainland mobile (11 digits from 1) or landline (e.g. 0571-88886666)",
            )
        return v

    @model_validator(mode="after")
    def _both_coordinates(self) -> AppealCreate:
        if (self.lat is None) != (self.lon is None):
            raise PydanticCustomError("coordinates_pair", "lat and lon come together")
        return self


class OnSpotCreate(AppealCreate):
    """就地处置: a patrol report closed in the same step, with what was done and a photo."""

    channel: Channel = Channel.GRID_PATROL
    handling_note: str = Field(default="", max_length=2000, description="现场处置情况")

    @field_validator("channel")
    @classmethod
    def _patrol_only(cls, v: Channel) -> Channel:
        if v is not Channel.GRID_PATROL:
            raise PydanticCustomError("patrol_only", "only the grid_patrol channel")
        return v


class RoutingView(BaseModel):
    auto_dispatch: bool
    category_source: str
    reason: str
    rule_version: int | None = None
    suggestions: list[dict[str, Any]] = []
    urgent_phrase: str | None = None
    # Who judged the urgency and why (services/urgency.urgency_record): level, life_safety,
    # source (operator | category | text), reason (hazard or near-miss code), evidence.
    urgency: dict[str, Any] | None = None
    place: dict[str, Any] | None = None
    linked_to: int | None = None
    # 直接办结: answered on the call, from this knowledge-base entry (or none)
    answered: dict[str, Any] | None = None


class AppealAccepted(BaseModel):
    ticket_no: str
    appeal_id: int
    work_order_id: int
    status: str
    status_label: str
    location_status: str
    grid_code: str | None
    category_code: str | None
    urgency: str
    lead_department: str | None
    co_departments: list[str]
    due_at: datetime | None
    routing: RoutingView
    understanding: dict[str, Any] | None = None
    life_safety: bool = False
    next_step: str  # what happens next, in the resident's words (Chinese) …
    next_step_en: str  # … and in English


class OnSpotAccepted(AppealAccepted):
    handled_on_spot: bool = True


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class SlaView(BaseModel):
    status: str
    label: str
    used_fraction: float
    remaining_seconds: int
    running: bool
    clock: str = "working"  # working | natural: what the seconds count
    day_seconds: int = 0  # one day on that clock (a working day's office hours, or 86400)
    remaining_text: dict[str, Any] | None = None  # domain/remaining.order_remaining_words


class OrderSummary(BaseModel):
    id: int
    ticket_no: str
    status: str
    channel: str
    title: str
    category_code: str | None
    category_path: str | None
    urgency: str
    grid_code: str | None
    region_name: str | None
    lead_department: str | None
    lead_department_name: str | None
    received_at: datetime
    due_at: datetime | None
    sla: SlaView | None
    urge_count: int
    rating: str | None
    life_safety: bool = False
    handled_on_spot: bool = False  # 就地处置
    lat: float | None = None
    lon: float | None = None
    next_due: NextDue | None = None
    step_state: str | None = Field(
        default=None, description="worst open step: running | warning | overdue"
    )


class Wording(BaseModel):
    """A message in both languages, and as a code with parameters for the console."""

    zh: str
    en: str
    code: str
    params: dict[str, Any]


class StepView(BaseModel):
    """One step's timer (环节时限): dispatch, respond (签收), complete (办结), co_feedback."""

    step: str
    step_label: str
    department_code: str | None
    limit: str = Field(description="e.g. 10m@natural, 2h (working hours), 5d (working days)")
    limit_label: dict[str, str]
    clock: str = Field(description="natural | working")
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    finished_at: datetime | None
    state: str = Field(
        description="running | warning | overdue | done | done_late | missed | cancelled"
    )
    remaining_seconds: int = Field(
        description="clock seconds left; negative: over (finished: the margin it ended with)"
    )
    remaining_text: Wording


class NextDue(BaseModel):
    step: str
    department_code: str | None
    due_at: datetime
    state: str
    remaining_text: Wording


class HandoffView(BaseModel):
    agency: str = Field(description="110 | 119 | 120 | 122")
    to: str
    at: datetime
    note: str


class AssignmentView(BaseModel):
    department_code: str
    department_name: str | None
    role: str
    state: str
    note: str


class AppealView(BaseModel):
    id: int
    ticket_no: str
    channel: str
    title: str
    content: str
    address: str | None
    reporter_name: str | None
    reporter_phone: str | None
    received_at: datetime
    location_status: str
    attachments: list[dict[str, Any]]
    understanding: dict[str, Any] | None = None


class EventView(BaseModel):
    action: str
    at: datetime
    from_status: str
    to_status: str
    actor_name: str
    actor_role: str
    note: str
    data: dict[str, Any]


class OrderDetail(OrderSummary):
    content: str
    lon: float | None
    lat: float | None
    region: dict[str, dict[str, Any]]
    time_limit: str | None
    rule_version: int | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    warn_at: datetime | None
    reply_text: str
    pending_extension: str | None
    pending_extension_label: dict[str, str] | None = None
    time_limit_label: dict[str, str] | None = None
    reply: dict[str, Any] | None = None
    extension_count: int
    reopen_count: int
    return_count: int
    merged_into: int | None
    cancel_reason: str
    routing: dict[str, Any]
    assignments: list[AssignmentView]
    appeals: list[AppealView]
    timeline: list[EventView]
    personal_data_masked: bool
    allowed_actions: list[str]
    may_reveal: bool
    steps: list[StepView] = []
    handoffs: list[HandoffView] = []


class ActionRequest(BaseModel):
    """The body of `POST /work-orders/{id}/actions/{action}`; which fields matter depends on
    the action (reasons for return/cancel/deny, the rating for rate, …)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)
    lead_department: str | None = None
    co_departments: list[str] | None = None
    time_limit: str | None = Field(default=None, description="e.g. 2h, 5d")
    category_code: str | None = None
    rating: Rating | None = None
    merge_into: int | None = None
    extension: str | None = Field(default=None, description="extra working time, e.g. 3d")
    # The same in natural units, as the console asks for it: a number and a unit from a list.
    extension_amount: int | None = Field(default=None, ge=1, le=720)
    extension_unit: Literal["working_days", "hours", "natural_days"] | None = None
    # A structured reply (办理结果): the outcome, the measures taken, photos before and after.
    result: Literal["resolved", "partial", "unresolved"] | None = None
    measures: str = Field(default="", max_length=2000)
    photos_before: list[Attachment] = Field(default_factory=list, max_length=10)
    photos_after: list[Attachment] = Field(default_factory=list, max_length=10)


class RevealRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: dict[str, Any]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(min_length=1, max_length=80)
    role: str
    region_code: str | None = None
    department_code: str | None = None
    phone: str | None = None


class TrackRate(BaseModel):
    ticket_no: str
    phone: str
    rating: Rating
    note: str = Field(default="", max_length=1000)


class AnalyseRequest(BaseModel):
    """What an operator has typed so far (话务员边听边录)."""

    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=2, max_length=4000)
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    category_code: str | None = None


class SplitRequest(BaseModel):
    note: str = Field(min_length=2, max_length=1000)
