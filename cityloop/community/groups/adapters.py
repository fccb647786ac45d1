"""Group messages from what a community really has, into one shape (documented in
docs/COMMUNITY.md):

* `wecom`: WeCom's message archive (会话内容存档). The archive SDK hands each message over
  decrypted as a JSON object — ``{"msgid", "action": "send", "from", "tolist", "roomid",
  "msgtime": <ms>, "msgtype": "text", "text": {"content"}}``; give a JSON array or one object
  per line. Only sent text messages of a group (``roomid`` set) are taken; recalls, images
  and one-to-one chats are skipped.
* `text`: a chat exported as text, one message per line
  ``2026-11-28 07:30[:05] 昵称: 内容`` (a line without that head continues the message before).
* `csv`: columns 时间, 发送人, 内容 (and 消息ID if the tool gives one), UTF-8 or GB18030.

Messages without their own id get one from a hash of group, time, sender and text, so
re-importing the same export changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cityloop.domain.error_words import render


class FormatError(ValueError):
    """A line or record that cannot be read; `where` says which (1-based). `code` and
    `params` (which hold the line or record) are those of the refused command it becomes
    (cityloop/domain/error_words.py); the message, Chinese, names the line itself."""

    def __init__(self, where: str, code: str, **params: Any) -> None:
        self.where = where
        self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return render(self.code, self.params, "zh")


@dataclass(frozen=True)
class Incoming:
    external_id: str
    room: str | None  # WeCom roomid; None for exports (the caller names the group)
    sender: str
    at: datetime
    text: str


def _hash_id(*parts: str) -> str:
    return "h:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def parse_wecom(raw: str, tz: ZoneInfo) -> list[Incoming]:
    raw = raw.strip()
    if not raw:
        return []
    try:
        records = json.loads(raw) if raw.startswith("[") else None
    except json.JSONDecodeError as exc:
        raise FormatError("JSON", "json_invalid_at", line=exc.lineno) from None
    if records is None:
        records = []
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise FormatError(f"第 {n} 行", "json_line_object", line=n) from None
    out: list[Incoming] = []
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise FormatError(f"第 {n} 条", "json_record_object", record=n)
        if rec.get("action", "send") != "send" or rec.get("msgtype") != "text":
            continue
        if not rec.get("roomid"):
            continue  # a one-to-one chat, not a group's
        try:
            msgid = str(rec["msgid"])
            sender = str(rec["from"])
            at = datetime.fromtimestamp(int(rec["msgtime"]) / 1000, tz)
            text = str(rec["text"]["content"])
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise FormatError(f"第 {n} 条", "wecom_record_fields", record=n) from None
        out.append(Incoming(msgid[:80], str(rec["roomid"])[:80], sender[:80], at, text))
    return out


_HEAD = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}:\d{2}(?::\d{2})?)\s+([^:：]{1,40})[:：]\s?(.*)$"
)


def _when(day: str, clock: str, tz: ZoneInfo, where: str, line: int) -> datetime:
    fmt = "%Y-%m-%d %H:%M:%S" if clock.count(":") == 2 else "%Y-%m-%d %H:%M"
    try:
        return datetime.strptime(f"{day} {clock}", fmt).replace(tzinfo=tz)
    except ValueError:
        raise FormatError(where, "chat_time_invalid", line=line, value=f"{day} {clock}") from None


def parse_text(raw: str, tz: ZoneInfo, group_key: str) -> list[Incoming]:
    out: list[tuple[datetime, str, list[str]]] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        m = _HEAD.match(line.strip())
        if m:
            at = _when(m.group(1), m.group(2), tz, f"第 {n} 行", n)
            out.append((at, m.group(3).strip(), [m.group(4)]))
        elif out:
            out[-1][2].append(line.strip())
        else:
            raise FormatError(f"第 {n} 行", "chat_line_start", line=n)
    return [
        Incoming(
            _hash_id(group_key, at.isoformat(), who, "\n".join(t)), None, who, at, "\n".join(t)
        )
        for at, who, t in out
    ]


def parse_csv(raw: bytes, tz: ZoneInfo, group_key: str) -> list[Incoming]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FormatError("文件", "file_encoding")
    reader = csv.DictReader(io.StringIO(text))
    need = ("时间", "发送人", "内容")
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise FormatError("第 1 行", "columns_missing", columns=missing)
    out = []
    for n, rec in enumerate(reader, start=2):
        stamp = (rec.get("时间") or "").strip()
        parts = stamp.replace("T", " ").split()
        if len(parts) != 2:
            raise FormatError(f"第 {n} 行“时间”", "chat_csv_time", line=n, value=stamp)
        at = _when(parts[0], parts[1], tz, f"第 {n} 行“时间”", n)
        who = (rec.get("发送人") or "").strip()[:80]
        body = (rec.get("内容") or "").strip()
        if not who or not body:
            raise FormatError(f"第 {n} 行", "chat_sender_text", line=n)
        mid = (rec.get("消息ID") or "").strip()[:80] or _hash_id(group_key, stamp, who, body)
        out.append(Incoming(mid, None, who, at, body))
    return out
