"""The built-in MySQL/MariaDB schema dump: ``SHOW CREATE ...`` through the async connection.

No ``mariadb-dump``/``mysqldump`` needed. What the server prints is kept, but for what would
not load elsewhere or is not schema: ``AUTO_INCREMENT=N`` counters and ``DEFINER=`` clauses
(the loading user becomes the definer, as when a migration creates the object).

Order: sequences (MariaDB; a column default may take ``NEXT VALUE FOR`` one), tables without
their foreign keys, the foreign keys as ``ALTER TABLE ... ADD CONSTRAINT`` (so that cycles
and self-references load), functions and procedures (a view may call a function), views in
dependency order, triggers. MariaDB 10.x has no catalog of what a view reads, so a view is
taken to need every other view whose quoted name its definition holds (``SHOW CREATE VIEW``
quotes every name): at worst a harmless extra edge. Routines and triggers are written
between ``DELIMITER`` lines, which both the ``mariadb`` client and schemactl's splitter honour.
Names sort in binary order, so the same schema gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from .._errors import ConfigurationError, StatementError
from ._order import dependency_order

__all__ = ["dump_schema"]

_OBJECTS = """
SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SEQUENCE',
    'SYSTEM VERSIONED')
"""
_ROUTINES = """
SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES
WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')
"""
_TRIGGERS = """
SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS
WHERE TRIGGER_SCHEMA = DATABASE()
ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER
"""
_ACCOUNT = r"""(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"[^"]*"|[^\s@`'"]+)"""
_DEFINER = re.compile(rf"\bDEFINER\s*=\s*{_ACCOUNT}(?:\s*@\s*{_ACCOUNT})?\s+", re.I)
_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")
_FOREIGN_KEY = re.compile(r"^\s*CONSTRAINT\s+`(?:[^`]|``)+`\s+FOREIGN KEY\b.*?,?$")
_QUOTED = re.compile(r"`((?:[^`]|``)+)`")
_DELIMITERS = (";;", "$$", "//", "%%")


async def dump_schema(conn: AsyncConnection, *, exclude: frozenset[str]) -> str:
    """The SQL text that recreates the schema of the database ``conn`` is in (its default
    database). ``exclude`` names tables left out, with their triggers::

        sql = await dump_schema(conn, exclude=frozenset({"schema_migrations"}))
    """
    database = (await conn.execute(text("SELECT DATABASE()"))).scalar_one()
    if database is None:
        raise ConfigurationError("the database URL names no database to dump")
    # MariaDB names a sequence in a column default with its database: the dump must load
    # into a database of another name
    here = _quote(str(database)) + "."
    objects = {
        str(name): str(kind)
        for name, kind in await _rows(conn, _OBJECTS)
        if str(name) not in exclude
    }
    # the file is UTF-8; a client reading it in another character set would store routines,
    # views and triggers with that one (and mangle non-ASCII names)
    out: list[str] = ["SET NAMES utf8mb4;\n"]
    for name in sorted(n for n, k in objects.items() if k == "SEQUENCE"):
        out.append(_statement(await _show(conn, "SEQUENCE", name)))
    foreign_keys: list[str] = []
    for name in sorted(n for n, k in objects.items() if k in ("BASE TABLE", "SYSTEM VERSIONED")):
        table, keys = _without_foreign_keys(await _show(conn, "TABLE", name))
        out.append(_statement(_AUTO_INCREMENT.sub("", table).replace(here, "")))
        foreign_keys += [f"ALTER TABLE {_quote(name)} ADD {key};\n" for key in keys]
    out += foreign_keys

    routines = sorted((str(n), str(k)) for n, k in await _rows(conn, _ROUTINES))
    out += [
        _compound(_DEFINER.sub("", await _show(conn, kind, name), count=1))
        for name, kind in routines
    ]
    views = {
        n: _DEFINER.sub("", await _show(conn, "VIEW", n), count=1)
        for n in objects
        if objects[n] == "VIEW"
    }
    needs = {
        name: {_unquote(q) for q in _QUOTED.findall(_view_body(body))} & views.keys()
        for name, body in views.items()
    }
    out += [_statement(views[name]) for name in dependency_order({v: v for v in views}, needs)]
    for name, table in await _rows(conn, _TRIGGERS):
        if str(table) not in exclude:
            out.append(
                _compound(_DEFINER.sub("", await _show(conn, "TRIGGER", str(name)), count=1))
            )
    return "".join(out)


async def _rows(conn: AsyncConnection, sql: str) -> list[Sequence[Any]]:
    return list((await conn.execute(text(sql))).all())


async def _show(conn: AsyncConnection, kind: str, name: str) -> str:
    """The CREATE statement ``SHOW CREATE <kind>`` prints for ``name``."""
    row: Sequence[Any] = tuple(
        (await conn.exec_driver_sql(f"SHOW CREATE {kind} {_quote(name)}")).one()
    )
    # the statement is the second column (TABLE, VIEW, SEQUENCE), the third (FUNCTION,
    # PROCEDURE: after sql_mode) or the third (TRIGGER: "SQL Original Statement")
    statement = row[1] if kind in ("TABLE", "VIEW", "SEQUENCE") else row[2]
    if statement is None:  # the routine's body is hidden from a user without privileges
        raise StatementError(
            f"cannot read the definition of {kind.lower()} {name}: the user needs the"
            " privilege to see its body (SELECT on mysql.proc, or to be its definer)"
        )
    return str(statement)


def _without_foreign_keys(create: str) -> tuple[str, list[str]]:
    """``CREATE TABLE`` without its ``CONSTRAINT ... FOREIGN KEY`` lines, and those lines."""
    lines = create.split("\n")
    kept: list[str] = []
    keys: list[str] = []
    for line in lines:
        if _FOREIGN_KEY.match(line):
            keys.append(line.strip().rstrip(","))
        else:
            kept.append(line)
    # the definition before the closing ") ENGINE=..." line must not end with a comma
    for i in range(len(kept) - 1, 0, -1):
        if kept[i].startswith(")"):
            kept[i - 1] = kept[i - 1].rstrip(",")
            break
    return "\n".join(kept), keys


def _view_body(create: str) -> str:
    """What follows the view's own name in its CREATE VIEW."""
    match = re.search(r"\bVIEW\s+`(?:[^`]|``)+`\s+AS\b", create)
    return create[match.end() :] if match else create


def _statement(sql: str) -> str:
    return sql.rstrip().rstrip(";") + ";\n"


def _compound(sql: str) -> str:
    """A routine or trigger between DELIMITER lines, with a delimiter its body lacks."""
    sql = sql.rstrip().rstrip(";")
    delimiter = next(d for d in _DELIMITERS if d not in sql)
    return f"DELIMITER {delimiter}\n{sql}{delimiter}\nDELIMITER ;\n"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _unquote(quoted: str) -> str:
    return quoted.replace("``", "`")
