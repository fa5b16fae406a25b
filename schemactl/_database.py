"""Opening a database for one call: the URL, the dialect, the engine, connections, and the
errors of connecting, creating, dropping and waiting."""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
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
from ._options import Options
from ._password import refuse_for_engine
from ._redact import error_words, redact
from ._results import plural
from ._urls import describe, to_sqlalchemy_url
from .dialects import Dialect, Failure, dialect_for
from .dialects._base import exception_chain, owned_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("schemactl")
CONNECT_TIMEOUT = 30.0  # one connection attempt; aiomysql's handshake has no timeout of its own


@dataclass
class Database:
    """One database as one API call sees it."""

    dialect: Dialect[Any]
    engine: AsyncEngine
    owned: bool  # schemactl made the engine (and disposes it); False: the caller's engine
    created: bool = False  # set when connection(create_missing=True) created the database
    # bound a silent link to this many seconds (TCP keepalives); None: a borrowed engine's
    # connections keep the host application's own socket settings
    link_timeout: float | None = None

    @property
    def url(self) -> URL:
        return self.dialect.url

    @property
    def label(self) -> str:
        search_path = self.dialect.profile.search_path
        schema = f" (search_path {search_path})" if search_path else ""
        return describe(self.url) + schema

    @property
    def password(self) -> str | None:
        """The password to hide from messages: the URL's, or the last one produced."""
        password = self.url.password
        if isinstance(password, str):
            return password
        source = self.dialect.profile.password
        return source.last if source is not None else None

    def reason(self, exc: BaseException) -> str:
        """The driver's own words for an error, one line, password removed; for a link that
        the keepalive bound ended (ETIMEDOUT), what happened."""
        chain = exception_chain(exc)
        if self.link_timeout is not None and any(
            isinstance(e, OSError) and e.errno == errno.ETIMEDOUT for e in chain
        ):
            return f"no reply for {self.link_timeout:g} s"
        advice = self.dialect.advice(exc)
        words = error_words(chain, self.password)
        return f"{words} ({advice})" if advice else words

    def redact(self, text: str) -> str:
        return redact(text, self.password)

    async def try_connect(self) -> tuple[AsyncConnection | None, BaseException | None]:
        """One bounded attempt; returns (connection, None) or (None, the error)."""
        try:
            with anyio.fail_after(CONNECT_TIMEOUT):
                conn = await self.engine.connect()
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.link_timeout is not None:
                await self.dialect.bound_link(await self.dialect.driver(conn), self.link_timeout)
        except SchemactlError:  # the password command failed
            raise
        except TypeError as exc:  # the driver refused an option given in the URL's query
            raise ConfigurationError(
                f"the database URL has an option the driver does not accept: {self.reason(exc)}"
            ) from exc
        except Exception as exc:
            return None, exc
        return conn, None

    def connect_error(self, exc: BaseException) -> DatabaseConnectionError:
        if self.dialect.classify(exc) is Failure.MISSING_DATABASE:
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
    async def connection(
        self, *, create_missing: bool = False, before_create: Callable[[], None] | None = None
    ) -> AsyncIterator[AsyncConnection]:
        """A connection in autocommit mode: schemactl issues BEGIN and COMMIT itself.

        ``before_create`` runs when the database is missing, before it is created: it raises
        to leave no database behind (``up`` checks every migration file there)."""
        # connecting would create an SQLite file silently
        if not self.dialect.has_server and not await self.dialect.database_exists():
            if not create_missing:
                raise DatabaseConnectionError(
                    f"database file {self.url.database!r} does not exist "
                    "(`schemactl up` or `schemactl create` creates it)"
                )
            if before_create is not None:
                before_create()
            self.created = await self.create()
        conn, error = await self.try_connect()
        missing = error is not None and self.dialect.classify(error) is Failure.MISSING_DATABASE
        if create_missing and missing:
            if before_create is not None:
                before_create()
            self.created = await self.create()
            conn, error = await self.try_connect()
        if conn is None:
            assert error is not None
            raise self.connect_error(error) from error
        cancelled = False
        try:
            yield conn
        except SchemactlError:
            raise
        except Exception as exc:
            if self.dialect.classify(exc) is Failure.CONNECTION:
                raise DatabaseConnectionError(
                    f"lost the connection to {self.label}: {self.reason(exc)}"
                ) from exc
            raise
        except BaseException:  # cancelled midway: not reset and returned to a pool, whose
            cancelled = True  # failing reset SQLAlchemy would log with its traceback
            raise
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    if cancelled:
                        raise RuntimeError("cancelled")
                    await conn.close()
                except Exception:  # broken by a cancellation or a dropped link: discard it
                    with contextlib.suppress(Exception):
                        await conn.invalidate()

    async def create(self) -> bool:
        try:
            created = await self.dialect.create_database()
        except SchemactlError:
            raise
        except Exception as exc:
            raise self.server_error("create", exc) from exc
        if created:
            log.info("Created database %s", self.url.database)
        return created

    async def drop(self) -> bool:
        try:
            return await self.dialect.drop_database()
        except SchemactlError:
            raise
        except Exception as exc:
            raise self.server_error("drop", exc) from exc

    def server_error(self, action: str, exc: BaseException) -> DatabaseConnectionError:
        if self.dialect.classify(exc).statement:
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
                kind = self.dialect.classify(error)
                if kind is Failure.MISSING_DATABASE:
                    return attempts, time.monotonic() - start
                if not kind.transient:
                    raise self.connect_error(error) from error
                last_error = self.reason(error)
            else:
                last_error = "the attempt timed out"
            if attempts == 1:
                log.info("Waiting up to %gs for %s: %s", timeout, self.label, last_error)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"{self.label} was not ready after {timeout:g}s "
                    f"({plural(attempts, 'attempt')}; last error: {last_error})"
                )
            await anyio.sleep(min(random.uniform(0, min(0.5, 0.05 * 2**attempts)), remaining))


