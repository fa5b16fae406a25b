"""The built-in dump of an SQLite database: the statements ``sqlite_master`` keeps.

SQLite stores each object's ``CREATE`` statement as it was written (or as ``ALTER TABLE``
rewrote it), so the dump is those statements: tables, then indexes, views and triggers, each
kind sorted by name. That order always loads: SQLite checks neither foreign keys nor a view's
tables when they are created, and a trigger needs only its table. SQLite's own objects
(``sqlite_sequence``, the statistics tables, automatic indexes) are left out: they cannot be
created by hand, and come back by themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

_KINDS = ("table", "index", "view", "trigger")
_QUERY = text(
    "SELECT type, name, tbl_name, sql FROM sqlite_master "
    "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)


async def dump_schema(conn: AsyncConnection, *, exclude: frozenset[str]) -> str:
    """The schema of the connection's main database as SQL, one statement per object.

    >>> await dump_schema(conn, exclude=frozenset({"schema_migrations_failures"}))
    'CREATE TABLE users (id INTEGER PRIMARY KEY);\\n'
    """
    rows = (await conn.execute(_QUERY)).all()
    kept = [
        (_KINDS.index(kind), name, sql.strip().rstrip(";"))
        for kind, name, table, sql in rows
        if kind in _KINDS and name not in exclude and table not in exclude
    ]
    return "".join(f"{sql};\n" for _, _, sql in sorted(kept))
