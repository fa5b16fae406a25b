"""The migration lock as a lease row, for connection poolers in transaction mode.

PgBouncer (transaction pooling) hands each transaction to whichever server connection is
free: a session advisory lock taken by one transaction is held by a server connection the next
transaction may not get, and never released by it. A lease needs no session: a row in a small
table beside the tracking table, taken by INSERT (a duplicate key means someone holds it),
renewed before each migration, released by DELETE, and taken over once it expired (a holder
that died does not block for ever).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._tracking import TrackingTable
    from .dialects import Dialect

LEASE_SECONDS = 600


class Lease:
    """A lease lock with the same three operations as a dialect's session lock."""

    def __init__(self, dialect: Dialect, tracking: TrackingTable) -> None:
        self.dialect = dialect
        self.tracking = tracking
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._table_ready = False

    def _expiry(self) -> str:
        if self.dialect.name == "postgresql":
            return f"now() + interval '{LEASE_SECONDS} seconds'"
        return f"NOW() + INTERVAL {LEASE_SECONDS} SECOND"

    def _now(self) -> str:
        return "now()" if self.dialect.name == "postgresql" else "NOW()"

    async def _execute(self, driver: Any, sql: str) -> None:
        await self.dialect.execute(driver, sql)

    async def try_lock(self, driver: Any, key: str) -> bool:
        table = self.tracking.quoted_lock
        if not self._table_ready:
            with contextlib.suppress(Exception):  # created meanwhile by a concurrent run
                await self._execute(driver, self.tracking.create_lock_sql())
            self._table_ready = True
        name = self.tracking.literal(key)
        await self._execute(
            driver, f"DELETE FROM {table} WHERE name = {name} AND expires_at < {self._now()}"
        )
        try:
            await self._execute(
                driver,
                f"INSERT INTO {table} (name, owner, expires_at) VALUES "
                f"({name}, {self.tracking.literal(self.owner)}, {self._expiry()})",
            )
        except Exception as exc:
            if self.dialect.is_duplicate_key(exc):
                return False
            raise
        return True

    async def renew(self, driver: Any, key: str) -> None:
        await self._execute(
            driver,
            f"UPDATE {self.tracking.quoted_lock} SET expires_at = {self._expiry()} "
            f"WHERE name = {self.tracking.literal(key)} "
            f"AND owner = {self.tracking.literal(self.owner)}",
        )

    async def unlock(self, driver: Any, key: str) -> None:
        with contextlib.suppress(Exception):  # gone with the connection: the lease expires
            await self._execute(
                driver,
                f"DELETE FROM {self.tracking.quoted_lock} WHERE name = "
                f"{self.tracking.literal(key)} AND owner = {self.tracking.literal(self.owner)}",
            )

    async def lock_holder(self, driver: Any, key: str) -> str:
        return f" (a lease row in {self.tracking.quoted_lock}; it expires {LEASE_SECONDS}s after "
        "its holder's last renewal)"
