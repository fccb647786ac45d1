"""The last check before a row is written: each value fits its column.

SQLite stores a 300-character text in a VARCHAR(200) and an integer of any size in an INTEGER;
PostgreSQL refuses both, mid-transaction, as a driver error. The API's schemas bound what
callers send, and this flush hook catches what they do not yet (a new field, a value a service
computed): a value too long for its column, an integer outside its column's range, or a NULL in
a column that takes none is refused as InvalidCommand naming the column — an answer of 422,
the same on both databases, before anything is sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger, String, event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from cityloop.domain.errors import InvalidCommand

_RANGES = (  # most specific first: BigInteger and SmallInteger are Integers too
    (BigInteger, 2**63),
    (SmallInteger, 2**15),
    (Integer, 2**31),
)


def _range(column_type: Any) -> int | None:
    for kind, bound in _RANGES:
        if isinstance(column_type, kind):
            return bound
    return None


def value_problem(
    column: Any, value: Any, inserting: bool = False, field: str = ""
) -> InvalidCommand | None:
    """Why `value` does not fit `column` (as the refusal naming `field`), or None when it
    does. An insert leaves a None out, so there the column's default (or a relationship's key,
    filled in by the flush) applies."""
    field = field or column.key
    if value is None:
        if column.nullable or column.primary_key:
            return None
        if inserting and (
            column.default is not None or column.server_default is not None or column.foreign_keys
        ):
            return None
        return InvalidCommand(field, "missing")
    column_type = column.type
    impl = getattr(column_type, "impl", column_type)  # a TypeDecorator's underlying type
    if isinstance(impl, String) and impl.length and isinstance(value, str):
        if len(value) > impl.length:
            return InvalidCommand(field, "string_too_long", {"max_length": impl.length})
    elif isinstance(value, int) and not isinstance(value, bool):
        bound = _range(impl)
        if bound is not None and not -bound <= value < bound:
            # |value| < 2^bits
            return InvalidCommand(field, "out_of_range", {"bits": bound.bit_length() - 1})
    return None


def check_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for inserting, objects in ((True, session.new), (False, session.dirty)):
        for obj in objects:
            state = inspect(obj)
            for attr in state.mapper.column_attrs:
                if attr.key not in state.dict:
                    continue  # not set: the column's default applies
                if not inserting and not state.attrs[attr.key].history.has_changes():
                    continue
                value = state.dict[attr.key]
                for column in attr.columns:
                    if (why := value_problem(column, value, inserting, attr.key)) is not None:
                        raise why


def install() -> None:
    """Check every flush of every session (idempotent)."""
    if not event.contains(Session, "before_flush", check_flush):
        event.listen(Session, "before_flush", check_flush)
