"""SQLite through aiosqlite: a file, transactional DDL with an explicit BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from .._errors import LockTimeoutError
from ._base import (
    Dialect,
    Failure,
    LockSQL,
    Profile,
    first_error_line,
    link_failure,
    raw_driver,
    run_in_steps,
    run_statements,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ..autogen.hooks import AutogenHooks


class AiosqliteCursor(Protocol):
    async def fetchone(self) -> Any: ...
    async def close(self) -> None: ...


class AiosqliteConnection(Protocol):
    """The part of ``aiosqlite.Connection`` schemactl uses."""

    async def execute(self, sql: str) -> AiosqliteCursor: ...


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

    def classify(self, exc: BaseException) -> Failure:
        if isinstance(exc, sqlite3.OperationalError):
            if "database is locked" in str(exc):
                return Failure.LOCK_TIMEOUT
            if "readonly database" in str(exc):
                return Failure.READ_ONLY
        if isinstance(exc, sqlite3.Error):
            return Failure.SQL
        return link_failure(exc)

    def error_message(self, exc: BaseException) -> str:
        return first_error_line(exc)

    async def configure_session(
        self,
        driver: AiosqliteConnection,
        ddl_lock_timeout: float | None,
        statement_timeout: float | None,
    ) -> list[str]:
        if ddl_lock_timeout is None:
            return []
        before = await self.fetch_row(driver, "PRAGMA busy_timeout")
        # SQLite's one lock is the write lock
        await self.execute(driver, f"PRAGMA busy_timeout = {int(ddl_lock_timeout * 1000)}")
        return [f"PRAGMA busy_timeout = {int(before[0]) if before else 0}"]

    # -- databases -----------------------------------------------------------------------

    async def database_exists(self) -> bool:
        return self.path is None or self.path.exists()

    async def create_database(self) -> bool:
        path = self.path
        if path is None or path.exists():
            return False
        connection = sqlite3.connect(path)  # creating an empty file is all there is to it
        connection.close()
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
            cursor = await driver.execute(sql)
        except sqlite3.OperationalError as exc:
            if self.classify(exc) is Failure.LOCK_TIMEOUT:
                raise LockTimeoutError(
                    f"{self.path}: the database stayed locked by another writer past the "
                    "lock timeout (raise --lock-timeout to wait longer)"
                ) from exc
            raise
        await cursor.close()

    async def fetch_row(self, driver: AiosqliteConnection, sql: str) -> tuple[Any, ...] | None:
        cursor = await driver.execute(sql)
        row = await cursor.fetchone()
        await cursor.close()
        return None if row is None else tuple(row)

    async def run_script(self, driver: AiosqliteConnection, sql: str) -> None:
        await run_statements(self, driver, sql)

    async def run_batch(self, driver: AiosqliteConnection, sql: str, tracking_sql: str) -> None:
        await run_statements(self, driver, sql)
        await self.execute(driver, tracking_sql)

    async def run_transaction(
        self, driver: AiosqliteConnection, sql: str, tracking_sql: str, guard_sql: str | None
    ) -> bool:
        return await run_in_steps(self, driver, sql, tracking_sql, guard_sql)

    # -- the migration lock: none across the run; each migration's transaction is one -----

    def lock_key(self, table: str) -> str:
        return f"schemactl:{self.url.database}:{table}"

    def session_lock_sql(self, key: str) -> LockSQL | None:
        return None

    def autogen_hooks(self) -> AutogenHooks:
        from ..autogen.hooks import SQLiteHooks

        return SQLiteHooks()
