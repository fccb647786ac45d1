"""Who hears a notice, on which channels, and when (preferences and quiet hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.domain.statuses import Role
from cityloop.operations.notify.templates import ALWAYS_URGENT, Notice
from cityloop.operations.store import PreferenceRow
from cityloop.store.models import UserRow

STAFF_CHANNELS = ("inbox", "email", "sms")
DEFAULT_STAFF_CHANNELS = ("inbox", "email")  # SMS to staff: opt-in, or urgent


@dataclass(frozen=True)
class Target:
    channel: str
    address: str
    user_id: int | None


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """ "22:00-07:00" → (22:00, 07:00); empty → None. Raises ValueError on a bad form."""
    text = text.strip()
    if not text:
        return None
    start, _, end = text.partition("-")
    a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if a == b:
        raise ValueError("quiet hours start and end at the same time")
    return a, b


def quiet_until(quiet: tuple[time, time] | None, local_now: datetime) -> datetime | None:
    """The end of the quiet period `local_now` falls in, or None when it is not quiet."""
    if quiet is None:
        return None
    start, end = quiet
    t = local_now.timetz().replace(tzinfo=None)
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    until = local_now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local_now:
        until += timedelta(days=1)
    return until


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    region_code: str | None
    department_code: str | None
    phone: str | None


@dataclass
class Directory:
    """The active staff and their preferences, read once per batch of notices (one query
    each, not two per notice: a busy minute brings thousands of notices)."""

    people: dict[int, Person]
    by_department: dict[str, list[Person]]
    by_role: dict[str, list[Person]]
    prefs: dict[int, PreferenceRow]

    @classmethod
    def load(cls, session: Session) -> Directory:
        people: dict[int, Person] = {}
        by_department: dict[str, list[Person]] = {}
        by_role: dict[str, list[Person]] = {}
        rows = session.execute(
            select(
                UserRow.id,
                UserRow.role,
                UserRow.region_code,
                UserRow.department_code,
                UserRow.phone,
            ).where(UserRow.active.is_(True), UserRow.role != Role.RESIDENT.value)
        )
        for uid, role, region, dept, phone in rows:
            person = Person(uid, role, region, dept, phone)
            people[uid] = person
            by_role.setdefault(role, []).append(person)
            if dept and role == Role.DEPARTMENT_HANDLER.value:
                by_department.setdefault(dept, []).append(person)
        prefs = {p.user_id: p for p in session.scalars(select(PreferenceRow))}
        return cls(people, by_department, by_role, prefs)

    def hearing(self, n: Notice) -> list[Person]:
        out: dict[int, Person] = {}
        for d in n.departments:
            out.update((p.id, p) for p in self.by_department.get(d, []))
        if n.to_dispatchers:
            out.update((p.id, p) for p in self.by_role.get(Role.DISPATCHER.value, []))
        for role in n.to_roles:
            out.update((p.id, p) for p in self.by_role.get(role, []))
        for uid in n.user_ids:
            if uid in self.people:
                out[uid] = self.people[uid]
        if n.region_code:
            # A supervisor hears about places in their jurisdiction only.
            for p in self.by_role.get(Role.SUPERVISOR.value, []):
                if p.region_code and n.region_code.startswith(p.region_code):
                    out[p.id] = p
        return list(out.values())


def staff_targets(
    directory: Directory, n: Notice, available: set[str], local_now: datetime
) -> list[tuple[Target, datetime | None]]:
    """(target, hold-until) for every staff member who hears `n`; hold-until is the end of
    their quiet hours (None: now). The inbox is never held: it makes no sound."""
    urgent = n.urgent or n.event in ALWAYS_URGENT
    out: list[tuple[Target, datetime | None]] = []
    for u in directory.hearing(n):
        p = directory.prefs.get(u.id)
        if p is not None and n.event.value in p.muted_events and not urgent:
            continue
        chosen = set(p.channels) if p is not None and p.channels else set(DEFAULT_STAFF_CHANNELS)
        if urgent:
            chosen.add("sms")  # life-safety and urgent matters reach the phone too
        try:
            quiet = parse_quiet_hours(p.quiet_hours) if p is not None else None
        except ValueError:
            quiet = None
        hold = None if urgent else quiet_until(quiet, local_now)
        out.append((Target("inbox", "", u.id), None))
        email = p.email if p is not None else ""
        if "email" in chosen and "email" in available and email:
            out.append((Target("email", email, u.id), hold))
        if "sms" in chosen and "sms" in available and u.phone:
            out.append((Target("sms", u.phone, u.id), hold))
    return out


def robot_targets(n: Notice, available: set[str], hooks: dict[str, dict[str, str]]) -> list[Target]:
    """Group robots of the departments concerned (or the catch-all "*" robot)."""
    out: list[Target] = []
    for channel in ("wecom", "dingtalk"):
        if channel not in available:
            continue
        keys = {d if d in hooks[channel] else "*" for d in n.departments} or (
            {"*"} if n.urgent else set()
        )
        for key in sorted(keys):
            if key in hooks[channel]:
                out.append(Target(channel, key, None))
    return out
