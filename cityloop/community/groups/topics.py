"""Gathering appeals about the same thing into one topic (主题) — pure.

Messages are taken in time order. An appeal joins the open topic of its estate that is about
the same object (a lift, a street lamp, a manhole…), was last raised within the window, and
names no different building or gate; among several, the one whose words are most alike wins.
Otherwise it opens a topic. A building group's own building stands in for a message that
names no place of its own, so 3栋's "电梯又停了" is about 3栋's lift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cityloop.community.groups.reading import Places


@dataclass(frozen=True)
class Said:
    """An appeal as topic gathering sees it."""

    key: str  # the message's id
    estate: str
    at: datetime
    text: str
    objects: frozenset[str]
    places: Places
    sender: str


@dataclass
class Topic:
    estate: str
    objects: set[str]
    places: Places
    first_at: datetime
    last_at: datetime
    keys: list[str] = field(default_factory=list)
    senders: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)


def with_group_place(places: Places, building: str | None) -> Places:
    if building and not (places.buildings or places.gates or places.zones):
        return Places(frozenset({building}), places.gates, places.zones)
    return places


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if ch.isalnum())
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _alike(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _merge(a: Places, b: Places) -> Places:
    return Places(a.buildings | b.buildings, a.gates | b.gates, a.zones | b.zones)


def gather(
    said: list[Said], window: timedelta = timedelta(days=14), topics: list[Topic] | None = None
) -> list[Topic]:
    """Topics of `said` (appended to `topics`, the open ones already known)."""
    out = topics if topics is not None else []
    for m in sorted(said, key=lambda x: x.at):
        best: Topic | None = None
        best_score = -1.0
        for t in out:
            if t.estate != m.estate or m.at - t.last_at > window:
                continue
            if not (m.objects & t.objects) or m.places.conflicts(t.places):
                continue
            score = len(m.objects & t.objects) + max(_alike(m.text, x) for x in t.texts)
            if score > best_score:
                best, best_score = t, score
        if best is None:
            if not m.objects:
                continue  # nothing to gather by: stays a single message
            best = Topic(m.estate, set(m.objects), m.places, m.at, m.at)
            out.append(best)
        else:
            best.places = _merge(best.places, m.places)
            best.last_at = max(best.last_at, m.at)
        best.keys.append(m.key)
        best.senders.add(m.sender)
        best.texts.append(m.text)
    return out
