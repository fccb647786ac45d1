"""Delivery channels: e-mail over SMTP, SMS through an HTTP gateway, and the group robots of
企业微信 (WeCom) and 钉钉 (DingTalk) by their public webhook formats. Each `send` returns or
raises DeliveryError; `retryable` says whether trying again later may help."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from cityloop.settings import Settings

HTTP_TIMEOUT = 10.0


class DeliveryError(Exception):
    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason[:300]
        self.retryable = retryable


@dataclass(frozen=True)
class Outgoing:
    channel: str
    address: str  # e-mail, phone, or the robot's key (a department code or "*")
    title: str
    body: str
    markdown: str
    ticket_no: str | None


class Channel(Protocol):
    def send(self, msg: Outgoing) -> None: ...


def _post_json(url: str, payload: Any, headers: dict[str, str] | None = None) -> bytes:
    data = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:  # noqa: S310
            return bytes(resp.read())
    except urllib.error.HTTPError as exc:
        # 4xx: the request itself is wrong (bad number, bad key); retrying sends it again.
        raise DeliveryError(
            f"HTTP {exc.code}", retryable=exc.code >= 500 or exc.code == 429
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"unreachable: {type(exc).__name__}") from exc


class EmailChannel:
    def __init__(self, settings: Settings) -> None:
        self.s = settings

    def send(self, msg: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = self.s.notify_smtp_from
        mail["To"] = msg.address
        mail["Subject"] = msg.title
        mail.set_content(msg.body)
        try:
            with smtplib.SMTP(self.s.notify_smtp_host, self.s.notify_smtp_port, timeout=15) as c:
                if self.s.notify_smtp_starttls:
                    c.starttls()
                if self.s.notify_smtp_user:
                    c.login(self.s.notify_smtp_user, self.s.notify_smtp_password)
                c.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError("recipient refused", retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}") from exc


def fill_template(template: Any, values: dict[str, str]) -> Any:
    """Put values into every string of a JSON template ({phone}, {text}, {ticket_no}); the
    template is parsed first, so a value never breaks the JSON around it."""
    if isinstance(template, str):
        out = template
        for k, v in values.items():
            out = out.replace("{" + k + "}", v)
        return out
    if isinstance(template, list):
        return [fill_template(v, values) for v in template]
    if isinstance(template, dict):
        return {k: fill_template(v, values) for k, v in template.items()}
    return template


class SmsGateway:
    """Any HTTP SMS gateway: POST the configured JSON template to the configured URL. A
    gateway that answers 2xx has accepted the message."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.template = json.loads(settings.notify_sms_template)

    def send(self, msg: Outgoing) -> None:
        payload = fill_template(
            self.template,
            {"phone": msg.address, "text": msg.body, "ticket_no": msg.ticket_no or ""},
        )
        headers = (
            {"Authorization": f"Bearer {self.s.notify_sms_token}"}
            if self.s.notify_sms_token
            else {}
        )
        _post_json(self.s.notify_sms_url, payload, headers)


def _robot_answer(raw: bytes) -> None:
    # Both robots answer 200 with {"errcode": 0, "errmsg": "ok"}; anything else is a refusal.
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError("robot answered non-JSON") from exc
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code != 0:
        # 45009 / 130101: too many messages this minute; try later. Others: wrong key etc.
        raise DeliveryError(f"robot errcode {code}", retryable=code in (45009, 130101, -1))


class WeComRobot:
    """企业微信 group robot: POST {"msgtype": "markdown", "markdown": {"content": …}}."""

    def __init__(self, settings: Settings) -> None:
        self.hooks = settings.notify_wecom_webhooks

    def url_for(self, key: str) -> str | None:
        return self.hooks.get(key) or self.hooks.get("*")

    def send(self, msg: Outgoing) -> None:
        url = self.url_for(msg.address)
        if not url:
            raise DeliveryError(f"no WeCom robot for {msg.address}", retryable=False)
        _robot_answer(
            _post_json(url, {"msgtype": "markdown", "markdown": {"content": msg.markdown}})
        )


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


class DingTalkRobot:
    """钉钉 group robot: markdown message; with a secret the URL carries timestamp and sign."""

    def __init__(self, settings: Settings) -> None:
        self.hooks = settings.notify_dingtalk_webhooks
        self.secrets = settings.notify_dingtalk_secrets

    def url_for(self, key: str, now_ms: int | None = None) -> str | None:
        name = key if key in self.hooks else "*"
        url = self.hooks.get(name)
        if not url:
            return None
        secret = self.secrets.get(name, "")
        if secret:
            ts = now_ms if now_ms is not None else int(time.time() * 1000)
            url += f"{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
        return url

    def send(self, msg: Outgoing) -> None:
        url = self.url_for(msg.address)
        if not url:
            raise DeliveryError(f"no DingTalk robot for {msg.address}", retryable=False)
        payload = {"msgtype": "markdown", "markdown": {"title": msg.title, "text": msg.markdown}}
        _robot_answer(_post_json(url, payload))


def configured_channels(settings: Settings) -> dict[str, Channel]:
    """The channels this deployment can send on (the inbox needs no sending)."""
    out: dict[str, Channel] = {}
    if settings.notify_smtp_host:
        out["email"] = EmailChannel(settings)
    if settings.notify_sms_url:
        out["sms"] = SmsGateway(settings)
    if settings.notify_wecom_webhooks:
        out["wecom"] = WeComRobot(settings)
    if settings.notify_dingtalk_webhooks:
        out["dingtalk"] = DingTalkRobot(settings)
    return out
