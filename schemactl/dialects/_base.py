"""What differs between databases, behind one narrow interface.

Everything else (the tracking table, the order of work, transactions) is shared code in
``schemactl._runner``. A dialect works on the raw driver connection so that a migration's SQL
reaches the server as written, without SQLAlchemy's parameter handling.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import hashlib
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import anyio

from .._config import SessionSettings
from .._errors import LockTimeoutError
from .._split import Dialect as SplitDialect
from .._split import Statement, split_statements

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection


class ConnectFailure(enum.Enum):
    """Why a connection attempt failed, as far as `wait` and `up` care."""

    TRANSIENT = "transient"  # refused, unreachable, starting up, too many connections
    MISSING_DATABASE = "missing database"  # the server is up and the credentials are good
    FATAL = "fatal"  # bad credentials, bad options: retrying will not help


class ScriptError(Exception):
    """A statement of a script failed. ``offset`` is its position in the script, if known;
    ``lock_timeout`` tells that it gave up waiting for a lock another session held."""

    def __init__(
        self,
        message: str,
        offset: int | None,
        statements_run: int,
        *,
        lock_timeout: bool = False,
        statement: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.statements_run = statements_run
        self.lock_timeout = lock_timeout
        self.statement = statement


_LOCKED_TABLE = re.compile(
    r"""^\s*(?:alter\s+table(?:\s+if\s+exists)?(?:\s+only)?|drop\s+table(?:\s+if\s+exists)?|
    truncate(?:\s+table)?|lock\s+table|insert\s+into|update|delete\s+from|
    create\s+(?:unique\s+)?index(?:\s+concurrently)?(?:\s+if\s+not\s+exists)?
    (?:\s+[^\s(]+)?\s+on(?:\s+only)?)\s+([^\s(;]+)""",
    re.IGNORECASE | re.VERBOSE,
)


def locked_table(statement: str | None) -> str | None:
    """The table a DDL or DML statement locks, for "waiting for a lock on X" messages."""
    match = _LOCKED_TABLE.match(statement or "")
    return match.group(1).strip('"`[]') if match else None


class Dialect(abc.ABC):
    name: ClassVar[str]
    split_dialect: ClassVar[SplitDialect]
    transactional_ddl: ClassVar[bool]
    begin_sql: ClassVar[str] = "BEGIN"
    # True when one session lock covers the whole run; False when each migration's transaction
    # must itself re-check the tracking table (SQLite: the write lock is the transaction).
    session_lock: ClassVar[bool] = True
    has_server: ClassVar[bool] = True  # False for SQLite: a file, nothing to wait for

    def __init__(self, url: URL) -> None:
        self.url = url

    # -- engines and connections ---------------------------------------------------------

    def validate(self) -> None:
        """Refuse, before connecting, a URL the server would misread (too long a name)."""
        return None

    @property
    def pin_reads(self) -> bool:
        """Run reads in explicit transactions (a pooler in transaction mode is in between)."""
        return False

    @property
    def default_lock_strategy(self) -> str:
        """ "session" (an advisory/named lock) unless the URL says a pooler is in between."""
        return "session"

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        """Extra ``create_async_engine`` keyword arguments for engines schemactl owns."""
        return {}

    @abc.abstractmethod
    def classify_connect_error(self, exc: BaseException) -> ConnectFailure: ...

    # -- databases -----------------------------------------------------------------------

    @abc.abstractmethod
    async def database_exists(self) -> bool: ...

    @abc.abstractmethod
    async def create_database(self) -> bool:
        """Create the URL's database; False if it already existed. Safe against races."""

    @abc.abstractmethod
    async def drop_database(self) -> bool:
        """Drop the URL's database; False if it did not exist."""

    # -- running SQL ---------------------------------------------------------------------

    async def driver(self, conn: AsyncConnection) -> Any:
        raw = await conn.get_raw_connection()
        return raw.driver_connection

    @abc.abstractmethod
    async def execute(self, driver: Any, sql: str) -> None:
        """Run one statement (or, where the driver allows, a script) on the raw connection."""

    def split(self, sql: str) -> list[Statement]:
        return split_statements(sql, self.split_dialect)

    async def run_script(self, driver: Any, sql: str) -> None:
        """Run a migration section inside the caller's transaction, statement by statement.

        Raises ScriptError with the failing statement's offset and how many statements ran.
        """
        statements = self.split(sql)
        for index, statement in enumerate(statements):
            try:
                await self.execute(driver, statement.sql)
            except Exception as exc:
                if not self.is_database_error(exc):
                    raise
                raise ScriptError(
                    self.error_message(exc),
                    statement.offset,
                    index,
                    lock_timeout=self.is_lock_timeout(exc),
                    statement=statement.sql,
                ) from exc

    async def run_batch(self, driver: Any, sql: str, tracking_sql: str) -> None:
        """The script, then the tracking row change, inside the caller's open transaction."""
        await self.run_script(driver, sql)
        await self.execute(driver, tracking_sql)

    async def begin(self, driver: Any) -> None:
        await self.execute(driver, self.begin_sql)

    async def run_transaction(
        self, driver: Any, sql: str, tracking_sql: str, guard_sql: str | None = None
    ) -> bool:
        """BEGIN, the script, the tracking row change, COMMIT; ROLLBACK on failure.

        ``guard_sql`` is a query that returns a row while the change is still needed; only
        dialects without a session lock (``session_lock = False``) need to run it. Returns
        False when the guard said another run had already done the work.
        """
        await self.begin(driver)
        try:
            if guard_sql is not None and not await self.returns_row(driver, guard_sql):
                await self.execute(driver, "ROLLBACK")
                return False
            await self.run_batch(driver, sql, tracking_sql)
            await self.execute(driver, "COMMIT")
            return True
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.rollback_quietly(driver)
            raise

    async def returns_row(self, driver: Any, sql: str) -> bool:
        """True if a query returns a row (only dialects without a session lock need it)."""
        raise NotImplementedError

    async def rollback_quietly(self, driver: Any) -> None:
        with contextlib.suppress(
            Exception
        ):  # the connection may be gone; the server rolls back then
            await self.execute(driver, "ROLLBACK")

    @abc.abstractmethod
    def is_database_error(self, exc: BaseException) -> bool:
        """True for errors the server reported about a statement."""

    def is_lock_timeout(self, exc: BaseException) -> bool:
        """True when a statement gave up waiting for a lock another session holds."""
        return False

    def is_connection_lost(self, exc: BaseException) -> bool:
        """True when the link to the server died (reset, closed, timed out)."""
        return any(
            isinstance(item, ConnectionError | TimeoutError) for item in exception_chain(exc)
        )

    def is_duplicate_key(self, exc: BaseException) -> bool:
        """True for a unique-key violation (the lease lock is taken)."""
        return False

    async def configure_session(self, driver: Any, settings: SessionSettings) -> None:
        """Apply the session limits on a fresh connection of schemactl's."""
        return None

    def error_message(self, exc: BaseException) -> str:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

    # -- the migration lock --------------------------------------------------------------

    def lock_key(self, table: str) -> str:
        return f"schemactl:{self.url.database}:{table}"

    @asynccontextmanager
    async def lock(
        self, driver: Any, table: str, timeout: float, *, lease: Any = None
    ) -> AsyncIterator[None]:
        """Hold the cross-process migration lock for this database and tracking table: the
        dialect's session lock, or a ``lease`` (``schemactl._lock.Lease``) with the same
        try_lock / unlock / lock_holder operations."""
        key = self.lock_key(table)
        backend = lease or self
        with anyio.move_on_after(timeout) as scope:
            delay = 0.01
            while not await backend.try_lock(driver, key):
                await anyio.sleep(random.uniform(delay / 2, delay))
                delay = min(delay * 2, 0.5)
        if scope.cancelled_caught:
            holder = await backend.lock_holder(driver, key)
            raise LockTimeoutError(
                f"gave up after {timeout:g}s waiting for the migration lock of "
                f"{self.url.database!r}{holder}; another schemactl run is migrating "
                "(raise --lock-timeout to wait longer)"
            )
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                await backend.unlock(driver, key)

    async def try_lock(self, driver: Any, key: str) -> bool:
        return True

    async def unlock(self, driver: Any, key: str) -> None:
        return None

    async def lock_holder(self, driver: Any, key: str) -> str:
        return ""


def int64_key(text: str) -> int:
    """A stable signed 64-bit number for a text, for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and the driver errors SQLAlchemy wraps, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([getattr(item, "orig", None), item.__cause__, item.__context__])
    return seen


def owned_engine(url: URL, **options: Any) -> Any:
    """An engine schemactl creates and disposes itself: no pool, nothing lingers."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    return create_async_engine(url, poolclass=NullPool, **options)
