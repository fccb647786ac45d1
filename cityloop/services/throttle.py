"""Login throttling shared by every worker (防暴力破解), in the database.

An attempt is counted *before* its password is checked, by one conditional UPDATE … RETURNING
per key: the row lock (PostgreSQL) or the single writer (SQLite) serialises parallel guesses,
so with a limit of 5 at most 5 are ever checked. Past the limit each further attempt must wait
`login_delay_seconds`, doubling up to `login_max_delay_seconds`; a counter left quiet for
`login_window_seconds` starts again from zero, and a successful login clears the account's
counters.

Three keys, so that a flood against one account cannot lock its owner out:
- account and source address (`login_max_failures`, the strict one);
- source address over every account (`login_address_max_failures`, against spraying);
- account alone (`login_account_max_failures`), applied only to addresses the account has not
  logged in from lately — its owner at a known address is never held by others' guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, delete, exists, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cityloop.services.context import CityLoop
from cityloop.store.models import UtcDateTime
from cityloop.store.security_models import LoginThrottleRow, SessionRow

T = LoginThrottleRow
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LoginThrottled(Exception):
    def __init__(self, retry_after: int, scope: str) -> None:
        self.retry_after = retry_after
        self.scope = scope
        super().__init__(f"too many failed logins; retry in {retry_after} s")


@dataclass(frozen=True)
class Charge:
    """The counters one attempt was charged to: cleared on success, audited on lockout."""

    keys: tuple[tuple[str, str, int, int], ...]  # (scope, key, attempts now, limit)

    def locked(self) -> list[tuple[str, int]]:
        """The scopes this attempt's failure locks (or keeps locked), with their attempts."""
        return [(scope, n) for scope, _, n, limit in self.keys if n >= limit]


def account_key(username: str, source: str) -> str:
    return f"ua:{username}|{source}"


def _insert(engine: Engine) -> Any:
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(T)


def _delays(ctx: CityLoop) -> list[int]:
    s = ctx.settings
    out, d = [], max(s.login_delay_seconds, 1)
    while d < s.login_max_delay_seconds:
        out.append(d)
        d *= 2
    out.append(s.login_max_delay_seconds)
    return out


def _charge_one(ctx: CityLoop, key: str, limit: int, now: datetime) -> int | None:
    """Count one attempt against `key`; its attempts now, or None when it must wait."""
    window = timedelta(seconds=ctx.settings.login_window_seconds)
    at = UtcDateTime()
    delays = _delays(ctx)
    new = T.attempts + 1
    # Reaching the limit with this attempt sets the first wait; each one after doubles it.
    not_before = case(
        (new < limit, T.not_before),
        *[
            (new == limit + i, literal(now + timedelta(seconds=d), at))
            for i, d in enumerate(delays)
        ],
        else_=literal(now + timedelta(seconds=delays[-1]), at),
    )
    with ctx.engine.begin() as conn:
        conn.execute(
            _insert(ctx.engine)
            .values(key=key, attempts=0, last_at=now, not_before=_EPOCH)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        # A counter quiet for the whole window starts again (never while it is locked).
        conn.execute(
            update(T)
            .where(T.key == key, T.last_at < now - window, T.not_before <= now)
            .values(attempts=0)
        )
        got = conn.execute(
            update(T)
            .where(T.key == key, T.not_before <= now)
            .values(attempts=new, last_at=now, not_before=not_before)
            .returning(T.attempts)
        ).first()
        if got is not None:
            return int(got[0])
        return None


def _wait(ctx: CityLoop, key: str, now: datetime) -> int:
    with ctx.engine.connect() as conn:
        until = conn.execute(select(T.not_before).where(T.key == key)).scalar_one_or_none()
    if until is None:
        return 1
    return max(1, math.ceil((until - now).total_seconds()))


def known_address(ctx: CityLoop, user_id: int | None, source: str, now: datetime) -> bool:
    """Whether the account logged in from this address within `login_known_address_days`."""
    if user_id is None or not source:
        return False
    since = now - timedelta(days=ctx.settings.login_known_address_days)
    with ctx.engine.connect() as conn:
        return bool(
            conn.execute(
                select(
                    exists().where(
                        SessionRow.user_id == user_id,
                        SessionRow.source == source[:64],
                        SessionRow.created_at >= since,
                    )
                )
            ).scalar()
        )


def charge(ctx: CityLoop, username: str, source: str, user_id: int | None) -> Charge:
    """Count a login attempt on every key that applies, before the password is checked;
    raises LoginThrottled (with the wait) when any of them must wait."""
    s = ctx.settings
    now = ctx.clock.now()
    source = source or "-"
    keys = [
        ("address", f"a:{source}", s.login_address_max_failures),
        ("account_address", account_key(username, source), s.login_max_failures),
    ]
    if not known_address(ctx, user_id, source, now):
        keys.append(("account", f"u:{username}", s.login_account_max_failures))
    charged: list[tuple[str, str, int, int]] = []
    for scope, key, limit in keys:
        attempts = _charge_one(ctx, key, limit, now)
        if attempts is None:
            raise LoginThrottled(_wait(ctx, key, now), scope)
        charged.append((scope, key, attempts, limit))
    return Charge(tuple(charged))


def clear(ctx: CityLoop, username: str, source: str) -> None:
    """A successful login: the account's counter at this address starts again, and the
    address gets back the attempt this login was charged (its limit counts failures: a call
    centre of 200 seats behind one address logs in every morning). The account's own counter
    stays — an owner's login must not hand a flood from elsewhere a fresh allowance; it fades
    after the quiet window."""
    source = source or "-"
    with ctx.engine.begin() as conn:
        conn.execute(
            update(T)
            .where(T.key == account_key(username, source))
            .values(attempts=0, not_before=_EPOCH)
        )
        conn.execute(
            update(T)
            .where(T.key == f"a:{source}", T.attempts > 0, T.not_before <= ctx.clock.now())
            .values(attempts=T.attempts - 1)
        )


def unlock(ctx: CityLoop, username: str) -> int:
    """Lift every lock on an account, from every address (security administrator)."""
    with ctx.engine.begin() as conn:
        done = conn.execute(
            delete(T).where(
                (T.key == f"u:{username}") | T.key.startswith(f"ua:{username}|", autoescape=True)
            )
        )
    return int(done.rowcount)
