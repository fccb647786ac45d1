"""Open311 GeoReport v2 endpoints under /open311/v2/, and the console's key management under
/api/v1/open311/clients.

GeoReport errors are answered in the spec's errors/error shape by this router's own route
class, so the rest of the API keeps its problem+json format.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from cityloop.api.deps import Ctx, require_roles
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.orders import Actor
from cityloop.domain.statuses import Role
from cityloop.open311 import keys
from cityloop.open311.catalogue import get_service, list_services
from cityloop.open311.config import Open311Config, load_config
from cityloop.open311.errors import Open311Error, bad_request, not_found
from cityloop.open311.render import FORMATS, error_response, respond
from cityloop.open311.service_requests import (
    get_request,
    list_requests,
    request_for_token,
    submit_request,
)
from cityloop.open311.updates import list_updates
from cityloop.services.context import CityLoop

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


class Open311Route(APIRoute):
    """Answers Open311Error (and a domain InvalidCommand) as GeoReport errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt = request.path_params.get("fmt", "xml")
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description, exc.headers)
            except InvalidCommand as exc:
                return error_response(fmt, 400, f"{exc.field}: {exc.message}")

        return route


georeport = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
admin = APIRouter(prefix="/api/v1/open311/clients", tags=["open311"])
router = APIRouter()


def _config(ctx: CityLoop) -> Open311Config:
    path = getattr(ctx.settings, "open311_config", None)  # an optional setting a city may add
    return load_config(path) if path else load_config()


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise not_found(f"format '{fmt}' is not supported; use xml or json")
    return fmt


_LIMITER_LOCK = threading.Lock()


def _limiter(request: Request) -> keys.SlidingWindowLimiter:
    state = request.app.state
    with _LIMITER_LOCK:
        limiter: keys.SlidingWindowLimiter | None = getattr(state, "open311_limiter", None)
        if limiter is None:
            limiter = keys.SlidingWindowLimiter()
            state.open311_limiter = limiter
        return limiter


def _client(
    request: Request, ctx: CityLoop, api_key: str, required: bool
) -> keys.ClientInfo | None:
    """The calling client, counted against its rate limit. A key is needed to POST; on reads
    it is optional, but a key that is given must be valid."""
    if not api_key:
        if required:
            raise Open311Error(403, "api_key was not provided")
        return None
    client = keys.authenticate(ctx, api_key)
    if client is None:
        raise Open311Error(403, "api_key is invalid or revoked")
    wait = _limiter(request).hit(client.id, client.rate_limit_per_minute)
    if wait is not None:
        retry = max(1, math.ceil(wait))
        raise Open311Error(
            429,
            f"rate limit of {client.rate_limit_per_minute} requests per minute exceeded; "
            f"retry in {retry} s",
            {"Retry-After": str(retry)},
        )
    return client


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


FormFields = Annotated[dict[str, list[str]], Depends(_form)]


# -- GeoReport v2 ------------------------------------------------------------------------------
@georeport.get("/discovery.{fmt}", operation_id="open311Discovery")
def discovery(request: Request, ctx: Ctx, fmt: str) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and what it speaks."""
    fmt = _format(fmt)
    config = _config(ctx)
    base = str(request.url.replace(query="")).rsplit("/", 1)[0] + "/"
    endpoint = {
        "specification": SPEC_URL,
        "url": base,
        "changeset": config.changeset,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    body = {
        "changeset": config.changeset,
        "contact": config.contact,
        "key_service": config.key_service,
        "endpoints": [endpoint],
    }
    return respond(fmt, "discovery", body)


@georeport.get("/", operation_id="open311Root")
def root(request: Request, ctx: Ctx) -> Response:
    """The endpoint URL that discovery gives answers too: with the discovery document (XML)."""
    return discovery(request, ctx, "xml")


def _service_view(s: Any) -> dict[str, Any]:
    return {
        "service_code": s.code,
        "service_name": s.name,
        "description": s.description,
        "metadata": s.metadata,
        "type": "realtime",
        "keywords": s.keywords,
        "group": s.group,
    }


@georeport.get("/services.{fmt}", operation_id="open311Services")
def services(ctx: Ctx, fmt: str, jurisdiction_id: str | None = None) -> Response:
    """Service list: the leaf categories of the city's taxonomy."""
    fmt = _format(fmt)
    items = list_services(ctx.reference.get(), _config(ctx))
    return respond(fmt, "services", [_service_view(s) for s in items])


