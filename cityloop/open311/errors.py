"""Errors answered in the GeoReport v2 shape (errors/error/{code,description})."""

from __future__ import annotations


class Open311Error(Exception):
    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)