def dialect_of(target: object, options: Options) -> Dialect[Any]:
    """The dialect of a URL string or an AsyncEngine, checked before anything connects."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    if isinstance(target, str):
        url = to_sqlalchemy_url(target)
    elif isinstance(target, AsyncEngine):
        url = target.url
    else:
        from sqlalchemy.engine import Engine

        hint = " (sqlalchemy.ext.asyncio.create_async_engine makes one)"
        raise ConfigurationError(
            f"expected a database URL or an AsyncEngine, not {type(target).__name__}"
            + (hint if isinstance(target, Engine) else "")
        )
    refuse_for_engine(target, options.password)
    dialect = dialect_for(
        url,
        per_statement=options.ddl_lock_timeout is not None,
        pooled=options.lock_strategy == "table",  # the lease lock is for poolers
        password=options.password,
    )
    if options.password is not None and not dialect.has_server:
        raise ConfigurationError(f"{dialect.name} takes no password")
    dialect.validate()
    if options.statement_timeout is not None and not dialect.supports_statement_timeout:
        raise ConfigurationError(f"{dialect.name} has no statement timeout")
    _check_table_name(dialect, options.migrations_table)
    return dialect


def _check_table_name(dialect: Dialect[Any], table: str) -> None:
    """Refuse a tracking-table name the server would cut short: PostgreSQL truncates a long
    name silently, so "<name>_failures" could land on the tracking table itself."""
    limit = dialect.max_identifier_bytes
    name = table.rpartition(".")[2]
    longest = f"{name}_failures"  # the longest name schemactl makes from it
    if limit is not None and len(longest.encode()) > limit:
        raise ConfigurationError(
            f"the migrations table name {name!r} is too long for {dialect.name}: schemactl "
            f"keeps {longest!r} beside it, and names there are at most {limit} bytes (use a "
            f"name of at most {limit - len('_failures')} bytes)"
        )


@asynccontextmanager
async def open_database(target: object, options: Options) -> AsyncIterator[Database]:
    """A Database for a URL string (an engine schemactl owns and disposes) or a caller's engine."""
    dialect = dialect_of(target, options)
    if not isinstance(target, str):
        yield Database(dialect, target, owned=False)  # type: ignore[arg-type]
        return
    try:
        engine = owned_engine(
            dialect.url,
            options.password,
            **dialect.engine_options(lock_timeout=options.lock_timeout),
        )
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"the driver for {dialect.name} is not installed ({exc.name}): "
            f"pip install 'schemactl[{dialect.pip_extra}]'"
        ) from exc
    except Exception as exc:  # a bad URL option
        raise ConfigurationError(f"cannot use {describe(dialect.url)}: {redact(str(exc))}") from exc
    try:
        yield Database(dialect, engine, owned=True, link_timeout=options.link_timeout)
    finally:
        with anyio.CancelScope(shield=True):
            await engine.dispose()
