"""SQLite through aiosqlite: a file, transactional DDL with an explicit BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from .._errors import ConfigurationError, DatabaseConnectionError, LockTimeoutError
from ..autogen.hooks import AutogenHooks, ServerDefaultComparator, TableKey, TypeComparator
from ._base import (
    Dialect,
    Failure,
    LockSQL,
    Profile,
    exception_chain,
    first_error_line,
    link_failure,
    milliseconds,
    raw_driver,
    run_in_steps,
    run_statements,
)

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ..autogen.objectops import ObjectOp


class AiosqliteCursor(Protocol):
    async def fetchone(self) -> Any: ...
    async def close(self) -> None: ...


class AiosqliteConnection(Protocol):
    """The part of ``aiosqlite.Connection`` schemactl uses."""

    async def execute(self, sql: str) -> AiosqliteCursor: ...
    async def interrupt(self) -> None: ...
    @property
    def in_transaction(self) -> bool: ...


# -- autogenerate: what differs here ------------------------------------------------------


@dataclass(frozen=True)
class TableRebuilds:
    """The tables as the database has them, by (schema, name): for the up section to rebuild
    from, and for the down section to rebuild into (``restore.rebuild_to``).

    Going down, the table is rebuilt into the shape it had before the up section, as
    reflected, not into the models' shape with the up section's changes undone: the models
    know nothing of what the database holds beyond them (a CHECK constraint made by hand),
    nor which constraints it holds unnamed (SQLite keeps no name for those), and Alembic's
    rebuild from a models' table loses the indexes ``Column(index=True)`` makes."""

    up: dict[TableKey, Table]
    down: dict[TableKey, Table]


