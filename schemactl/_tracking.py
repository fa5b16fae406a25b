"""The ``schema_migrations`` table: one SQLAlchemy Core table, the same for every database.

dbmate creates ``version VARCHAR(128) PRIMARY KEY`` and reads nothing else. schemactl adds two
nullable columns dbmate ignores, ``checksum`` and ``applied_at``, and works without them on a
table dbmate created (it adds them the next time it migrates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    delete,
    insert,
    literal,
    select,
    text,
)
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

    def _sql(self, statement: object) -> str:
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=self.dialect, compile_kwargs={"literal_binds": True}
        )
        return str(compiled)

    def create_sql(self) -> str:
        return str(CreateTable(self.table, if_not_exists=True).compile(dialect=self.dialect))

    def add_column_sql(self, column: str) -> str:
        column_type = self.table.c[column].type.compile(dialect=self.dialect)
        quoted_column = self.dialect.identifier_preparer.quote(column)
        return f"ALTER TABLE {self.quoted} ADD COLUMN {quoted_column} {column_type}"

    def insert_sql(self, version: str, checksum: str | None) -> str:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        values = {"version": version, "checksum": checksum, "applied_at": now}
        return self._sql(insert(self.table).values(**values))

    def delete_sql(self, version: str) -> str:
        return self._sql(delete(self.table).where(self.table.c.version == version))

    def is_applied_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is recorded as applied."""
        return self._sql(select(self.table.c.version).where(self.table.c.version == version))

    def is_pending_sql(self, version: str) -> str:
        """A query returning a row while ``version`` is not recorded as applied."""
        recorded = select(self.table.c.version).where(self.table.c.version == version)
        return self._sql(select(literal(1)).where(~recorded.exists()))

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
