"""The cross-process migration lock: one interface, a session lock and a lease behind it.

- :class:`SessionLock`: the server's own session lock (a PostgreSQL advisory lock, MySQL's
  ``GET_LOCK``). It survives each migration's commit and goes with the session if the client
  dies. The dialect supplies its SQL.
- :class:`LeaseLock`: for poolers in transaction mode (PgBouncer), where a session lock taken
  in one transaction is held by a server connection the next transaction may not get. A row in
  a small table beside the tracking table, taken by INSERT (a duplicate key means someone
  holds it), renewed before each migration, released by DELETE, and taken over once expired
  (a holder that died does not block for ever). It is also the lock of a multi-primary
  cluster (Galera), where ``GET_LOCK`` holds on one node only: the lease row is a write the
  cluster certifies, and a node whose INSERT lost to another's gets a certification conflict,
  which means "taken" like a duplicate key. While a migration runs, a second connection renews
  the lease every quarter of its length, so a migration longer than the lease keeps it; a run
  whose lease was taken over all the same (its renewals failed) stops before its next
  migration.
- :class:`TransactionLock`: SQLite, where each migration's ``BEGIN IMMEDIATE`` is the lock.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import ConfigurationError, LockLostError, LockTimeoutError
from ._options import LockStrategy
from .dialects import Failure

if TYPE_CHECKING:
    from ._tracking import TrackingTable
    from .dialects import Dialect, LockSQL

LEASE_SECONDS = 600
log = logging.getLogger("schemactl")
# a connection of its own, for the lease's renewals while the run's connection is busy
Connect = Callable[[], AbstractAsyncContextManager[object]]


class MigrationLock(abc.ABC):
    """A lock that one run at a time holds on one database and tracking table."""

    @abc.abstractmethod
    async def try_acquire(self) -> bool: ...

    @abc.abstractmethod
    async def release(self) -> None:
        """Give the lock back; never raises (a lost connection frees it anyway)."""

    @abc.abstractmethod
    async def renew(self) -> None:
        """Keep holding it through a long run (a lease expires otherwise)."""

    @abc.abstractmethod
    async def holder(self) -> str:
        """Who holds it, for the timeout message; "" when unknown."""


class SessionLock(MigrationLock):
    def __init__(self, dialect: Dialect[Any], driver: object, sql: LockSQL) -> None:
        self.dialect, self.driver, self.sql = dialect, driver, sql

    async def try_acquire(self) -> bool:
        row = await self.dialect.fetch_row(self.driver, self.sql.try_lock)
        return bool(row and row[0])

    async def release(self) -> None:
        with contextlib.suppress(Exception):  # connection gone: the server released it
            await self.dialect.execute(self.driver, self.sql.unlock)

    async def renew(self) -> None:
        return None

    async def holder(self) -> str:
        row = await self.dialect.fetch_row(self.driver, self.sql.holder)
        return str(row[0]) if row and row[0] else ""


class LeaseLock(MigrationLock):
    def __init__(
        self, dialect: Dialect[Any], driver: object, tracking: TrackingTable, key: str
    ) -> None:
        self.dialect, self.driver, self.tracking = dialect, driver, tracking
        self.name = tracking.literal(key)
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.owner = tracking.literal(self.me)
        self.table = tracking.quoted_lock
        self.expiry = dialect.lease_expiry_sql.format(seconds=LEASE_SECONDS)
        self._table_ready = False

    async def _execute(self, sql: str) -> None:
        await self.dialect.execute(self.driver, sql)

    async def try_acquire(self) -> bool:
        if not self._table_ready:
            with contextlib.suppress(Exception):  # created meanwhile by a concurrent run
                await self._execute(self.tracking.create_lock_sql())
            self._table_ready = True
        try:
            await self._execute(
                f"DELETE FROM {self.table} WHERE name = {self.name} "
                f"AND expires_at < {self.dialect.now_sql}"
            )
            await self._execute(
                f"INSERT INTO {self.table} (name, owner, expires_at) "
                f"VALUES ({self.name}, {self.owner}, {self.expiry})"
            )
        except Exception as exc:
            # (a conflict: another node of the cluster took it, or took over the expired row)
            if self.dialect.classify(exc) in (Failure.DUPLICATE_KEY, Failure.CONFLICT):
                return False
            raise
        return True

    async def release(self) -> None:
        with contextlib.suppress(Exception):  # gone with the connection: the lease expires
            await self._execute(
                f"DELETE FROM {self.table} WHERE name = {self.name} AND owner = {self.owner}"
            )

    async def renew(self) -> None:
        """Extend the lease; LockLostError if another run has taken it over."""
        await self._renew(self.driver)
        row = await self.dialect.fetch_row(
            self.driver, f"SELECT owner FROM {self.table} WHERE name = {self.name}"
        )
        if row is None or row[0] != self.me:
            raise LockLostError(
                f"lost the migration lock: its lease in {self.table} expired unrenewed and "
                f"{f'{row[0]} took it over' if row else 'it was removed'}; stopped before the "
                "next migration (run status, then up again)"
            )

    async def _renew(self, driver: object) -> None:
        await self.dialect.execute(
            driver,
            f"UPDATE {self.table} SET expires_at = {self.expiry} "
            f"WHERE name = {self.name} AND owner = {self.owner}",
        )

    async def keep_alive(self, connect: Connect) -> None:
        """Renew the lease every quarter of its length on a connection of its own, until
        cancelled; a renewal that fails is logged and tried again at the next beat."""
        while True:
            await anyio.sleep(LEASE_SECONDS / 4)
            try:
                async with connect() as driver:
                    await self._renew(driver)
            except Exception as exc:  # (the run's own renewal, before each migration, decides)
                log.warning("could not renew the migration lock's lease: %s", exc)

    async def holder(self) -> str:
        return (
            f"a lease row in {self.table}; it expires {LEASE_SECONDS}s after its holder's "
            "last renewal"
        )


class TransactionLock(MigrationLock):
    """No lock across the run: each migration's transaction takes the write lock."""

    async def try_acquire(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    async def renew(self) -> None:
        return None

    async def holder(self) -> str:
        return ""


async def migration_lock(
    dialect: Dialect[Any], driver: object, tracking: TrackingTable, strategy: LockStrategy
) -> MigrationLock:
    """The lock a run takes: by ``strategy``, or for "auto" by the URL (a pooler: a lease) and
    the server (a node of a multi-primary cluster: a lease)."""
    key = dialect.lock_key(await _key_table(dialect, driver, tracking.name))
    sql = dialect.session_lock_sql(key)
    if sql is None:
        return TransactionLock()
    if strategy == "table":
        return LeaseLock(dialect, driver, tracking, key)
    if strategy == "auto" and dialect.profile.pooled:
        return LeaseLock(dialect, driver, tracking, key)
    if await dialect.multi_primary(driver):
        if strategy == "session":
            raise ConfigurationError(
                "--lock-strategy session cannot lock a Galera cluster: a session lock holds "
                "on one node only (use auto or table)"
            )
        return LeaseLock(dialect, driver, tracking, key)
    return SessionLock(dialect, driver, sql)


async def _key_table(dialect: Dialect[Any], driver: object, name: str) -> str:
    """The tracking table as the lock key names it. One table takes one lock however it is
    spelled: a schema that is the connection's default (``public.schema_migrations`` on
    PostgreSQL, ``<database>.schema_migrations`` on MySQL) is dropped, which keeps the key of
    the common, unqualified spelling what it always was (runs of older versions during a
    rolling deploy take the same lock). A URL's search_path (a schema per tenant) keeps the
    schema: each tenant's run takes a lock of its own."""
    schema, _, table = name.rpartition(".")
    if dialect.profile.search_path is not None:
        return name
    if schema and schema == await dialect.default_schema(driver):
        return table
    return name


@asynccontextmanager
async def held(
    lock: MigrationLock, timeout: float, database: str, connect: Connect | None = None
) -> AsyncIterator[None]:
    """Hold ``lock``, trying with jittered backoff for ``timeout`` seconds; a lease is kept
    alive meanwhile through ``connect``'s connections.

    The timeout bounds the waits between attempts, never an attempt in flight: cancelling a
    query costs a cancel request, and psycopg closes the connection when its cancel request is
    itself interrupted, which would leave nothing to ask who holds the lock."""
    deadline = anyio.current_time() + timeout
    delay = 0.01
    while not await lock.try_acquire():
        if delay == 0.01:  # the first time only
            holder = await lock.holder()
            log.info(
                "Waiting up to %gs for the migration lock of %r%s",
                timeout,
                database,
                f" ({holder})" if holder else "",
            )
        left = deadline - anyio.current_time()
        if left <= 0:
            holder = await lock.holder()
            raise LockTimeoutError(
                f"gave up after {timeout:g}s waiting for the migration lock of {database!r}"
                f"{f' ({holder})' if holder else ''}; another schemactl run is migrating "
                "(raise --lock-timeout to wait longer)"
            )
        await anyio.sleep(min(random.uniform(delay / 2, delay), left))
        delay = min(delay * 2, 0.5)
    try:
        if isinstance(lock, LeaseLock) and connect is not None:
            async with _beside(lock.keep_alive, connect):
                yield
        else:
            yield
    finally:
        with anyio.CancelScope(shield=True):
            await lock.release()


@asynccontextmanager
async def _beside(task: Callable[[Connect], Any], connect: Connect) -> AsyncIterator[None]:
    """Run ``task`` (which never raises) while the body runs; the body's exception comes out
    as itself, not in the task group's ExceptionGroup."""
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(task, connect)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        inner = group.exceptions[0]
        chained = inner.__cause__, inner.__context__, inner.__suppress_context__
        try:
            raise inner
        finally:  # (as it was raised: its cause and context name the driver's error)
            inner.__cause__, inner.__context__, inner.__suppress_context__ = chained
