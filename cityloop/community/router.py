"""All community routers under one: `app.include_router(cityloop.community.router.router)`."""

from __future__ import annotations

from fastapi import APIRouter

from cityloop.community.groups.router import router as groups
from cityloop.community.mediation.router import router as mediation
from cityloop.community.points.router import router as points
from cityloop.community.registry.router import router as registry
from cityloop.community.snaps.router import router as snaps
from cityloop.community.trust.router import router as trust
from cityloop.community.wishes.router import router as wishes

router = APIRouter()
for _r in (registry, wishes, snaps, points, mediation, trust, groups):
    router.include_router(_r)
