"""Opening a database for one call: the engine, the dialect, and connection error mapping."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import (
    ConfigurationError,
    DatabaseConnectionError,
    SchemactlError,
    WaitTimeoutError,
)
from ._urls import describe, redact, to_sqlalchemy_url
from .dialects import ConnectFailure, Dialect, dialect_for
from .dialects._base import exception_chain, owned_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("schemactl")
CONNECT_TIMEOUT = 30.0  # one connection attempt; aiomysql's handshake has no timeout of its own


@dataclass
class Database:
    """One database as one API call sees it."""

    url: URL
    dialect: Dialect
    engine: AsyncEngine
    created: bool = False  # set when connection(create_missing=True) created the database

    @property
    def label(self) -> str:
        return describe(self.url)

    def reason(self, exc: BaseException) -> str:
        """The driver's own words for an error, one line, password removed."""
        message = ""
        for item in exception_chain(exc):
            text = str(item).strip()
            if text:
                message = text.splitlines()[0]
        message = message or type(exc).__name__
        return redact(message, self.url.password if isinstance(self.url.password, str) else None)

    async def try_connect(self) -> tuple[AsyncConnection | None, BaseException | None]:
        """One bounded attempt; returns (connection, None) or (None, the error)."""
        try:
            with anyio.fail_after(CONNECT_TIMEOUT):
                conn = await self.engine.connect()
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        except TypeError as exc:  # the driver refused an option given in the URL's query
            raise ConfigurationError(
                f"the database URL has an option the driver does not accept: {self.reason(exc)}"
            ) from exc
        except Exception as exc:
            return None, exc
        return conn, None

    def connect_error(self, exc: BaseException) -> DatabaseConnectionError:
        if self.dialect.classify_connect_error(exc) is ConnectFailure.MISSING_DATABASE:
            return DatabaseConnectionError(
                f"database {self.url.database!r} does not exist on {self.label} "
                "(`schemactl up` or `schemactl create` creates it)"
            )
        if isinstance(exc, TimeoutError):
            return DatabaseConnectionError(
                f"cannot connect to {self.label}: no answer within {CONNECT_TIMEOUT:g}s"
            )
        return DatabaseConnectionError(f"cannot connect to {self.label}: {self.reason(exc)}")

    @asynccontextmanager
    async def connection(self, *, create_missing: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection in autocommit mode: schemactl issues BEGIN and COMMIT itself."""
        if not self.dialect.has_server:  # connecting would create an SQLite file silently
            if create_missing:
                self.created = await self.create()
            elif not await self.dialect.database_exists():
                raise DatabaseConnectionError(
                    f"database file {self.url.database!r} does not exist "
                    "(`schemactl up` or `schemactl create` creates it)"
                )
        conn, error = await self.try_connect()
        missing = error is not None and (
            self.dialect.classify_connect_error(error) is ConnectFailure.MISSING_DATABASE
        )
        if create_missing and missing:
            self.created = await self.create()
            conn, error = await self.try_connect()
        if conn is None:
            assert error is not None
            raise self.connect_error(error) from error
        try:
            yield conn
        except SchemactlError:
            raise
        except Exception as exc:
            if self.dialect.is_connection_lost(exc):
                raise DatabaseConnectionError(
                    f"lost the connection to {self.label}: {self.reason(exc)}"
                ) from exc
            raise
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await conn.close()
                except Exception:  # broken by a cancellation or a dropped link: discard it
                    with contextlib.suppress(Exception):
                        await conn.invalidate()

    async def create(self) -> bool:
        try:
            created = await self.dialect.create_database()
            if created:
                log.info("Created database %s", self.url.database)
            return created
        except ConfigurationError:
            raise
        except Exception as exc:
            raise self.server_error("create", exc) from exc

    async def drop(self) -> bool:
        try:
            return await self.dialect.drop_database()
        except ConfigurationError:
            raise
        except Exception as exc:
            raise self.server_error("drop", exc) from exc

    def server_error(self, action: str, exc: BaseException) -> DatabaseConnectionError:
        if self.dialect.is_database_error(exc):
            return DatabaseConnectionError(
                f"cannot {action} database {self.url.database!r}: {self.reason(exc)}"
            )
        return DatabaseConnectionError(f"cannot connect to {self.label}: {self.reason(exc)}")

    async def wait(self, timeout: float) -> tuple[int, float]:
        """Poll until the server accepts and authenticates a connection.

        A missing database counts as ready: `wait` then `up` must work on a fresh server.
        Backoff is exponential with full jitter, capped at 0.5 s so a server that comes up is
        noticed quickly; every attempt is bounded by the time left.
        """
        if timeout < 0:
            raise ConfigurationError(f"timeout must be zero or more seconds, not {timeout:g}")
        start = time.monotonic()
        if not self.dialect.has_server:
            return 1, 0.0  # connecting would create an SQLite file: nothing to wait for
        deadline = start + timeout
        attempts = 0
        last_error = "no attempt was made"
        while True:
            attempts += 1
            remaining = deadline - time.monotonic()
            error: BaseException | None = None
            with anyio.move_on_after(max(remaining, 0.05)):
                conn, error = await self.try_connect()
                if conn is not None:
                    await conn.close()
                    return attempts, time.monotonic() - start
            if error is not None:
                kind = self.dialect.classify_connect_error(error)
                if kind is ConnectFailure.MISSING_DATABASE:
                    return attempts, time.monotonic() - start
                if kind is ConnectFailure.FATAL:
                    raise self.connect_error(error) from error
                last_error = self.reason(error)
            else:
                last_error = "the attempt timed out"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"{self.label} was not ready after {timeout:g}s "
                    f"({attempts} attempts; last error: {last_error})"
                )
            await anyio.sleep(min(random.uniform(0, min(0.5, 0.05 * 2**attempts)), remaining))


@asynccontextmanager
async def open_database(target: Any, *, lock_timeout: float) -> AsyncIterator[Database]:
    """A Database for a URL string (an engine schemactl owns and disposes) or a caller's engine."""
    if lock_timeout < 0:
        raise ConfigurationError(f"lock timeout must be zero or more seconds, not {lock_timeout:g}")
    if isinstance(target, str):
        url = to_sqlalchemy_url(target)
        dialect = dialect_for(url)
        dialect.validate()
        try:
            engine = owned_engine(dialect.url, **dialect.engine_options(lock_timeout=lock_timeout))
        except ModuleNotFoundError as exc:
            extra = {"postgresql": "postgres", "mysql": "mysql"}.get(dialect.name, "sqlite")
            raise ConfigurationError(
                f"the driver for {dialect.name} is not installed ({exc.name}): "
                f"pip install 'schemactl[{extra}]'"
            ) from exc
        except Exception as exc:  # a bad URL option
            raise ConfigurationError(f"cannot use {describe(url)}: {redact(str(exc))}") from exc
        try:
            yield Database(dialect.url, dialect, engine)
        finally:
            with anyio.CancelScope(shield=True):
                await engine.dispose()
        return
    from sqlalchemy.ext.asyncio import AsyncEngine

    if not isinstance(target, AsyncEngine):
        raise ConfigurationError(
            f"expected a database URL or an AsyncEngine, not {type(target).__name__}"
        )
    dialect = dialect_for(target.url)
    dialect.validate()
    yield Database(target.url, dialect, target)
