"""The device registry (设备台账): CSV import with row-level errors, listing with status, and
the consumer's in-memory view of devices."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from cityloop.geo.regions import ImportProblem, ImportRejected
from cityloop.importers import Row
from cityloop.sensing.engine import DeviceView
from cityloop.sensing.store import DeviceRow
from cityloop.services.context import CityLoop

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
CARE_TAGS = "care_tags"
COLUMNS = ["device_id", "type", "lon", "lat"]  # required; also model, name, address, owner,
# care_tags (| separated), household, tenant


@dataclass(frozen=True)
class DeviceInput:
    tenant: str
    device_id: str
    type: str
    lon: float
    lat: float
    model: str = ""
    name: str = ""
    address: str = ""
    owner: str | None = None
    care_tags: tuple[str, ...] = ()
    household: str | None = None


def _float(v: str, lo: float, hi: float) -> float | None:
    try:
        x = float(v)
    except ValueError:
        return None
    return x if lo <= x <= hi else None


def check_rows(
    ctx: CityLoop, rows: list[Row], device_types: Iterable[str], default_tenant: str
) -> list[DeviceInput]:
    """Every problem with its line and field; nothing is returned unless there are none."""
    ref = ctx.reference.get()
    types = set(device_types)
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, str], int] = {}
    out: list[DeviceInput] = []
    for line, v in rows:
        tenant = v.get("tenant") or default_tenant
        did = v.get("device_id", "")
        bad = len(problems)
        if not _ID.match(did):
            problems.append(ImportProblem.of(line, "device_id", "identifier_format", value=did))
        elif (tenant, did) in seen:
            problems.append(
                ImportProblem.of(
                    line, "device_id", "duplicate_line", value=did, first=seen[(tenant, did)]
                )
            )
        seen.setdefault((tenant, did), line)
        if not _ID.match(tenant):
            problems.append(ImportProblem.of(line, "tenant", "identifier_format", value=tenant))
        dtype = v.get("type", "")
        if dtype not in types:
            problems.append(
                ImportProblem.of(
                    line,
                    "type",
                    "not_one_of",
                    value=dtype,
                    what="device_type",
                    choices=sorted(types),
                )
            )
        lon = _float(v.get("lon", ""), -180, 180)
        lat = _float(v.get("lat", ""), -90, 90)
        if lon is None:
            problems.append(
                ImportProblem.of(
                    line, "lon", "out_of_range", value=v.get("lon", ""), low=-180, high=180
                )
            )
        if lat is None:
            problems.append(
                ImportProblem.of(
                    line, "lat", "out_of_range", value=v.get("lat", ""), low=-90, high=90
                )
            )
        if lon is not None and lat is not None and ref.grids.locate(lon, lat) is None:
            problems.append(ImportProblem.of(line, "lon", "outside_grids", lon=lon, lat=lat))
        owner = v.get("owner") or None
        if owner and owner not in ref.departments and owner not in ref.regions:
            problems.append(ImportProblem.of(line, "owner", "unknown_owner", value=owner))
        for name, limit in (("model", 64), ("name", 100), ("address", 300)):
            if len(v.get(name, "")) > limit:
                problems.append(ImportProblem.of(line, name, "too_long", max=limit))
        if len(problems) > bad or lon is None or lat is None:
            continue
        tags = tuple(t.strip() for t in (v.get("care_tags") or "").split("|") if t.strip())
        out.append(
            DeviceInput(
                tenant,
                did,
                dtype,
                lon,
                lat,
                v.get("model", ""),
                v.get("name", ""),
                v.get("address", ""),
                owner,
                tags,
                v.get("household") or None,
            )
        )
    if problems:
        raise ImportRejected(problems, "line")
    return out


def upsert_devices(ctx: CityLoop, devices: list[DeviceInput]) -> int:
    """Register or update devices (all in one transaction)."""
    ref = ctx.reference.get()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        keys = {(d.tenant, d.device_id) for d in devices}
        existing = {
            (r.tenant, r.device_id): r
            for r in uow.session.execute(
                select(DeviceRow).where(DeviceRow.device_id.in_([d.device_id for d in devices]))
            ).scalars()
            if (r.tenant, r.device_id) in keys
        }
        for d in devices:
            hit = ref.grids.locate(d.lon, d.lat)
            grid = hit.grid_code if hit else None
            by_level = {
                ref.regions[c].level: c for c in ref.region_ancestry(grid) if c in ref.regions
            }
            row = existing.get((d.tenant, d.device_id))
            if row is None:
                row = DeviceRow(
                    tenant=d.tenant,
                    device_id=d.device_id,
                    registered_at=now,
                    status="unknown",
                    marks={},
                )
                uow.session.add(row)
            row.type, row.model, row.name, row.address = d.type, d.model, d.name, d.address
            row.lon, row.lat, row.grid_code = d.lon, d.lat, grid
            row.community_code = by_level.get("community")
            owner = d.owner or by_level.get("community")
            row.owner_code = owner
            row.owner_kind = (
                "department" if owner in ref.departments else "community" if owner else None
            )
            meta: dict[str, Any] = dict(row.meta or {})
            meta[CARE_TAGS] = list(d.care_tags)
            if d.household:
                meta["household"] = d.household
            row.meta = meta
        uow.commit()
    return len(devices)


def import_devices(
    ctx: CityLoop, rows: list[Row], device_types: Iterable[str], default_tenant: str
) -> int:
    return upsert_devices(ctx, check_rows(ctx, rows, device_types, default_tenant))


def effective_status(row: DeviceRow, now: datetime, offline_after: timedelta) -> str:
    if row.last_seen_at is None:
        return "unknown"
    if row.status == "offline" or now - row.last_seen_at > offline_after:
        return "offline"
    return "online"


def list_devices(
    ctx: CityLoop,
    offline_after: timedelta,
    *,
    tenant: str | None = None,
    type: str | None = None,
    status: str | None = None,
    grid: str | None = None,
    page: int = 1,
    page_size: int = 50,
    scope: Any = None,
) -> dict[str, Any]:
    """A page of devices; `scope` is the viewer's jurisdiction as a clause on DeviceRow
    (sensing.overview.device_scope), None for the whole city."""
    now = ctx.clock.now()
    ref = ctx.reference.get()
    clauses: list[Any] = [] if scope is None else [scope]
    if tenant:
        clauses.append(DeviceRow.tenant == tenant)
    if type:
        clauses.append(DeviceRow.type == type)
    if grid:
        clauses.append(DeviceRow.grid_code.startswith(grid, autoescape=True))
    cutoff = now - offline_after
    if status == "unknown":
        clauses.append(DeviceRow.last_seen_at.is_(None))
    elif status == "online":
        clauses += [DeviceRow.last_seen_at >= cutoff, DeviceRow.status != "offline"]
    elif status == "offline":
        clauses.append((DeviceRow.last_seen_at < cutoff) | (DeviceRow.status == "offline"))
    with ctx.uow() as uow:
        total = uow.session.execute(
            select(func.count()).select_from(DeviceRow).where(*clauses)
        ).scalar_one()
        rows = uow.session.execute(
            select(DeviceRow)
            .where(*clauses)
            .order_by(DeviceRow.tenant, DeviceRow.device_id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).scalars()
        items = [
            {
                "tenant": r.tenant,
                "device_id": r.device_id,
                "type": r.type,
                "model": r.model,
                "name": r.name,
                "address": r.address,
                "lon": r.lon,
                "lat": r.lat,
                "grid_code": r.grid_code,
                "grid_name": ref.region_name(r.grid_code),
                "owner": r.owner_code,
                "owner_kind": r.owner_kind,
                "owner_name": ref.departments.get(r.owner_code or "")
                or ref.region_name(r.owner_code),
                "care_tags": list((r.meta or {}).get(CARE_TAGS, [])),
                "status": effective_status(r, now, offline_after),
                "last_seen_at": r.last_seen_at,
                "registered_at": r.registered_at,
            }
            for r in rows
        ]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def view_of(row: DeviceRow) -> DeviceView:
    meta = row.meta or {}
    marks: dict[str, datetime] = {}
    for k, v in (row.marks or {}).items():
        try:
            marks[k] = datetime.fromisoformat(v)
        except (TypeError, ValueError):
            continue
    return DeviceView(
        pk=row.id,
        tenant=row.tenant,
        device_id=row.device_id,
        type=row.type,
        name=row.name,
        model=row.model,
        address=row.address,
        lon=row.lon,
        lat=row.lat,
        grid_code=row.grid_code,
        owner=row.owner_code,
        tags=frozenset(meta.get(CARE_TAGS, []) or []),
        marks=marks,
        last_seen=row.last_seen_at,
        status=row.status,
    )


class DeviceCache:
    """The consumer's devices, in memory. An unknown id is looked up again at most every
    `miss_ttl` seconds, so a newly imported device is picked up without a restart."""

    def __init__(self, ctx: CityLoop, tenant: str = "+", miss_ttl: float = 30.0) -> None:
        self._ctx = ctx
        self._tenant = tenant
        self._miss_ttl = miss_ttl
        self._devices: dict[tuple[str, str], DeviceView] = {}
        self._misses: dict[tuple[str, str], float] = {}
        self._pks: dict[int, DeviceView] = {}

    def load(self) -> None:
        stmt = select(DeviceRow)
        if self._tenant != "+":
            stmt = stmt.where(DeviceRow.tenant == self._tenant)
        with self._ctx.uow() as uow:
            self._devices = {
                (r.tenant, r.device_id): view_of(r) for r in uow.session.execute(stmt).scalars()
            }
        self._misses.clear()
        self._pks = {d.pk: d for d in self._devices.values()}

    def all(self) -> list[DeviceView]:
        return list(self._devices.values())

    def by_pk(self, pk: int) -> DeviceView | None:
        return self._pks.get(pk)

    def get(self, tenant: str, device_id: str) -> DeviceView | None:
        key = (tenant, device_id)
        found = self._devices.get(key)
        if found is not None:
            return found
        missed = self._misses.get(key)
        if missed is not None and time.monotonic() - missed < self._miss_ttl:
            return None
        with self._ctx.uow() as uow:
            row = uow.session.execute(
                select(DeviceRow).where(
                    DeviceRow.tenant == tenant, DeviceRow.device_id == device_id
                )
            ).scalar_one_or_none()
        if row is None:
            self._misses[key] = time.monotonic()
            return None
        self._misses.pop(key, None)
        view = self._devices[key] = self._pks[row.id] = view_of(row)
        return view
