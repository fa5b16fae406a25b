"""SQLite through aiosqlite: a file, transactional DDL with an explicit BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .._config import SessionSettings
from .._errors import ConfigurationError, LockTimeoutError
from ._base import ConnectFailure, Dialect


class SQLite(Dialect):
    name = "sqlite"
    split_dialect = "sqlite"
    transactional_ddl = True
    # BEGIN IMMEDIATE takes the database's write lock: each migration's transaction is the lock,
    # and re-checks the tracking table once it holds it.
    begin_sql = "BEGIN IMMEDIATE"
    session_lock = False
    has_server = False

    @property
    def path(self) -> Path | None:
        database = self.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        return {"connect_args": {"timeout": lock_timeout}}

    def classify_connect_error(self, exc: BaseException) -> ConnectFailure:
        return ConnectFailure.FATAL

    def is_database_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)

    async def configure_session(self, driver: Any, settings: SessionSettings) -> None:
        if settings.statement_timeout is not None:
            raise ConfigurationError("SQLite has no statement timeout")
        if settings.ddl_lock_timeout is not None:  # SQLite's one lock is the write lock
            await self.execute(
                driver, f"PRAGMA busy_timeout = {int(settings.ddl_lock_timeout * 1000)}"
            )

    async def execute(self, driver: Any, sql: str) -> None:
        try:
            cursor = await driver.execute(sql)
        except sqlite3.OperationalError as exc:
            if "database is locked" in str(exc):
                raise LockTimeoutError(
                    f"{self.path}: the database stayed locked by another writer past the "
                    "lock timeout (raise --lock-timeout to wait longer)"
                ) from exc
            raise
        await cursor.close()

    async def returns_row(self, driver: Any, sql: str) -> bool:
        cursor = await driver.execute(sql)
        row = await cursor.fetchone()
        await cursor.close()
        return row is not None

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
