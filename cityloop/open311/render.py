"""GeoReport v2 bodies in XML (required by the spec) and JSON, UTF-8."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import Response

FORMATS = ("xml", "json")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

# A list's element name → its items' element name.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",  # mySociety's extension
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, dict):
        for k, v in value.items():
            el.append(_element(k, v))
    elif isinstance(value, list):
        child = SINGULAR.get(tag, "item")
        for item in value:
            el.append(_element(child, item))
    else:
        el.text = _text(value)
    return el


def to_xml(root: str, payload: Any) -> bytes:
    # Start and end tags for an empty element, as the spec's examples write them: an empty list
    # is <service_requests></service_requests>, a null field <zipcode></zipcode>.
    body = ET.tostring(_element(root, payload), encoding="unicode", short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def respond(
    fmt: str,
    root: str,
    payload: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """`root` names the XML root (services, service_requests, …); JSON is the payload itself."""
    if fmt == "json":
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Response(content, status_code, headers, media_type=JSON_TYPE)
    return Response(to_xml(root, payload), status_code, headers, media_type=XML_TYPE)


def error_response(
    fmt: str, status: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    return respond(
        fmt if fmt in FORMATS else "xml",
        "errors",
        [{"code": status, "description": description}],
        status,
        headers,
    )
