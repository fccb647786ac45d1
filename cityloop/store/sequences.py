"""Keep id sequences ahead of the ids already stored.

A bulk load that writes explicit ids (the demo's community data, one INSERT per table instead of
a flush per row) leaves a PostgreSQL sequence where it was, so the next row inserted with the
default id collides with a loaded one. SQLite needs nothing: an INTEGER PRIMARY KEY takes
max(rowid) + 1, and AUTOINCREMENT's sqlite_sequence follows explicit ids too.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

# Every column of this schema drawing its default from a sequence: identity and serial alike,
# whether or not the table is declared in the models (feature packages own some).
_SEQUENCED_COLUMNS = text(
    """
    SELECT c.table_name, c.column_name,
           pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND (c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%')
    ORDER BY c.table_name
    """
)


def sequenced_columns(conn: Connection) -> list[tuple[str, str, str]]:
    """(table, column, sequence) for every sequence-fed column of the current schema."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(_SEQUENCED_COLUMNS).all()
    return [(r.table_name, r.column_name, r.seq) for r in rows if r.seq]


def advance_sequences(engine: Engine) -> int:
    """Move every sequence past its column's largest stored value; return how many moved.

    Never moves one back: ids of deleted rows are not handed out again (audit entries and
    exports may still name them)."""
    if engine.dialect.name != "postgresql":
        return 0
    moved = 0
    with engine.begin() as conn:
        for table, column, seq in sequenced_columns(conn):
            quoted = conn.dialect.identifier_preparer.quote
            top = conn.execute(text(f"SELECT max({quoted(column)}) FROM {quoted(table)}")).scalar()
            if top is None:
                continue
            state = conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
            upcoming = state.last_value + 1 if state.is_called else state.last_value
            if upcoming <= top:
                # is_called=true: the next nextval() answers top + 1.
                conn.execute(
                    text("SELECT setval(CAST(:seq AS regclass), :top, true)"),
                    {
                        "seq": seq,
                        "top": top,
                    },
                )
                moved += 1
    return moved
