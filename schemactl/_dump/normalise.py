"""Make a client binary's dump deterministic: the same schema gives the same bytes, whatever
the day, the server's counters or the client's version.

Pure functions over text, one per database. What goes: dates and versions (headers, MySQL's
``/*!40101 ... */`` version gates, unwrapped), session ``SET`` noise, pg_dump's
``\\restrict`` lines (a psql meta-command with a random key, which no driver can run),
MySQL's ``AUTO_INCREMENT=N`` and MariaDB's ``SETVAL`` counters, ``DEFINER=`` clauses (the
user may not exist on another server). What stays: every statement that builds the schema,
and the settings a load needs (``check_function_bodies = false``, no foreign key checks
while tables load in name order).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .._split import split_statements


def without(lines: list[str], dropped: Callable[[str], bool]) -> str:
    """The lines but the dropped ones, and a blank line that would follow another where one
    was dropped; no blank lines at either end, one newline at the end. Nothing else changes:
    a function body keeps its whitespace, so that a dump of a loaded database is the same."""
    kept: list[str] = []
    after_drop = False
    for line in lines:
        if dropped(line):
            after_drop = True
            continue
        if after_drop and not line.strip() and (not kept or not kept[-1].strip()):
            continue
        after_drop = False
        kept.append(line)
    text = "\n".join(kept).strip("\n")
    return text + "\n" if text.strip() else ""


# -- PostgreSQL (pg_dump) -------------------------------------------------------------------

_PG_DROPPED = re.compile(
    r"""^(?:\\(?:restrict|unrestrict)\b.*      # psql meta-commands of pg_dump >= 17.6, 15.14
    |--\ Dumped\ (?:from|by)\ .*               # versions
    |SET\ (?:statement_timeout|lock_timeout|idle_in_transaction_session_timeout
        |transaction_timeout|client_encoding|standard_conforming_strings|xmloption
        |client_min_messages|row_security|default_tablespace|default_table_access_method
        |default_with_oids)\ =\ .*;  # a new session's defaults
    |SELECT\ pg_catalog\.set_config\('search_path',\ '',\ false\);
    |CREATE\ SCHEMA\ public;)$  # --schema=public: a database has it, so loading would fail""",
    re.VERBOSE,
)


def postgresql(text: str) -> str:
    """pg_dump's output without versions, restrict keys or session noise.

    The search_path is no longer emptied (every name pg_dump writes is qualified anyway), so
    the tracking rows appended after it may name the table as schemactl does.

    >>> postgresql("\\\\restrict abc\\nSET lock_timeout = 0;\\nCREATE TABLE public.t (a int);\\n")
    'CREATE TABLE public.t (a int);\\n'
    """
    return without(text.splitlines(), lambda line: _PG_DROPPED.match(line) is not None)


# -- MySQL and MariaDB (mariadb-dump, mysqldump) --------------------------------------------

_SANDBOX = re.compile(r"^/\*M!999999\\- enable the sandbox mode \*/.*$", re.MULTILINE)
_VERSION_GATE = re.compile(r"/\*M?!\d{5,6} ?(.*?)\s*\*/", re.DOTALL)
_DEFINER = re.compile(
    r"\bDEFINER\s*=\s*(?:`[^`]*`|'[^']*'|[\w.$]+)@(?:`[^`]*`|'[^']*'|[\w.%$-]+)\s*"
)
_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+\b")
_SESSION_LINE = re.compile(r"^(?:SET\s.*|DO SETVAL\(.*\));+$", re.IGNORECASE)
MYSQL_PRELUDE = "SET FOREIGN_KEY_CHECKS = 0;\n\n"  # tables come in name order, not by key
MYSQL_EPILOGUE = "\nSET FOREIGN_KEY_CHECKS = 1;\n"


def mysql(text: str) -> str:
    """mysqldump's (or mariadb-dump's) output, deterministic, loadable on another server.

    Lines inside ``DELIMITER ;;`` blocks (trigger and routine bodies) are kept as they are:
    a ``SET NEW.x = ...`` there is the body's, not the session's.

    >>> mysql("/*!40101 SET NAMES utf8mb4 */;\\nCREATE TABLE `t` (`a` int) AUTO_INCREMENT=7;\\n")
    ... # doctest: +ELLIPSIS
    'SET FOREIGN_KEY_CHECKS = 0;\\n\\nCREATE TABLE `t` (`a` int);\\n...'
    """
    text = _SANDBOX.sub("", text)
    text = _VERSION_GATE.sub(lambda m: m.group(1), text)
    text = _DEFINER.sub("", text)
    text = _AUTO_INCREMENT.sub("", text)
    in_block = False

    def session_line(line: str) -> bool:
        nonlocal in_block
        stripped = line.strip()
        if stripped.upper().startswith("DELIMITER "):
            in_block = stripped.split()[1] != ";"
        return not in_block and _SESSION_LINE.match(stripped) is not None

    body = without(text.splitlines(), session_line)
    return MYSQL_PRELUDE + body + MYSQL_EPILOGUE if body else ""


# -- SQLite (sqlite3 .schema) ---------------------------------------------------------------

_NAME = r"""(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[\w$]+)"""
_SQLITE_CREATE = re.compile(
    rf"""^CREATE\s+(?:TEMP\w*\s+)?(?:UNIQUE\s+|VIRTUAL\s+)?(?P<kind>TABLE|INDEX|VIEW|TRIGGER)
    \s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})""",
    re.IGNORECASE | re.VERBOSE,
)
# an index's table, or a trigger's (after its timing and event: the first ON outside quotes)
_SQLITE_ON = re.compile(rf"\bON\s+(?P<table>{_NAME})", re.IGNORECASE)


# the shell writes a view's columns after it, "\n/* v(a,b) */": not part of the view (kept,
# it would be stored with the view by a load, and written twice by the next dump)
_SHELL_VIEW_COLUMNS = re.compile(r"\n/\* [^\n]*\(.*\) \*/\Z")


def sqlite(text: str, exclude: frozenset[str]) -> str:
    """``sqlite3 FILE .schema``, without SQLite's own tables (``sqlite_sequence`` cannot be
    created by hand) and the tables in ``exclude`` with their indexes and triggers.

    >>> sqlite("CREATE TABLE t(a);\\nCREATE TABLE sqlite_sequence(name,seq);\\n", frozenset())
    'CREATE TABLE t(a);\\n'
    """
    kept = []
    for statement in split_statements(text, "sqlite"):
        names = _named(statement.sql)
        if any(n.lower().startswith("sqlite_") or n in exclude for n in names):
            continue
        kept.append(_SHELL_VIEW_COLUMNS.sub("", statement.sql.strip()) + ";")
    return "".join(f"{sql}\n" for sql in kept)


def _named(sql: str) -> list[str]:
    """The object a CREATE statement makes, and the table an index or trigger is on."""
    match = _SQLITE_CREATE.match(sql.strip())
    if match is None:
        return []
    found = [match.group("name")]
    if match.group("kind").upper() in ("INDEX", "TRIGGER"):
        on = _SQLITE_ON.search(sql, match.end())
        if on is not None:
            found.append(on.group("table"))
    return [_unquote(name) for name in found]


def _unquote(name: str) -> str:
    if name[:1] in '"`[':
        return name[1:-1].replace('""', '"')
    return name
