"""``load``: apply a schema file to an empty database in one go, the fast way to set up a
test database (dbmate's ``load``).

PostgreSQL takes the whole file in one round trip and one transaction; SQLite runs it
statement by statement in one transaction; MySQL, whose DDL commits as it goes, statement by
statement (``DELIMITER`` blocks included). A database that already has tables is refused:
the file's ``CREATE`` statements would fail part-way, or, worse, mix two schemas.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError, StateError, StatementError
from .._results import LoadResult
from .._tracking import TrackingTable
from ..dialects import ScriptError

if TYPE_CHECKING:
    from .._database import Database
    from ..dialects import Dialect

# pg_dump >= 17.6 (and 15.14, 16.10) brackets its output in these psql meta-commands, which
# only psql understands; dbmate's schema files keep them
_PSQL_RESTRICT = re.compile(r"^\\(?:un)?restrict\b.*$", re.MULTILINE)
# a SQL function's body names tables pg_dump creates after it
_PG_PREFIX = "SET LOCAL check_function_bodies = false;\n"
_EXISTING = {
    "postgresql": (
        "SELECT string_agg(relname, ', ' ORDER BY relname) FROM (SELECT c.relname "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1 LIMIT 4) t"
    ),
    "mysql": (
        "SELECT GROUP_CONCAT(table_name ORDER BY table_name SEPARATOR ', ') FROM "
        "(SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() ORDER BY table_name LIMIT 4) t"
    ),
    "sqlite": (
        "SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_master "
        "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name LIMIT 4)"
    ),
}


def read_schema_file(path: Path) -> str:
    """The schema file's SQL; a ConfigurationError when it is missing, unreadable or empty."""
    try:
        sql = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigurationError(
            f"schema file {str(path)!r} does not exist (`schemactl dump` writes it)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the schema file {path}: {exc}") from None
    if not sql.strip():
        raise ConfigurationError(f"schema file {str(path)!r} is empty")
    return sql


async def load_database(db: Database, migrations_table: str, schema_file: Path) -> LoadResult:
    """Apply ``schema_file`` to the empty (or missing: created) database."""
    sql = read_schema_file(schema_file)  # before a missing database is created
    async with db.connection(create_missing=True) as conn:
        dialect = db.dialect
        driver = await dialect.driver(conn)
        row = await dialect.fetch_row(driver, _EXISTING[dialect.name])
        if row and row[0]:
            names = str(row[0]).split(", ")
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise StateError(
                f"{db.label} already has tables ({shown}): load needs an empty database "
                "(drop it first, or name another)"
            )
        await _apply(dialect, driver, sql, schema_file)
        tracking = TrackingTable(migrations_table, conn.dialect)
        read = await tracking.read(conn)
    versions = tuple(sorted(read.rows)) if read else ()
    warnings: tuple[str, ...] = ()
    if not versions:
        warnings = (
            f"{schema_file} records no applied migration: `schemactl status` shows every "
            "migration as pending",
        )
    return LoadResult(schema_file, db.label, db.created, versions, warnings)


async def _apply(dialect: Dialect[Any], driver: Any, sql: str, path: Path) -> None:
    prefix = ""
    if dialect.name == "postgresql":
        sql = _PSQL_RESTRICT.sub("", sql)  # (the line stays, empty: line numbers hold)
        prefix = _PG_PREFIX
    script = prefix + sql
    try:
        if dialect.transactional_ddl:  # all or nothing ("SELECT 1": no tracking row to add)
            await dialect.run_transaction(driver, script, "SELECT 1", None)
        else:
            await dialect.run_script(driver, script)
    except ScriptError as exc:
        where = str(path)
        if exc.offset is not None:
            line = script.count("\n", 0, exc.offset) + 1 - prefix.count("\n")
            where = f"{path}:{line}"
        if dialect.transactional_ddl:
            after = "nothing was loaded"
        elif exc.statements_run:
            after = (
                f"{exc.statements_run} statement(s) before it stay applied: drop the "
                "database and load again"
            )
        else:
            after = "nothing was loaded"
        raise StatementError(f"{where}: {exc.message} ({after})") from exc
