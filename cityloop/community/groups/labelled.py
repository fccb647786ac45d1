"""The hand-written, labelled group-chat sets shipped with the project (data/messages_*.txt):
one part for tuning the rules, one never looked at while tuning. Used by the bench and tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent / "data"
PARTS = {"tuning": DATA / "messages_tuning.txt", "unseen": DATA / "messages_unseen.txt"}
STAFF_MARKS = ("物业", "网格员", "网格长", "客服")


@dataclass(frozen=True)
class Labelled:
    key: str
    group: str
    estate: str
    building: str | None
    at: datetime
    sender: str
    kind: str
    topic: str | None
    text: str

    @property
    def from_staff(self) -> bool:
        return any(mark in self.sender for mark in STAFF_MARKS)


def load(part: str, year: int = 2026) -> list[Labelled]:
    tz = ZoneInfo("Asia/Shanghai")
    groups: dict[str, tuple[str, str | None]] = {}
    out: list[Labelled] = []
    for n, line in enumerate(PARTS[part].read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("#group|"):
            _, gid, estate, own = line.split("|")
            groups[gid] = (estate, own or None)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        group, when, sender, kind, topic, text = line.split("|", 5)
        estate, building = groups[group]
        at = datetime.strptime(f"{year}-{when}", "%Y-%m-%d %H:%M").replace(tzinfo=tz)
        key = f"{part}:{n}"
        out.append(Labelled(key, group, estate, building, at, sender, kind, topic or None, text))
    return out
