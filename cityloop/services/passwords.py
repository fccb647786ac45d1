"""Password hashing, the policy with its common-password list, and the history of past hashes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cityloop.domain.passwords import PasswordPolicy, Violation, reused, violations
from cityloop.settings import Settings
from cityloop.store.models import utcnow
from cityloop.store.security_models import PasswordHistoryRow

COMMON_LIST = Path(__file__).parent / "data" / "common-passwords.txt"
_hasher = PasswordHasher()


class PasswordRejected(Exception):
    """A new password breaks the policy; each violation says what is missing."""

    def __init__(self, found: list[Violation], field: str = "password") -> None:
        self.violations = found
        self.field = field
        super().__init__("; ".join(v.message for v in found))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("no such account: the same work as a real check")


def verify_dummy(password: str) -> None:
    """Spend the time of a real check, for an unknown account (no timing oracle)."""
    verify(_dummy_hash(), password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return frozenset(COMMON_LIST.read_text(encoding="utf-8").split())


def policy_of(settings: Settings) -> PasswordPolicy:
    return PasswordPolicy(
        min_length=settings.password_min_length,
        min_classes=settings.password_min_classes,
        history=settings.password_history,
        max_age_days=settings.password_max_age_days,
    )


def check_new_password(
    session: Session, settings: Settings, username: str, password: str, user_id: int | None
) -> None:
    """Raise PasswordRejected unless the password meets the policy and is not a recent one."""
    policy = policy_of(settings)
    found = violations(password, username, policy, common_passwords())
    if not found and user_id is not None and policy.history > 0:
        recent = session.execute(
            select(PasswordHistoryRow.password_hash)
            .where(PasswordHistoryRow.user_id == user_id)
            .order_by(PasswordHistoryRow.id.desc())
            .limit(policy.history)
        ).scalars()
        if any(verify(h, password) for h in recent):
            found.append(reused(policy.history))
    if found:
        raise PasswordRejected(found)


def remember(session: Session, settings: Settings, user_id: int, password_hash: str) -> None:
    """Keep the new hash in the history and drop what is older than the policy needs."""
    session.add(
        PasswordHistoryRow(user_id=user_id, password_hash=password_hash, created_at=utcnow())
    )
    session.flush()
    keep = max(settings.password_history, 1)
    old = (
        select(PasswordHistoryRow.id)
        .where(PasswordHistoryRow.user_id == user_id)
        .order_by(PasswordHistoryRow.id.desc())
        .offset(keep)
    )
    stale = list(session.execute(old).scalars())
    if stale:
        session.execute(delete(PasswordHistoryRow).where(PasswordHistoryRow.id.in_(stale)))
