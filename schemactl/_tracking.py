"""The ``schema_migrations`` table: one SQLAlchemy Core table, the same for every database.

dbmate creates ``version VARCHAR(128) PRIMARY KEY`` and reads nothing else. schemactl adds two
nullable columns dbmate ignores, ``checksum`` and ``applied_at``, and works without them on a
table dbmate created (it adds them the next time it migrates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, MetaData, String, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect as SADialect
    from sqlalchemy.ext.asyncio import AsyncConnection

EXTRA_COLUMNS = ("checksum", "applied_at")


@dataclass(frozen=True)
class AppliedRow:
    version: str
    checksum: str | None
    applied_at: dt.datetime | None


class TrackingTable:
    """SQL for one tracking table (``name`` may be ``schema.name``) in one SQL dialect."""

    def __init__(self, name: str, dialect: SADialect) -> None:
        schema, _, table_name = name.rpartition(".")
        self.name = name
        self.dialect = dialect
        self.table = Table(
            table_name,
            MetaData(),
            Column("version", String(128), primary_key=True),
            Column("checksum", String(64), nullable=True),
            Column("applied_at", DateTime(), nullable=True),
            schema=schema or None,
        )
        self.quoted = dialect.identifier_preparer.format_table(self.table)
        string_literal = String().literal_processor(dialect)  # type: ignore[no-untyped-call]
        datetime_literal = DateTime().literal_processor(dialect)  # type: ignore[no-untyped-call]
        assert string_literal is not None
        assert datetime_literal is not None
        self._string_literal = string_literal
        self._datetime_literal = datetime_literal

    def create_sql(self) -> str:
        return str(CreateTable(self.table, if_not_exists=True).compile(dialect=self.dialect))

    def add_column_sql(self, column: str) -> str:
        column_type = self.table.c[column].type.compile(dialect=self.dialect)
        quoted_column = self.dialect.identifier_preparer.quote(column)
        return f"ALTER TABLE {self.quoted} ADD COLUMN {quoted_column} {column_type}"

    # The row changes are rendered as literal SQL so that they can travel in the same round
    # trip as the migration's own script. Rendering them with plain string formatting (values
    # go through the dialect's literal processors) costs microseconds; compiling a Core
    # statement per migration cost ~0.2 ms, a large part of applying a small migration.

    def _literal(self, value: str | None) -> str:
        return "NULL" if value is None else str(self._string_literal(value))

    def insert_sql(self, version: str, checksum: str | None) -> str:
        now = self._datetime_literal(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        return (
            f"INSERT INTO {self.quoted} (version, checksum, applied_at) "
            f"VALUES ({self._literal(version)}, {self._literal(checksum)}, {now})"
        )

    def delete_sql(self, version: str) -> str:
        return f"DELETE FROM {self.quoted} WHERE version = {self._literal(version)}"

    def is_applied_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is recorded as applied."""
        return f"SELECT 1 FROM {self.quoted} WHERE version = {self._literal(version)}"

    def is_pending_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is not recorded as applied."""
        return f"SELECT 1 WHERE NOT EXISTS ({self.is_applied_sql(version)})"

    async def read(self, conn: AsyncConnection) -> tuple[dict[str, AppliedRow], set[str]] | None:
        """Applied rows by version and the table's column names; None when the table is missing."""
        query = text(f"SELECT * FROM {self.quoted}")
        try:
            result = await conn.execute(query)
        except DBAPIError:
            if not await conn.run_sync(self._exists):
                return None
            result = await conn.execute(query)  # another run created it meanwhile
        columns = set(result.keys())
        rows: dict[str, AppliedRow] = {}
        for row in result.mappings():
            applied_at = row.get("applied_at")
            if isinstance(applied_at, str):  # SQLite hands back text
                applied_at = dt.datetime.fromisoformat(applied_at)
            if applied_at is not None and applied_at.tzinfo is None:
                applied_at = applied_at.replace(tzinfo=dt.UTC)  # stored as UTC
            version = str(row["version"])
            rows[version] = AppliedRow(version, row.get("checksum"), applied_at)
        return rows, columns

    def _exists(self, sync_conn: object) -> bool:
        from sqlalchemy import inspect

        inspector = inspect(sync_conn)
        return bool(inspector.has_table(self.table.name, schema=self.table.schema))
