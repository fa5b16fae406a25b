"""SQLite through aiosqlite: a file, transactional DDL with an explicit BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from .._errors import DatabaseConnectionError, LockTimeoutError
from ..autogen.hooks import AutogenHooks
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
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection


class AiosqliteCursor(Protocol):
    async def fetchone(self) -> Any: ...
    async def close(self) -> None: ...


class AiosqliteConnection(Protocol):
    """The part of ``aiosqlite.Connection`` schemactl uses."""

    async def execute(self, sql: str) -> AiosqliteCursor: ...
    async def interrupt(self) -> None: ...
    @property
    def in_transaction(self) -> bool: ...


# -- the dialect -------------------------------------------------------------------------------


class SQLite(Dialect[AiosqliteConnection]):
    name = "sqlite"
    schemes = ("sqlite", "sqlite3", "sqlite+aiosqlite", "sqlite+pysqlite")
    async_driver = "sqlite+aiosqlite"
    engine_drivers = ("aiosqlite",)
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
    def profile_for(cls, url: URL, *, per_statement: bool, pooled: bool = False) -> Profile:
        return Profile(url, per_statement=per_statement)

    @property
    def path(self) -> Path | None:
        database = self.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def advice(self, exc: BaseException) -> str:
        return ""

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

    def create_schema_sql(self, schema: str) -> str | None:
        return None  # (a MySQL "schema" is a database; SQLite's are attached files)

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

    async def multi_primary(self, driver: AiosqliteConnection) -> bool:
        return False  # one primary (a standby refuses writes: ReadOnlyServerError)

    async def default_schema(self, driver: AiosqliteConnection) -> str:
        return "main"

    def lock_key(self, table: str) -> str:
        return f"schemactl:{self.url.database}:{table}"

    def session_lock_sql(self, key: str) -> LockSQL | None:
        return None

    @classmethod
    def autogen_hooks(cls) -> AutogenHooks:
        from .sqlite_autogen import SQLiteHooks

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
