"""The ``schema_migrations`` table: one SQLAlchemy Core table, the same for every database.

dbmate creates ``version VARCHAR(128) PRIMARY KEY`` and reads nothing else. schemactl adds two
nullable columns dbmate ignores, ``checksum`` and ``applied_at``, and works without them on a
table dbmate created (it adds them the next time it migrates, where it may).

A table of that name with any other shape is another tool's (golang-migrate's is
``version bigint, dirty boolean``, with only the latest version in it): schemactl refuses to
read or change it, since reading it as dbmate's would re-run migrations.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.exc import DBAPIError, SAWarning
from sqlalchemy.schema import CreateTable

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.engine import Dialect as SADialect
    from sqlalchemy.ext.asyncio import AsyncConnection

EXTRA_COLUMNS = ("checksum", "applied_at")
# a running mark's ``error``: which run left it (a run on this host is asked whether it lives)
_RUNNER = re.compile(r"^running in pid (\d+) on (.+)$")
KNOWN_COLUMNS = frozenset({"version", *EXTRA_COLUMNS})


@dataclass(frozen=True)
class FailureRow:
    """A migration that failed part-way (or was interrupted) where that leaves a mark."""

    version: str
    direction: str  # "up" or "down"
    state: str  # "running" (interrupted, or still running) or "failed"
    line: int | None
    statements_run: int | None
    error: str | None
    at: dt.datetime | None

    def alive(self) -> bool | None:
        """For a running mark: whether the run that left it still runs (its process, on this
        host); None when that cannot be told (another host). A mark that does not say which
        run left it (an older schemactl's) counts as left by one that ended."""
        found = _RUNNER.match(self.error or "") if self.state == "running" else None
        if found is None:
            return False
        if found.group(2) != socket.gethostname():
            return None
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process
            return True
        return True

    def describe(self) -> str:
        when = self.at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.at else "at an unknown time"
        if self.state == "running":
            return f"{self.version} ({self.direction}) was interrupted while running, {when}"
        where = f" at line {self.line}" if self.line else ""
        # (statements_run: how many stay applied; on MySQL DML after the last DDL rolled back)
        ran = f" with {self.statements_run} statement(s) applied" if self.statements_run else ""
        return f"{self.version} ({self.direction}) failed{where}{ran}, {when}: {self.error}"


@dataclass(frozen=True)
class AppliedRow:
    version: str
    checksum: str | None
    applied_at: dt.datetime | None


class Read(NamedTuple):
    """The tracking table as read: applied rows by version, its columns, and whether the
    failures table exists (None: not asked)."""

    rows: dict[str, AppliedRow]
    columns: set[str]
    failures: bool | None = None


class TrackingTable:
    """SQL for one tracking table (``name`` may be ``schema.name``) in one SQL dialect."""

    def __init__(
        self,
        name: str,
        dialect: SADialect,
        *,
        pinned: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        schema, _, table_name = name.rpartition(".")
        self.name = name
        # Reads in this explicit transaction, when given (a pooler in transaction mode).
        self.pinned = pinned
        self.dialect = dialect
        # schemactl's columns the table has, as far as this run knows: an INSERT names only
        # these (a dbmate-made table schemactl may not ALTER has neither).
        self.extra_columns: tuple[str, ...] = EXTRA_COLUMNS
        self.table = Table(
            table_name,
            MetaData(),
            Column("version", String(128), primary_key=True),
            Column("checksum", String(64), nullable=True),
            Column("applied_at", DateTime(), nullable=True),
            schema=schema or None,
        )
        self.quoted = self._unescaped(dialect.identifier_preparer.format_table(self.table))
        # Failures live beside the tracking table, where dbmate does not look: a row in the
        # tracking table itself would tell dbmate the migration was applied.
        self.failures = Table(
            f"{table_name}_failures",
            MetaData(),
            Column("version", String(128), primary_key=True),
            Column("direction", String(4), nullable=False),
            Column("state", String(16), nullable=False),
            Column("line", Integer(), nullable=True),
            Column("statements_run", Integer(), nullable=True),
            Column("error", String(1000), nullable=True),
            Column("at", DateTime(), nullable=True),
            schema=schema or None,
        )
        self.quoted_failures = self._unescaped(
            dialect.identifier_preparer.format_table(self.failures)
        )
        self.lock = Table(  # the lease lock's table (`--lock-strategy table`), when used
            f"{table_name}_lock",
            MetaData(),
            Column("name", String(255), primary_key=True),
            Column("owner", String(255), nullable=False),
            Column("expires_at", DateTime(), nullable=False),
            schema=schema or None,
        )
        self.quoted_lock = self._unescaped(dialect.identifier_preparer.format_table(self.lock))
        string_literal = String().literal_processor(dialect)  # type: ignore[no-untyped-call]
        datetime_literal = DateTime().literal_processor(dialect)  # type: ignore[no-untyped-call]
        assert string_literal is not None
        assert datetime_literal is not None
        self._string_literal = string_literal
        self._datetime_literal = datetime_literal

    def _unescaped(self, sql: str) -> str:
        """SQLAlchemy doubles '%' in names for drivers with the format paramstyle (aiomysql);
        schemactl's own statements carry no parameters, so the names go as they are."""
        if getattr(self.dialect.identifier_preparer, "_double_percents", False):
            return sql.replace("%%", "%")
        return sql

    def create_sql(self) -> str:
        return self._create(self.table)

    def _create(self, table: Table) -> str:
        return self._unescaped(
            str(CreateTable(table, if_not_exists=True).compile(dialect=self.dialect))
        )

    def create_failures_sql(self) -> str:
        return self._create(self.failures)

    def create_lock_sql(self) -> str:
        return self._create(self.lock)

    def literal(self, value: str) -> str:
        return self._literal(value)

    def drop_failures_sql(self) -> str:
        return f"DROP TABLE IF EXISTS {self.quoted_failures}"

    def mark_running_sql(self, version: str, direction: str) -> str:
        runner = self._literal(f"running in pid {os.getpid()} on {socket.gethostname()}")
        return (
            f"INSERT INTO {self.quoted_failures} (version, direction, state, at, error) VALUES "
            f"({self._literal(version)}, {self._literal(direction)}, 'running', {self._now()}, "
            f"{runner})"
        )

    def unmarked_sql(self, guard_sql: str, version: str) -> str:
        """``guard_sql`` (a query returning a row), and no mark of ``version`` either."""
        return (
            f"{guard_sql} AND NOT EXISTS (SELECT 1 FROM {self.quoted_failures} "
            f"WHERE version = {self._literal(version)})"
        )

    def mark_failed_sql(
        self, version: str, line: int | None, statements_run: int, error: str
    ) -> str:
        return (
            f"UPDATE {self.quoted_failures} SET state = 'failed', "
            f"line = {int(line) if line else 'NULL'}, statements_run = {int(statements_run)}, "
            f"error = {self._literal(error[:1000])}, at = {self._now()} "
            f"WHERE version = {self._literal(version)}"
        )

    def clear_failure_sql(self, version: str) -> str:
        return f"DELETE FROM {self.quoted_failures} WHERE version = {self._literal(version)}"

    async def _select_all(
        self, conn: AsyncConnection, table: Table, quoted: str, *, also: str | None = None
    ) -> tuple[list[Any], list[str]] | None:
        """Every row of one of schemactl's tables (and its column names); None if missing.
        ``also``: an SQL expression evaluated once, returned as column ``_also`` of each row."""
        query = text(f"SELECT * FROM {quoted}")
        if also is not None:
            query = text(
                f"SELECT t.*, a._also FROM {quoted} t CROSS JOIN (SELECT {also} AS _also) a"
            )
        if self.pinned is not None:
            # Behind a pooler in transaction mode a statement prepared outside a transaction
            # may be gone when it runs: keep the prepare and the run in one transaction.
            async with self.pinned():
                if not await conn.run_sync(self._exists, table):
                    return None
                result = await conn.execute(query)
                return list(result.mappings()), list(result.keys())
        try:
            result = await conn.execute(query)
            return list(result.mappings()), list(result.keys())
        except DBAPIError:
            pass  # missing, most likely: asked below, outside this handler, so that an error
            # of that question is not reported with this one as its context
        if not await conn.run_sync(self._exists, table):
            return None
        result = await conn.execute(query)  # another run created it meanwhile
        return list(result.mappings()), list(result.keys())

    async def read_failures(self, conn: AsyncConnection) -> dict[str, FailureRow]:
        selected = await self._select_all(conn, self.failures, self.quoted_failures)
        if selected is None:
            return {}
        rows = {}
        for row in selected[0]:
            at = _utc(row["at"])
            rows[str(row["version"])] = FailureRow(
                str(row["version"]),
                str(row["direction"]),
                str(row["state"]),
                row["line"],
                row["statements_run"],
                row["error"],
                at,
            )
        return rows

    def add_column_sql(self, column: str) -> str:
        """Race-free where the database can say so (PostgreSQL, MariaDB: IF NOT EXISTS);
        elsewhere (MySQL, SQLite) the caller reads the table again when the ALTER fails."""
        column_type = self.table.c[column].type.compile(dialect=self.dialect)
        quoted_column = self._unescaped(self.dialect.identifier_preparer.quote(column))
        guard = ""
        if self.dialect.name == "postgresql" or getattr(self.dialect, "is_mariadb", False):
            guard = "IF NOT EXISTS "
        return f"ALTER TABLE {self.quoted} ADD COLUMN {guard}{quoted_column} {column_type}"

    # The row changes are rendered as literal SQL so that they can travel in the same round
    # trip as the migration's own script. Rendering them with plain string formatting (values
    # go through the dialect's literal processors) costs microseconds; compiling a Core
    # statement per migration cost ~0.2 ms, a large part of applying a small migration.

    def _literal(self, value: str | None) -> str:
        return "NULL" if value is None else str(self._string_literal(value))

    def _now(self) -> str:
        return str(self._datetime_literal(dt.datetime.now(dt.UTC).replace(tzinfo=None)))

    def insert_sql(self, version: str, checksum: str | None) -> str:
        values = {"checksum": self._literal(checksum), "applied_at": self._now()}
        names = ["version", *self.extra_columns]
        listed = [self._literal(version), *(values[c] for c in self.extra_columns)]
        return f"INSERT INTO {self.quoted} ({', '.join(names)}) VALUES ({', '.join(listed)})"

    def delete_sql(self, version: str) -> str:
        return f"DELETE FROM {self.quoted} WHERE version = {self._literal(version)}"

    def is_applied_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is recorded as applied."""
        return f"SELECT 1 FROM {self.quoted} WHERE version = {self._literal(version)}"

    def is_pending_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is not recorded as applied."""
        return f"SELECT 1 WHERE NOT EXISTS ({self.is_applied_sql(version)})"

    async def read(
        self, conn: AsyncConnection, *, failures_probe: str | None = None
    ) -> Read | None:
        """Applied rows by version and the table's column names; None when the table is missing.

        ``failures_probe``, an SQL expression true while the failures table exists, is asked
        in the same query: an up-to-date `up` then learns in one round trip that no failure
        waits to be resolved (``Read.failures`` is None when not asked, or with no rows).
        """
        selected = await self._select_all(conn, self.table, self.quoted, also=failures_probe)
        if selected is None:
            return None
        mappings, keys = selected
        columns = set(keys) - {"_also"}
        if (
            not columns <= KNOWN_COLUMNS
            or "version" not in columns
            or not all(isinstance(row["version"], str) for row in mappings)
        ):
            await self._refuse(conn)
        if not mappings:  # no value to tell the version column's type by: ask the catalog
            reflected = await self._reflect(conn)
            if not any(_is_text(c) for c in reflected if c["name"] == "version"):
                await self._refuse(conn, reflected)
        rows: dict[str, AppliedRow] = {}
        for row in mappings:
            applied_at = _utc(row.get("applied_at"))
            version = str(row["version"])
            rows[version] = AppliedRow(version, row.get("checksum"), applied_at)
        failures = bool(mappings[0]["_also"]) if failures_probe and mappings else None
        return Read(rows, columns, failures)

    async def _reflect(self, conn: AsyncConnection) -> list[Any]:
        """The tracking table's columns as the catalog has them."""
        if self.pinned is not None:
            async with self.pinned():
                return await conn.run_sync(self._columns)
        return await conn.run_sync(self._columns)

    def _columns(self, sync_conn: object) -> list[Any]:
        with warnings.catch_warnings():  # an unknown type name is reported below, not warned
            warnings.simplefilter("ignore", SAWarning)
            columns = inspect(sync_conn).get_columns(self.table.name, schema=self.table.schema)
        return list(columns)

    async def _refuse(self, conn: AsyncConnection, reflected: list[Any] | None = None) -> NoReturn:
        """Another tool's table, or one schemactl cannot trust: never read it as dbmate's,
        never ALTER it."""
        if reflected is None:
            reflected = await self._reflect(conn)
        shape = ", ".join(f"{c['name']} {_type_name(c)}" for c in reflected)
        names = {str(c["name"]).lower() for c in reflected}
        whose = " (golang-migrate's, by its shape)" if names == {"version", "dirty"} else ""
        raise ConfigurationError(
            f"the tracking table {self.name!r} is not one schemactl or dbmate made: it has "
            f"{shape}{whose}; schemactl will neither read nor change it. Name another table "
            "with --migrations-table (migrations_table= in Python)"
        )

    @staticmethod
    def _exists(sync_conn: object, table: Table) -> bool:
        inspector = inspect(sync_conn)
        return bool(inspector.has_table(table.name, schema=table.schema))


def _is_text(column: Any) -> bool:
    return isinstance(column["type"], String)


def _type_name(column: Any) -> str:
    try:
        return str(column["type"]).lower()
    except Exception:  # a type SQLAlchemy cannot spell without its dialect
        return type(column["type"]).__name__.lower()


def _utc(value: object) -> dt.datetime | None:
    """A stored timestamp (naive UTC; text on SQLite) as an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
