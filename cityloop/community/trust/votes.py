"""Owners' votes on public matters (议事投票): the committee opens a vote, owners (or their
proxies, with a written authorisation) cast one ballot per owner, and on closing the tally
under Civil Code art. 278 is published. Individual choices are shown to nobody but the owner;
results show turnout and counts only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityloop.community.common import audit
from cityloop.community.store import HouseRow, ResidentRow
from cityloop.community.trust import access
from cityloop.community.trust.store import (
    TrustBallotRow,
    TrustCompoundRow,
    TrustOwnerRow,
    TrustVoteRow,
)
from cityloop.community.trust.voting import (
    CHOICE_LABELS,
    MATTER_LABELS,
    QUALIFIED_MATTERS,
    Choice,
    House,
    Matter,
    Tally,
    area_to_centi,
    owner_key,
    tally,
)
from cityloop.domain.errors import InvalidCommand, PermissionDenied
from cityloop.domain.orders import Actor
from cityloop.services.context import CityLoop
from cityloop.services.orders import NotFound


def register_owner(
    ctx: CityLoop,
    actor: Actor,
    compound_id: int,
    house_id: int,
    resident_id: int | None,
    developer: bool = False,
) -> dict[str, Any]:
    """Record an owner of a house from the property register (staff only)."""
    if (resident_id is None) == (not developer):
        raise InvalidCommand("resident_id", "owner_or_developer")
    register_owners(ctx, actor, compound_id, [(house_id, resident_id, developer)])
    return {"house_id": house_id, "resident_id": resident_id, "developer": developer}


def register_owners(
    ctx: CityLoop,
    actor: Actor,
    compound_id: int,
    rows: list[tuple[int, int | None, bool]],
) -> int:
    """Record owners (house, resident or developer) all or nothing; a bad row is named by
    its 1-based number."""
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id)
        access.require_setup(actor, compound.grid_code)
        houses = set(
            s.execute(select(HouseRow.id).where(HouseRow.estate_id == compound.estate_id)).scalars()
        )
        known = {
            (o.house_id, o.resident_id)
            for o in s.execute(
                select(TrustOwnerRow).where(TrustOwnerRow.compound_id == compound_id)
            ).scalars()
        }
        for n, (house_id, resident_id, developer) in enumerate(rows, start=1):
            where = f"rows[{n}]" if len(rows) > 1 else "house_id"
            if house_id not in houses:
                raise InvalidCommand(where, "house_not_in_compound", {"n": n, "house_id": house_id})
            if resident_id is not None and s.get(ResidentRow, resident_id) is None:
                raise InvalidCommand(
                    where, "owner_resident_unknown", {"n": n, "resident_id": resident_id}
                )
            if (house_id, resident_id) in known:
                raise InvalidCommand(
                    where, "owner_already_registered", {"n": n, "house_id": house_id}
                )
            known.add((house_id, resident_id))
            s.add(
                TrustOwnerRow(
                    house_id=house_id,
                    compound_id=compound_id,
                    resident_id=resident_id,
                    developer=developer,
                )
            )
        audit(s, actor, "trust_owner_register", f"trust:{compound_id}", {"rows": len(rows)})
        uow.commit()
    return len(rows)


def _houses(
    s: Session, compound: TrustCompoundRow
) -> tuple[list[House], list[tuple[int, str, str]]]:
    """The compound's exclusive parts with their owner keys, and the problems that keep a
    vote from being counted: (house id, room, "area" or "owner" it lacks)."""
    owners: dict[int, list[TrustOwnerRow]] = defaultdict(list)
    for o in s.execute(
        select(TrustOwnerRow).where(TrustOwnerRow.compound_id == compound.id)
    ).scalars():
        owners[o.house_id].append(o)
    houses: list[House] = []
    problems: list[tuple[int, str, str]] = []
    for h in s.execute(
        select(HouseRow).where(HouseRow.estate_id == compound.estate_id).order_by(HouseRow.id)
    ).scalars():
        mine = owners.get(h.id, [])
        if not h.area:
            problems.append((h.id, h.room, "area"))
            continue
        if not mine:
            problems.append((h.id, h.room, "owner"))
            continue
        developer = any(o.developer for o in mine)
        key = owner_key([o.resident_id for o in mine if o.resident_id], developer=developer)
        houses.append(House(h.id, area_to_centi(h.area), key))
    return houses, problems


def open_vote(
    ctx: CityLoop,
    actor: Actor,
    compound_id: int,
    *,
    title: str,
    matter: int,
    closes_at: datetime,
    description: str = "",
) -> dict[str, Any]:
    try:
        kind = Matter(matter)
    except ValueError:
        raise InvalidCommand("matter", "vote_matter") from None
    now = ctx.clock.now()
    if closes_at <= now:
        raise InvalidCommand("closes_at", "must_be_future")
    with ctx.uow() as uow:
        s = uow.session
        compound = access.load_compound(s, actor, compound_id)
        access.require_capacity(s, actor, compound_id, access.COMMITTEE)
        houses, problems = _houses(s, compound)
        if problems:
            house_id, room, lacks = problems[0]
            raise InvalidCommand(
                "compound_id",
                "owner_roll_no_area" if lacks == "area" else "owner_roll_no_owner",
                {"house_id": house_id, "room": room, "count": len(problems)},
            )
        if not houses:
            raise InvalidCommand("compound_id", "owner_roll_empty")
        vote = TrustVoteRow(
            compound_id=compound_id,
            title=title.strip(),
            description=description.strip(),
            matter=int(kind),
            opens_at=now,
            closes_at=closes_at,
            status="open",
            result=None,
            created_by=actor.user_id,
            created_at=now,
        )
        s.add(vote)
        s.flush()
        audit(s, actor, "trust_vote_open", f"trust_vote:{vote.id}", {"matter": int(kind)})
        uow.commit()
        return _view(s, actor, vote, now)


def _load_vote(s: Session, actor: Actor, vote_id: int) -> tuple[TrustVoteRow, TrustCompoundRow]:
    vote = s.get(TrustVoteRow, vote_id)
    if vote is None:
        raise NotFound(f"trust vote {vote_id}")
    return vote, access.load_compound(s, actor, vote.compound_id)


def cast_ballot(
    ctx: CityLoop,
    actor: Actor,
    vote_id: int,
    *,
    house_id: int,
    choice: str,
    proxy_document: str = "",
) -> dict[str, Any]:
    """One ballot for the owner of `house_id` (all of that owner's houses). The owner votes
    in person; anyone else needs the owner's written authorisation (`proxy_document`)."""
    try:
        picked = Choice(choice)
    except ValueError:
        raise InvalidCommand("choice", "ballot_choice") from None
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        vote, compound = _load_vote(s, actor, vote_id)
        if vote.status != "open" or now >= vote.closes_at:
            raise InvalidCommand("vote_id", "vote_closed")
        houses, _ = _houses(s, compound)
        key = next((h.owner_key for h in houses if h.house_id == house_id), None)
        if key is None:
            raise InvalidCommand("house_id", "house_not_in_vote", {"house_id": house_id})
        resident_id = access.resident_id_of(s, actor)
        in_person = resident_id is not None and str(resident_id) in key.split("+")
        if not in_person and not proxy_document.strip():
            raise PermissionDenied(
                "非本房屋业主投票须提供业主的授权委托书 a proxy needs the owner's authorisation"
            )
        ballot = s.execute(
            select(TrustBallotRow).where(
                TrustBallotRow.vote_id == vote_id, TrustBallotRow.owner_key == key
            )
        ).scalar()
        if ballot is None:
            ballot = TrustBallotRow(
                vote_id=vote_id, owner_key=key, choice=picked.value, cast_at=now
            )
            s.add(ballot)
        ballot.choice = picked.value
        ballot.cast_at = now
        ballot.cast_by = actor.user_id
        ballot.proxy_name = "" if in_person else actor.name[:80]
        ballot.proxy_document = "" if in_person else proxy_document.strip()[:200]
        # The audit says who cast a ballot for which house, never which way (secret ballot).
        audit(
            s,
            actor,
            "trust_ballot",
            f"trust_vote:{vote_id}",
            {"house_id": house_id, "proxy": not in_person},
        )
        uow.commit()
        return _view(s, actor, vote, now)


def close_vote(ctx: CityLoop, actor: Actor, vote_id: int) -> dict[str, Any]:
    """Count and publish. Only after the announced closing time: closing early would change
    who could take part."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        vote, compound = _load_vote(s, actor, vote_id)
        access.require_capacity(s, actor, compound.id, access.COMMITTEE)
        if vote.status != "open":
            raise InvalidCommand("vote_id", "vote_counted")
        if now < vote.closes_at:
            raise InvalidCommand("vote_id", "vote_not_due")
        result = count(s, vote, compound)
        vote.status = "closed"
        vote.result = result_view(result)
        audit(
            s,
            actor,
            "trust_vote_close",
            f"trust_vote:{vote.id}",
            {"passed": result.passed, "quorum_met": result.quorum_met},
        )
        uow.commit()
        return _view(s, actor, vote, now)


def count(s: Session, vote: TrustVoteRow, compound: TrustCompoundRow) -> Tally:
    houses, _ = _houses(s, compound)
    ballots = {
        k: Choice(c)
        for k, c in s.execute(
            select(TrustBallotRow.owner_key, TrustBallotRow.choice).where(
                TrustBallotRow.vote_id == vote.id
            )
        ).all()
    }
    return tally(houses, ballots, Matter(vote.matter))


def _area(centi: int) -> str:
    return f"{centi // 100}.{centi % 100:02d}"


def result_view(t: Tally) -> dict[str, Any]:
    return {
        "total_owners": t.total_owners,
        "total_area": _area(t.total_area_centi),
        "participating_owners": t.participating_owners,
        "participating_area": _area(t.participating_area_centi),
        "owner_turnout": round(t.owner_turnout, 4),
        "area_turnout": round(t.area_turnout, 4),
        "agree_owners": t.agree_owners,
        "agree_area": _area(t.agree_area_centi),
        "oppose_owners": t.oppose_owners,
        "abstain_owners": t.abstain_owners,
        "quorum_met": t.quorum_met,
        "passed": t.passed,
        "rule": t.rule,
    }


def _view(s: Session, actor: Actor, vote: TrustVoteRow, now: datetime) -> dict[str, Any]:
    kind = Matter(vote.matter)
    compound = s.get(TrustCompoundRow, vote.compound_id)
    assert compound is not None
    live = count(s, vote, compound)
    mine: list[dict[str, Any]] = []
    resident_id = access.resident_id_of(s, actor)
    if resident_id is not None:
        keys = {h.owner_key for h in _houses(s, compound)[0]}
        own = [k for k in keys if str(resident_id) in k.split("+")]
        for k, c, proxy in s.execute(
            select(
                TrustBallotRow.owner_key, TrustBallotRow.choice, TrustBallotRow.proxy_name
            ).where(TrustBallotRow.vote_id == vote.id, TrustBallotRow.owner_key.in_(own))
        ).all():
            label = CHOICE_LABELS[Choice(c)]
            mine.append({"owner": k, "choice": c, "label": label, "proxy": bool(proxy)})
    open_now = vote.status == "open" and now < vote.closes_at
    return {
        "id": vote.id,
        "compound_id": vote.compound_id,
        "title": vote.title,
        "description": vote.description,
        "matter": int(kind),
        "matter_label": MATTER_LABELS[kind],
        "rule": "three_quarters" if kind in QUALIFIED_MATTERS else "majority",
        "rule_label": (
            "须经参与表决专有部分面积和人数各四分之三以上同意"
            if kind in QUALIFIED_MATTERS
            else "须经参与表决专有部分面积和人数各过半数同意"
        ),
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "status": "open" if open_now else ("closed" if vote.status == "closed" else "counting"),
        # While open only turnout is shown, so no one votes with the running tally in mind.
        "turnout": {
            "participating_owners": live.participating_owners,
            "total_owners": live.total_owners,
            "owner_turnout": round(live.owner_turnout, 4),
            "area_turnout": round(live.area_turnout, 4),
        },
        "result": vote.result,
        "my_ballots": mine,
    }


def list_votes(ctx: CityLoop, actor: Actor, compound_id: int) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        s = uow.session
        access.load_compound(s, actor, compound_id)
        rows = s.execute(
            select(TrustVoteRow)
            .where(TrustVoteRow.compound_id == compound_id)
            .order_by(TrustVoteRow.id.desc())
        ).scalars()
        return [_view(s, actor, v, now) for v in rows]


def get_vote(ctx: CityLoop, actor: Actor, vote_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        s = uow.session
        vote, _ = _load_vote(s, actor, vote_id)
        return _view(s, actor, vote, ctx.clock.now())
