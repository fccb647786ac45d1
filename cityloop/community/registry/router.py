"""/api/v1/community/registry: the community database (全业务数据库)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, UploadFile
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, CurrentActor
from cityloop.api.edge import CityDate
from cityloop.community.registry import (
    changes,
    exports,
    houses,
    importing,
    overview,
    residents,
    sheets,
)
from cityloop.community.registry.residents import ResidentFilters
from cityloop.domain.errors import InvalidCommand

router = APIRouter(prefix="/api/v1/community/registry", tags=["community: registry"])
_MAX_IMPORT = 20 * 1024 * 1024


class ResidentUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=80)
    gender: str | None = Field(None, max_length=8)
    birth_date: CityDate | None = None
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=20)
    relation: str | None = Field(None, max_length=16)
    residence: str | None = None
    party_member: bool | None = None
    active: bool | None = None
    household_code: str | None = None
    version: int | None = Field(None, description="the version you read (optimistic check)")


class HouseUpdate(BaseModel):
    usage: str | None = None
    area: float | None = Field(None, gt=0, lt=10000)


class CareTagIn(BaseModel):
    tag: str
    note: str = Field("", max_length=200)


class RevealIn(BaseModel):
    reason: str = Field(..., min_length=2, max_length=200)


class LinkUserIn(BaseModel):
    username: str | None = None


async def _rows(file: UploadFile) -> list[tuple[int, dict[str, str]]]:
    data = await file.read(_MAX_IMPORT + 1)
    if len(data) > _MAX_IMPORT:
        raise InvalidCommand("file", "file_too_large", {"max_mb": _MAX_IMPORT // (1024 * 1024)})
    return sheets.read_table(file.filename or "import.csv", data)


@router.post("/import/residents", operation_id="communityImportResidents")
async def import_residents(file: UploadFile, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """CSV or Excel: grid_code, estate, building, unit, room, name[, household_code, id_number,
    phone, birth_date, gender, relation, residence, party_member, care_tags (a|b), username].
    All or nothing; a 422 lists every problem by line and field."""
    return importing.import_people(ctx, actor, await _rows(file))


@router.post("/import/shops", operation_id="communityImportShops")
async def import_shops(file: UploadFile, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """CSV or Excel: grid_code, estate, building, name[, business, licence_no, contact_name,
    contact_phone]. All or nothing."""
    return importing.import_shops(ctx, actor, await _rows(file))


@router.get("/residents", operation_id="communityListResidents")
def list_residents(
    ctx: Ctx,
    actor: CurrentActor,
    region: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    min_age: int | None = Query(None, ge=0, le=130),
    living_alone: bool | None = None,
    household_id: int | None = None,
    page: int = Query(1, ge=1),
    size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Residents inside the caller's jurisdiction, masked."""
    f = ResidentFilters(region, tag, name, min_age, living_alone, household_id, page, size)
    return residents.list_residents(ctx, actor, f)


@router.get("/residents/elderly-alone", operation_id="communityElderlyAlone")
def elderly_alone(
    ctx: Ctx, actor: CurrentActor, region: str | None = None, age: int = Query(80, ge=50, le=130)
) -> dict[str, Any]:
    """Residents aged ≥ 80 (by default) living alone."""
    return residents.elderly_alone(ctx, actor, region, age)


@router.get("/residents/{resident_id}", operation_id="communityGetResident")
def get_resident(resident_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A resident (masked) and their house (以人找房)."""
    return residents.get_resident(ctx, actor, resident_id)


@router.post("/residents/{resident_id}/reveal", operation_id="communityRevealResident")
def reveal_resident(
    resident_id: int, body: RevealIn, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    """The full record (ID number, phone) for the grid's worker, supervisors and admin; every
    call is written to the audit log with its reason."""
    return residents.get_resident(ctx, actor, resident_id, full=True, reason=body.reason)


@router.patch("/residents/{resident_id}", operation_id="communityUpdateResident")
def update_resident(
    resident_id: int, body: ResidentUpdate, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    return changes.update_resident(ctx, actor, resident_id, fields, version)


@router.post("/residents/{resident_id}/care-tags", operation_id="communityAddCareTag")
def add_care_tag(
    resident_id: int, body: CareTagIn, ctx: Ctx, actor: CurrentActor
) -> dict[str, Any]:
    return changes.set_care_tag(ctx, actor, resident_id, body.tag, True, body.note)


@router.delete("/residents/{resident_id}/care-tags/{tag}", operation_id="communityRemoveCareTag")
def remove_care_tag(resident_id: int, tag: str, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return changes.set_care_tag(ctx, actor, resident_id, tag, False)


@router.put("/residents/{resident_id}/user", operation_id="communityLinkUser")
def link_user(resident_id: int, body: LinkUserIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Link a resident's login account (wishes, snaps and points need one)."""
    return changes.link_user(ctx, actor, resident_id, body.username)


@router.get("/history/{entity}/{entity_id}", operation_id="communityHistory")
def history(entity: str, entity_id: int, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Every change of a resident, house or shop: version, field, old → new, who, when."""
    return changes.history(ctx, actor, entity, entity_id)


@router.get("/houses", operation_id="communityListHouses")
def list_houses(
    ctx: Ctx,
    actor: CurrentActor,
    region: str | None = None,
    vacant: bool | None = Query(None, description="true: no registered resident"),
    page: int = Query(1, ge=1),
    size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    return houses.list_houses(ctx, actor, region, vacant, page, size)


@router.get("/houses/{house_id}", operation_id="communityGetHouse")
def get_house(house_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A house with its households and residents (以房找人)."""
    return houses.get_house(ctx, actor, house_id)


@router.patch("/houses/{house_id}", operation_id="communityUpdateHouse")
def update_house(house_id: int, body: HouseUpdate, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return changes.update_house(ctx, actor, house_id, body.model_dump(exclude_unset=True))


@router.get("/households", operation_id="communityHouseholdsWithTag")
def households(
    ctx: Ctx, actor: CurrentActor, tag: str, region: str | None = None
) -> list[dict[str, Any]]:
    """Households in my jurisdiction where someone carries the care tag."""
    return houses.households_with_tag(ctx, actor, tag, region)


@router.get("/estates", operation_id="communityEstates")
def estates(ctx: Ctx, actor: CurrentActor, region: str | None = None) -> list[dict[str, Any]]:
    return overview.estates(ctx, actor, region)


@router.get("/buildings/{building_id}", operation_id="communityBuilding")
def building(building_id: int, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A building with its houses and the shops in it."""
    return houses.building_detail(ctx, actor, building_id)


@router.get("/shops", operation_id="communityShops")
def shops(
    ctx: Ctx, actor: CurrentActor, region: str | None = None, building_id: int | None = None
) -> list[dict[str, Any]]:
    return houses.list_shops(ctx, actor, region, building_id)


@router.get("/counts", operation_id="communityCounts")
def counts(ctx: Ctx, actor: CurrentActor, region: str | None = None) -> list[dict[str, Any]]:
    """Per community: estates, buildings, houses, households, residents, shops, care tags."""
    return overview.counts(ctx, actor, region)


@router.get("/export", operation_id="communityExport")
def export(
    ctx: Ctx,
    actor: CurrentActor,
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
    region: str | None = None,
    full: bool = False,
    reason: str = "",
) -> Response:
    """Residents as CSV or Excel: masked; in full only for roles that may see full records."""
    data, media = exports.export_residents(ctx, actor, format, region, full, reason)
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="residents.{format}"'},
    )
