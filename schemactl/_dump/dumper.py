"""``dump``: pick the path (a client binary, or the built-in dump through schemactl's own
connection), make its output deterministic, append the tracking table's rows as dbmate does,
and write the schema file when its bytes changed.

The built-in dumps are one module per database, ``builtin_<dialect>``, imported by name when
needed: each has ``async def dump_schema(conn, *, exclude) -> str``.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from .._results import DumpResult
from .._search_path import schemas as search_path_schemas
from .._tracking import TrackingTable
from . import normalise
from .clients import Client, find_client, run_client, sqlite_written_by

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .._database import Database
    from .._tracking import Read

BUILTIN = "builtin"
MARKER = "-- Dbmate schema migrations"


async def dump_database(
    db: Database, migrations_table: str, schema_file: Path, *, builtin: bool
) -> DumpResult:
    """Dump the database's schema and tracking rows into ``schema_file``."""
    async with db.connection() as conn:
        tracking = TrackingTable(migrations_table, conn.dialect)
        # schemactl's bookkeeping tables besides the tracking table: never part of a schema
        exclude = frozenset({tracking.failures.name, tracking.lock.name})
        client = None if builtin else await _usable_client(db, conn)
        search_path = db.dialect.profile.search_path  # (PostgreSQL's only)
        schemas = search_path_schemas(search_path) if search_path else []
        if client is None:
            schema = await _builtin(db.dialect.name, conn, exclude, schemas)
        else:
            url = conn.engine.url
            if db.dialect.profile.password is not None:  # the client connects on its own
                url = url.set(password=await db.dialect.profile.password())
            raw = await run_client(
                client, url, exclude=exclude, tracking_schema=tracking.table.schema, schemas=schemas
            )
            schema = _normalised(db.dialect.name, raw, exclude)
        read = await tracking.read(conn)
    text = schema + tracking_rows(tracking, read, db.dialect.name)
    changed = write_if_changed(schema_file, text)
    versions = tuple(sorted(read.rows)) if read else ()
    return DumpResult(schema_file, db.label, client.name if client else BUILTIN, versions, changed)


async def _usable_client(db: Database, conn: AsyncConnection) -> Client | None:
    import anyio

    name = db.dialect.name
    if name == "sqlite":
        version = str(sqlite_written_by(Path(str(db.url.database))))
    else:
        query = "SHOW server_version_num" if name == "postgresql" else "SELECT VERSION()"
        row = await db.dialect.fetch_row(await db.dialect.driver(conn), query)
        version = str(row[0]) if row else "0"
    return await anyio.to_thread.run_sync(find_client, name, version)


async def _builtin(
    dialect: str, conn: AsyncConnection, exclude: frozenset[str], schemas: list[str]
) -> str:
    module_name = f"{__package__}.builtin_{dialect}"
    try:
        module: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        tool = {"postgresql": "pg_dump", "mysql": "mariadb-dump or mysqldump"}.get(dialect, "")
        raise ConfigurationError(
            f"schemactl has no built-in dump for {dialect} yet: put {tool} (as new as the "
            "server) on PATH"
        ) from None
    only = {"schemas": schemas} if schemas else {}  # (a search_path: PostgreSQL's only)
    text: str = await module.dump_schema(conn, exclude=exclude, **only)
    return normalise.without(text.splitlines(), lambda line: False)


def _normalised(dialect: str, raw: str, exclude: frozenset[str]) -> str:
    if dialect == "postgresql":
        return normalise.postgresql(raw)
    if dialect == "mysql":
        return normalise.mysql(raw)
    return normalise.sqlite(raw, exclude)


def tracking_rows(tracking: TrackingTable, read: Read | None, dialect: str) -> str:
    """The applied versions as dbmate appends them to its schema file, with their checksums
    where the table has the column (not the times: those differ between two databases with
    the same schema). Empty without rows."""
    if read is None or not read.rows:
        return ""
    with_checksum = "checksum" in read.columns
    indent = "    " if dialect == "postgresql" else "  "
    values = []
    for version in sorted(read.rows):
        row = read.rows[version]
        items = [tracking.literal(version)]
        if with_checksum:
            items.append(tracking.literal(row.checksum) if row.checksum else "NULL")
        values.append(f"{indent}({', '.join(items)})")
    columns = "version, checksum" if with_checksum else "version"
    return (
        f"\n--\n{MARKER}\n--\n\nINSERT INTO {tracking.quoted} ({columns}) VALUES\n"
        + ",\n".join(values)
        + ";\n"
    )


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (atomically: a reader never sees half a file) unless it
    holds those bytes already; whether it wrote."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigurationError(f"cannot read the schema file {path}: {exc.strerror}") from None
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the schema file {path}: {exc.strerror}") from None
    return True
