"""The floor for intake: a FastAPI endpoint that validates the same body and commits one row
with psycopg, nothing else. Served exactly like CityLoop (cityloop.serving: uvicorn workers on
SO_REUSEPORT sockets, uvloop, httptools)."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from fastapi import FastAPI

from cityloop.api.schemas import AppealCreate

DSN = os.environ["BARE_DSN"]
_pool: queue.Queue[psycopg.Connection] = queue.Queue()


@contextmanager
def connection() -> Iterator[psycopg.Connection]:
    try:
        conn = _pool.get_nowait()
    except queue.Empty:
        conn = psycopg.connect(DSN)
    try:
        yield conn
    finally:
        _pool.put(conn)


app = FastAPI()


def make_app() -> FastAPI:
    """The factory the worker processes build the app with (cityloop.serving)."""
    return app


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/appeals", status_code=201)
def create(body: AppealCreate) -> dict[str, int]:
    with connection() as conn:
        row = conn.execute(
            "INSERT INTO bare_appeals (channel, content, phone) VALUES (%s, %s, %s) RETURNING id",
            (body.channel.value, body.content, body.reporter_phone),
        ).fetchone()
        conn.commit()
    assert row is not None
    return {"id": int(row[0])}
