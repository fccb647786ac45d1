"""Local stand-ins for the outside world: an SMTP server (aiosmtpd) and an HTTP gateway that
records what it is sent (SMS gateway, 企业微信 and 钉钉 robots)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from cityloop.services.context import CityLoop
from tests.conftest import free_port

# Chosen per run: the SQLite and the PostgreSQL suites run side by side (make test).
SMTP_PORT = free_port()
GATEWAY_PORT = free_port()


@dataclass
class Gateway:
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{GATEWAY_PORT}"

    def paths(self, prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(prefix)]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            u = urlparse(self.path)
            with gw.lock:
                gw.requests.append(
                    {
                        "path": u.path,
                        "query": {k: v[0] for k, v in parse_qs(u.query).items()},
                        "headers": dict(self.headers),
                        "json": json.loads(body or b"null"),
                    }
                )
            self.send_response(gw.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(gw.answer).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", GATEWAY_PORT), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield gw
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    messages: list[Any] = field(default_factory=list)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            msg = message_from_bytes(envelope.content, policy=policy.default)
            box.messages.append((envelope.rcpt_tos, msg))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def wired(ctx: CityLoop, gateway: Gateway, smtp: Mailbox) -> CityLoop:
    """The context with every channel pointed at the local stand-ins."""
    s = ctx.settings.model_copy(
        update={
            "notify_smtp_host": "127.0.0.1",
            "notify_smtp_port": SMTP_PORT,
            "notify_sms_url": f"{gateway.url}/sms",
            "notify_sms_template": '{"mobile": "{phone}", "msg": "{text}", "ref": "{ticket_no}"}',
            "notify_sms_token": "gw-token",
            "notify_wecom_webhooks": {"D-CG": f"{gateway.url}/wecom?key=k1"},
            "notify_dingtalk_webhooks": {"*": f"{gateway.url}/dingtalk?access_token=t1"},
            "notify_dingtalk_secrets": {"*": "SECdingtalk-secret"},
        }
    )
    return replace(ctx, settings=s)