class SQLiteHooks(AutogenHooks):
    """ALTER TABLE cannot change a column or a constraint: rebuild the table instead (create
    a new one, copy, drop, rename), with Alembic's batch mode, as SQL."""

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return self._compare_server_defaults

    def type_comparator(self) -> TypeComparator | None:
        return None  # SQLite keeps the declared type's text as written: Alembic compares it

    @staticmethod
    def _compare_server_defaults(
        context: Any,
        inspected_column: Any,
        metadata_column: Any,
        inspected_default: str | None,
        metadata_default: Any,
        rendered_metadata_default: str | None,
    ) -> bool | None:
        """SQLite keeps a default's text as written, and a plain-string default is written as
        a quoted literal: compare that literal, which Alembic's unquoting misses for the empty
        string (``''``). An expression spelled the same but for whitespace and parentheses
        (Alembic's unwrapping misses a multi-line one) is the same; the rest is Alembic's."""
        from ..autogen.stored import same_spelling

        arg = getattr(metadata_default, "arg", None)
        if inspected_default is None:
            return None
        if not isinstance(arg, str):
            # an expression, kept as written: the same but for whitespace and parentheses
            same = rendered_metadata_default is not None and same_spelling(
                inspected_default, rendered_metadata_default
            )
            return False if same else None
        inspected = inspected_default.strip()
        if inspected.startswith("(") and inspected.endswith(")"):
            inspected = inspected[1:-1].strip()
        return inspected != "'" + arg.replace("'", "''") + "'"

    def check_schemas(self, sync_conn: Connection, schemas: set[str | None]) -> None:
        """A schema is an attached database file here, which a migration does not attach."""
        from sqlalchemy import inspect

        present = set(inspect(sync_conn).get_schema_names())
        for schema in sorted(s for s in schemas if s is not None and s not in present):
            raise ConfigurationError(
                f"the models use schema {schema!r}, which does not exist: on SQLite a schema "
                "is an attached database, which a migration does not attach"
            )

    def constraint_name(self, kind: str, table: str, columns: list[str]) -> str:
        from ..autogen.names import pg_style

        return pg_style(kind, table, columns, 1 << 30)  # no length limit

    def alters_foreign_keys(self) -> bool:
        return False  # and needs not: SQLite checks no foreign key at CREATE TABLE

    def unseen_drops(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        schemas: set[str | None],
        skipped: set[TableKey],
    ) -> list[ops.MigrateOperation]:
        """SQLite reports a table's unnamed unique constraints without a name, and Alembic
        drops only named ones: drop those the models lack, under the name ``names`` gives
        (the table rebuild finds them by it). And SQLAlchemy cannot reflect expression-based
        indexes here, so Alembic skips them on both sides: create those whose name the
        database lacks (a change to one that exists goes unseen, as the README says)."""
        from alembic.operations import ops
        from sqlalchemy import Column, Index, MetaData, Table, UniqueConstraint, inspect

        inspector = inspect(sync_conn)
        drops: list[ops.MigrateOperation] = []
        for key in sorted(metadata.tables):
            model = metadata.tables[key]
            if (model.schema, model.name) in skipped:
                continue
            drops.extend(_missing_expression_indexes(inspector, model))
            if not inspector.has_table(model.name, schema=model.schema):
                continue
            wanted = {
                tuple(c.name for c in item.columns)
                for item in (*model.constraints, *model.indexes)
                if isinstance(item, UniqueConstraint) or (isinstance(item, Index) and item.unique)
            }
            reflected = inspector.get_unique_constraints(model.name, schema=model.schema)
            for unique in sorted(reflected, key=lambda u: tuple(u["column_names"])):
                columns = tuple(unique["column_names"])
                if unique["name"] is not None or columns in wanted:
                    continue
                stub = Table(
                    model.name, MetaData(), *(Column(c) for c in columns), schema=model.schema
                )
                name = self.constraint_name("unique", model.name, list(columns))
                constraint = UniqueConstraint(*columns, name=name)
                stub.append_constraint(constraint)
                drops.append(ops.DropConstraintOp.from_constraint(constraint))
        return drops

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> TableRebuilds:
        """Each table the up section changes, as reflected now."""
        from alembic.operations import ops
        from sqlalchemy import MetaData, Table, inspect

        from ..autogen.shape import in_stable_order

        inspector = inspect(sync_conn)
        reflected = MetaData()
        up: dict[TableKey, Table] = {}
        down: dict[TableKey, Table] = {}
        for op in upgrade.ops:
            if not isinstance(op, ops.ModifyTableOps):
                continue
            if not inspector.has_table(op.table_name, schema=op.schema):
                continue
            key = (op.schema, op.table_name)
            current = Table(op.table_name, reflected, schema=op.schema, autoload_with=sync_conn)
            up[key] = in_stable_order(current)
            # A copy, made before the up section's rebuild changes the table it is given.
            down[key] = in_stable_order(current.to_metadata(MetaData()))
        return TableRebuilds(up, down)

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        return items

    def before_render(
        self, container: ops.OpContainer, facts: TableRebuilds, *, upgrade: bool
    ) -> None:
        return None

    def begin_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    def rebuild_from(
        self, facts: TableRebuilds, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Table | None:
        return (facts.up if upgrade else facts.down).get((schema, table_name))

    def end_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    def object_ops(
        self, sync_conn: Connection, metadata: MetaData, schemas: set[str | None]
    ) -> list[ObjectOp]:
        return []  # no sequences, and enums are CHECK constraints


# -- the dialect -------------------------------------------------------------------------------


class SQLite(Dialect[AiosqliteConnection]):
    name = "sqlite"
    schemes = ("sqlite", "sqlite3", "sqlite+aiosqlite")
    async_driver = "sqlite+aiosqlite"
    pip_extra = "sqlite"
    split_dialect = "sqlite"
    transactional_ddl = True
    # BEGIN IMMEDIATE takes the database's write lock: each migration's transaction is the
    # lock, and re-checks the tracking table once it holds it.
    begin_sql = "BEGIN IMMEDIATE"
    has_session_lock = False
    has_server = False
    supports_statement_timeout = False
    max_identifier_bytes = None
    now_sql = "CURRENT_TIMESTAMP"
    lease_expiry_sql = "datetime('now', '+{seconds} seconds')"

    @classmethod
    def adapt_url(cls, url: URL) -> URL:
        return url

    @classmethod
    def profile_for(cls, url: URL, *, per_statement: bool) -> Profile:
        return Profile(url, per_statement=per_statement)

    @property
    def path(self) -> Path | None:
        database = self.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def validate(self) -> None:
        return None  # any file name will do

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        return {"connect_args": {"timeout": lock_timeout}}

    async def driver(self, conn: AsyncConnection) -> AiosqliteConnection:
        return cast(AiosqliteConnection, await raw_driver(conn))

    async def bound_link(self, driver: AiosqliteConnection, seconds: float) -> None:
        return None  # a file: no link

    def classify(self, exc: BaseException) -> Failure:
        # the raw driver's error, or the one SQLAlchemy wraps (the tracking table's reads)
        error = next((e for e in exception_chain(exc) if isinstance(e, sqlite3.Error)), None)
        if error is None:
            return link_failure(exc)
        if isinstance(error, sqlite3.OperationalError):
            if "database is locked" in str(error):
                return Failure.LOCK_TIMEOUT
            if "readonly database" in str(error):
                return Failure.READ_ONLY
        return Failure.SQL

    def error_message(self, exc: BaseException) -> str:
        return first_error_line(exc)

    async def configure_session(
        self,
        driver: AiosqliteConnection,
        ddl_lock_timeout: float | None,
        statement_timeout: float | None,
        *,
        remember: bool,
    ) -> list[str]:
        if ddl_lock_timeout is None:
            return []
        restore = []
        if remember:
            before = await self.fetch_row(driver, "PRAGMA busy_timeout")
            restore = [f"PRAGMA busy_timeout = {int(before[0]) if before else 0}"]
        # SQLite's one lock is the write lock
        await self.execute(driver, f"PRAGMA busy_timeout = {milliseconds(ddl_lock_timeout)}")
        return restore

    # -- databases -----------------------------------------------------------------------

    async def database_exists(self) -> bool:
        return self.path is None or _is_database_file(self.path)

    async def create_database(self) -> bool:
        path = self.path
        if path is None or _is_database_file(path):
            return False
        try:
            # An empty file is an empty SQLite database. Created exclusively: of processes
            # starting at once, one creates it and the others find it.
            with path.open("xb"):
                pass
        except FileExistsError:
            return False
        except OSError as exc:
            raise DatabaseConnectionError(f"cannot create {path}: {exc.strerror}") from None
        return True

    async def drop_database(self) -> bool:
        path = self.path
        if path is None or not path.exists():
            return False
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return True

    # -- running SQL ---------------------------------------------------------------------

    async def execute(self, driver: AiosqliteConnection, sql: str) -> None:
        try:
            cursor = await _interruptible(driver, sql)
        except sqlite3.OperationalError as exc:
            if self.classify(exc) is Failure.LOCK_TIMEOUT:
                raise LockTimeoutError(
                    f"{self.path}: the database stayed locked by another writer past the "
                    "lock timeout (raise --lock-timeout to wait longer)"
                ) from exc
            raise
        await cursor.close()

    async def fetch_row(self, driver: AiosqliteConnection, sql: str) -> tuple[Any, ...] | None:
        cursor = await _interruptible(driver, sql)
        row = await cursor.fetchone()
        await cursor.close()
        return None if row is None else tuple(row)

    async def run_script(self, driver: AiosqliteConnection, sql: str) -> None:
        await run_statements(self, driver, sql)

    async def in_transaction(self, driver: AiosqliteConnection) -> bool:
        return driver.in_transaction

    async def run_batch(self, driver: AiosqliteConnection, sql: str, tracking_sql: str) -> None:
        await run_statements(self, driver, sql)
        await self.execute(driver, tracking_sql)

    async def run_transaction(
        self, driver: AiosqliteConnection, sql: str, tracking_sql: str, guard_sql: str | None
    ) -> bool:
        return await run_in_steps(self, driver, sql, tracking_sql, guard_sql)

    # -- the migration lock: none across the run; each migration's transaction is one -----

    def table_exists_sql(self, schema: str | None, name: str) -> str:
        master = "sqlite_master"
        if schema:  # an attached database
            master = '"' + schema.replace('"', '""') + '".sqlite_master'
        quoted = "'" + name.replace("'", "''") + "'"
        return f"EXISTS (SELECT 1 FROM {master} WHERE type = 'table' AND name = {quoted})"

    async def default_schema(self, driver: AiosqliteConnection) -> str:
        return "main"

    def lock_key(self, table: str) -> str:
        return f"schemactl:{self.url.database}:{table}"

    def session_lock_sql(self, key: str) -> LockSQL | None:
        return None

    @classmethod
    def autogen_hooks(cls) -> AutogenHooks:
        return SQLiteHooks()


async def _interruptible(driver: AiosqliteConnection, sql: str) -> AiosqliteCursor:
    """Run a statement; stop it when the run is cancelled.

    aiosqlite runs statements in a thread of its own, which a cancellation does not reach: the
    statement would go on, and the ROLLBACK queued behind it would wait until it ended (21 s
    for a slow recursive CTE, and Ctrl-C with it). ``sqlite3.Connection.interrupt`` is the one
    call SQLite allows from another thread; aiosqlite makes it directly, not through that
    thread, and the statement fails with "interrupted" at once.
    """
    try:
        return await driver.execute(sql)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await driver.interrupt()
        raise


_HEADER = b"SQLite format 3\x00"


def _is_database_file(path: Path) -> bool:
    """Whether ``path`` exists; a directory or a file that is not SQLite's (a typo'd path to
    a text file) is refused in one line before SQLite says "file is not a database" mid-run."""
    if path.is_dir():
        raise DatabaseConnectionError(f"{path} is a directory, not an SQLite database file")
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise DatabaseConnectionError(f"cannot open {path}: {exc.strerror}") from None
    if header and header != _HEADER:
        raise DatabaseConnectionError(
            f"{path} is not an SQLite database (it does not start with SQLite's header)"
        )
    return True


def _missing_expression_indexes(inspector: Any, model: Table) -> list[ops.MigrateOperation]:
    """Create operations for the model's expression-based indexes the database lacks, by
    name (``sqlite_master``: SQLAlchemy's reflection skips these indexes)."""
    from alembic.operations import ops

    wanted = [
        index
        for index in sorted(model.indexes, key=lambda i: str(i.name))
        if index.name is not None and any(_is_expression(e) for e in index.expressions)
    ]
    if not wanted:
        return []
    schema = f"{model.schema}." if model.schema else ""
    present = {
        row[0]
        for row in inspector.bind.exec_driver_sql(
            f"SELECT name FROM {schema}sqlite_master WHERE type = 'index' AND tbl_name = ?",
            (model.name,),
        )
    }
    return [ops.CreateIndexOp.from_index(i) for i in wanted if i.name not in present]


def _is_expression(expression: Any) -> bool:
    """Alembic's rule for what it skips: anything but a plain column, ASC/DESC unwrapped."""
    from sqlalchemy.sql.elements import ColumnClause, UnaryExpression

    while isinstance(expression, UnaryExpression):
        expression = expression.element
    return not isinstance(expression, ColumnClause) or expression.is_literal
