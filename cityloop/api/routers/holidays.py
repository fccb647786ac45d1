"""The holiday calendar (节假日与调休) for administrators: list a year, set or remove days, import
a CSV, and the missing-year warning."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, require_roles
from cityloop.api.edge import CityDate
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.services import holidays
from cityloop.services.holidays import MAX_YEAR, MIN_YEAR, NAME_MAX, DayEntry

router = APIRouter(prefix="/api/v1/holidays", tags=["holidays"])
Admin = Annotated[Actor, require_roles(Role.ADMIN)]
# Leaders and dispatchers see the warning too: their deadlines are the ones it concerns.
Viewer = Annotated[Actor, require_roles(Role.ADMIN, Role.LEADER, Role.DISPATCHER)]
MAX_CSV_BYTES = 256 * 1024


class DayIn(BaseModel):
    day: CityDate
    kind: Literal["holiday", "workday"]
    name: str = Field(min_length=1, max_length=NAME_MAX)


class DaysIn(BaseModel):
    days: list[DayIn] = Field(min_length=1, max_length=400)


class RemoveIn(BaseModel):
    days: list[CityDate] = Field(min_length=1, max_length=400)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/status", operation_id="holidayStatus")
def status(ctx: Ctx, _: Viewer) -> dict[str, Any]:
    """Arranged years and warnings (e.g. next year's arrangement missing from November on)."""
    return holidays.calendar_status(ctx)


@router.get("", operation_id="listHolidays")
def list_year(ctx: Ctx, _: Viewer, year: int = Query(ge=MIN_YEAR, le=MAX_YEAR)) -> dict[str, Any]:
    """One year's days off and make-up working days."""
    return holidays.list_year(ctx, year)


@router.post("", operation_id="setHolidays")
def set_days(body: DaysIn, request: Request, ctx: Ctx, actor: Admin) -> dict[str, Any]:
    """Add or change days, all or nothing; audited."""
    entries = [DayEntry(d.day, d.kind, d.name) for d in body.days]
    return holidays.set_days(ctx, actor, entries, client=_client(request))


@router.post("/remove", operation_id="removeHolidays")
def remove_days(body: RemoveIn, request: Request, ctx: Ctx, actor: Admin) -> dict[str, Any]:
    """Take days off the list; audited."""
    return holidays.remove_days(ctx, actor, body.days, client=_client(request))


@router.delete("/{day}", operation_id="removeHoliday")
def remove_day(
    request: Request,
    ctx: Ctx,
    actor: Admin,
    day: Annotated[CityDate, Path(description="YYYY-MM-DD")],
) -> dict[str, Any]:
    return holidays.remove_days(ctx, actor, [day], client=_client(request))


@router.post("/import", operation_id="importHolidays")
def import_csv(file: UploadFile, request: Request, ctx: Ctx, actor: Admin) -> dict[str, Any]:
    """CSV ``日期,类型,名称`` (类型: 休 / 班), UTF-8 or GB18030; replaces the years it lists;
    all or nothing."""
    raw = file.file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"文件过大 file larger than {MAX_CSV_BYTES // 1024} KB")
    return holidays.import_csv(ctx, actor, holidays.decode_csv(raw), client=_client(request))
