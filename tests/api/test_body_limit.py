"""Upload size enforced while the body streams in (issue 13: a 50 MB anonymous upload was read in
full before it was refused)."""

from __future__ import annotations

import asyncio
import select
import socket
from typing import Any

import pytest

from cityloop.api.app import create_app
from cityloop.api.body_limit import FRAMING, BodyLimit, body_limit
from tests.live import serve

MB = 1024 * 1024
BIG = 50 * MB


class Feed:
    """An ASGI receive that hands out a body in chunks and counts what was taken."""

    def __init__(self, total: int, chunk: int = MB) -> None:
        self.total, self.chunk, self.taken = total, chunk, 0

    async def __call__(self) -> dict[str, Any]:
        size = min(self.chunk, self.total - self.taken)
        self.taken += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.taken < self.total}


def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]], feed: Feed) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(app(scope, feed, send))
    return sent


async def _reads_everything(scope: Any, receive: Any, send: Any) -> None:
    """A handler that reads the whole body first, as the multipart parser does."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"stored"})


def test_declared_length_over_the_limit_is_refused_before_any_byte_is_read(ctx) -> None:
    guard = BodyLimit(_reads_everything, ctx.settings)
    feed = Feed(BIG)
    headers = [(b"content-length", str(BIG).encode()), (b"content-type", b"multipart/form-data")]
    sent = _call(guard, "/api/v1/attachments", headers, feed)
    assert sent[0]["status"] == 413
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    assert feed.taken == 0


def test_chunked_body_is_cut_at_the_limit(ctx) -> None:
    guard = BodyLimit(_reads_everything, ctx.settings)
    feed = Feed(BIG)
    sent = _call(guard, "/api/v1/attachments", [], feed)  # no Content-Length: chunked
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    limit = ctx.settings.attachment_max_bytes + FRAMING
    # Reading stopped with the chunk that crossed the limit, not at the end of the 50 MB.
    assert limit < feed.taken <= limit + feed.chunk < BIG


def test_a_body_within_the_limit_reaches_the_handler(ctx) -> None:
    guard = BodyLimit(_reads_everything, ctx.settings)
    feed = Feed(2 * MB)
    sent = _call(guard, "/api/v1/attachments", [], feed)
    assert sent[0]["status"] == 201 and feed.taken == 2 * MB


def test_limits_follow_the_settings(ctx) -> None:
    s = ctx.settings
    assert body_limit("/api/v1/attachments", s) == s.attachment_max_bytes + FRAMING
    assert body_limit("/api/v1/departments/import", s) == s.import_max_bytes + FRAMING
    assert body_limit("/api/v1/appeals", s) == s.import_max_bytes + FRAMING


def test_anonymous_50_mb_upload_through_the_app_answers_413_problem(client) -> None:
    r = client.post(
        "/api/v1/attachments",
        files={"file": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * BIG, "image/png")},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 413 and body["code"] == "body_too_large"
    assert body["params"]["limit_bytes"] == 10 * MB + FRAMING


@pytest.fixture
def live(ctx):
    """The app on a real uvicorn server (its own port), so the body really streams."""
    with serve(create_app(ctx, web=False)) as port:
        yield port


def _stream_upload(port: int, chunked: bool) -> tuple[bytes, int]:
    """Send a 50 MB multipart upload a chunk at a time; stop once an answer arrives. Return the
    answer's first bytes and how much of the body had been sent by then."""
    boundary = "cityloopboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    total = len(head) + BIG
    request = [
        b"POST /api/v1/attachments HTTP/1.1",
        b"Host: test",
        f"Content-Type: multipart/form-data; boundary={boundary}".encode(),
        b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}".encode(),
    ]
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"\r\n".join(request) + b"\r\n\r\n")
        pieces = [head] + [b"\x00" * MB] * (BIG // MB)
        for piece in pieces:
            if select.select([sock], [], [], 0)[0]:
                break  # answered before the body was all sent
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        answer = b""
        sock.settimeout(20)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    return answer, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_real_server_refuses_the_upload_before_it_is_all_sent(live, chunked: bool) -> None:
    answer, sent = _stream_upload(live, chunked)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer
    assert sent < BIG