@georeport.get("/services/{service_code}.{fmt}", operation_id="open311ServiceDefinition")
def service_definition(
    ctx: Ctx, service_code: str, fmt: str, jurisdiction_id: str | None = None
) -> Response:
    """Service definition: the attributes a request for this service takes."""
    fmt = _format(fmt)
    service = get_service(ctx.reference.get(), _config(ctx), service_code)
    if service is None:
        raise not_found(f"service_code {service_code} was not found")
    attributes = [
        {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description or None,
            "order": a.order,
            "description": a.description,
            "values": [{"key": v.key, "name": v.name} for v in a.values],
        }
        for a in service.attributes
    ]
    return respond(
        fmt, "service_definition", {"service_code": service.code, "attributes": attributes}
    )


@georeport.post("/requests.{fmt}", operation_id="open311CreateRequest")
def create_request(
    request: Request, ctx: Ctx, fmt: str, form: FormFields, response: Response
) -> Response:
    """POST a service request (form-encoded, api_key required). It is received at once:
    service_request_id is the CityLoop ticket number."""
    fmt = _format(fmt)
    api_key = (form.get("api_key") or [request.query_params.get("api_key", "")])[0]
    client = _client(request, ctx, api_key.strip(), required=True)
    assert client is not None
    done = submit_request(ctx, _config(ctx), client, form)
    body = [
        {
            "service_request_id": done.result.ticket_no,
            "service_notice": done.notice,
            "account_id": None,
        }
    ]
    return respond(fmt, "service_requests", body, 201 if done.result.created else 200)


@georeport.get("/requests.{fmt}", operation_id="open311ListRequests")
def requests(
    request: Request,
    ctx: Ctx,
    fmt: str,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    api_key: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    """Service requests received within a window of at most 90 days (default: the last 90)."""
    fmt = _format(fmt)
    _client(request, ctx, (api_key or "").strip(), required=False)
    items = list_requests(
        ctx,
        _config(ctx),
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    return respond(fmt, "service_requests", items)


@georeport.get("/requests/{request_id}.{fmt}", operation_id="open311GetRequest")
def one_request(
    request: Request,
    ctx: Ctx,
    request_id: str,
    fmt: str,
    api_key: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    fmt = _format(fmt)
    _client(request, ctx, (api_key or "").strip(), required=False)
    return respond(fmt, "service_requests", [get_request(ctx, _config(ctx), request_id)])


@georeport.get("/tokens/{token}.{fmt}", operation_id="open311Token")
def token(
    request: Request,
    ctx: Ctx,
    token: str,
    fmt: str,
    api_key: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    """Requests are synchronous here: the token is the ticket number, kept for clients that
    follow the token flow."""
    fmt = _format(fmt)
    _client(request, ctx, (api_key or "").strip(), required=False)
    if not token.strip():
        raise bad_request("token is required")
    return respond(fmt, "service_requests", [request_for_token(ctx, _config(ctx), token)])


@georeport.get("/servicerequestupdates.{fmt}", operation_id="open311RequestUpdates")
def request_updates(
    request: Request,
    ctx: Ctx,
    fmt: str,
    api_key: str = "",
    start_date: str | None = None,
    end_date: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    """mySociety's extension, polled by FixMyStreet: the status changes and replies, within the
    window, of the requests this key created (oldest first). The key is required."""
    fmt = _format(fmt)
    client = _client(request, ctx, api_key.strip(), required=True)
    assert client is not None
    items = list_updates(
        ctx,
        client,
        start_date=start_date,
        end_date=end_date,
        max_results=_config(ctx).max_results,
    )
    return respond(fmt, "service_request_updates", items)


# -- console: client keys (admin only) ---------------------------------------------------------
class Open311ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    rate_limit_per_minute: int = Field(
        default=keys.DEFAULT_RATE_LIMIT, ge=1, le=keys.MAX_RATE_LIMIT
    )


class Open311ClientView(BaseModel):
    id: int
    name: str
    created_at: datetime
    active: bool
    rate_limit_per_minute: int


class Open311ClientCreated(Open311ClientView):
    api_key: str = Field(description="shown this once; only its SHA-256 is kept")


AdminActor = Annotated[Actor, require_roles(Role.ADMIN)]


@admin.get("", response_model=list[Open311ClientView], operation_id="listOpen311Clients")
def list_clients(ctx: Ctx, actor: AdminActor) -> list[dict[str, Any]]:
    return [c.__dict__ for c in keys.list_clients(ctx)]


@admin.post(
    "", status_code=201, response_model=Open311ClientCreated, operation_id="createOpen311Client"
)
def create_client(ctx: Ctx, actor: AdminActor, body: Open311ClientCreate) -> dict[str, Any]:
    client, key = keys.create_key(ctx, body.name, body.rate_limit_per_minute, actor=actor)
    return {**client.__dict__, "api_key": key}


@admin.post("/{name}/revoke", response_model=Open311ClientView, operation_id="revokeOpen311Client")
def revoke_client(ctx: Ctx, actor: AdminActor, name: str) -> dict[str, Any]:
    return keys.revoke_key(ctx, name, actor=actor).__dict__


router.include_router(georeport)
router.include_router(admin)
