"""psycopg 3 under a host application's ``AsyncEngine``, shaped as the part of asyncpg's
connection the PostgreSQL dialect uses.

Queries go without parameters, so psycopg sends them with the simple-query protocol, as
asyncpg does: a script of several statements runs in one round trip, in one implicit
transaction unless it holds BEGIN and COMMIT, and stops at its first error. ``prepare=False``
keeps psycopg from preparing a query it has seen five times (a prepared statement holds
one statement only, and a pooler in transaction mode loses it).

psycopg is not imported here: this module is loaded with the dialect, psycopg only when a
host's engine runs on it.
"""

from __future__ import annotations

import os
import re
import socket
from typing import TYPE_CHECKING, Any, NamedTuple

from ._base import Failure, keep_alive

if TYPE_CHECKING:
    from psycopg import AsyncConnection

PSYCOPG_DRIVERS = ("psycopg", "psycopg_async")  # SQLAlchemy's names of psycopg's async dialect

# libpq reports an error of the connection's start-up as text only, without its SQLSTATE:
# these are the server's words for the ones schemactl decides on (in English, the default
# lc_messages; another language reads as a failed connection).
_STARTUP_ERRORS = (
    (re.compile(r'FATAL:\s+database "[^"]*" does not exist'), Failure.MISSING_DATABASE),
    (
        re.compile(
            r"FATAL:\s+(password authentication failed|role \"[^\"]*\" does not exist|"
            r"no pg_hba\.conf entry|.* authentication failed)"
        ),
        Failure.LOGIN,
    ),
    (
        re.compile(
            r"FATAL:\s+(the database system is (starting up|in recovery mode|shutting down)|"
            r"sorry, too many clients already|remaining connection slots are reserved)"
        ),
        Failure.BUSY,
    ),
)


class ServerVersion(NamedTuple):
    major: int
    minor: int


class PsycopgDriver:
    """A psycopg ``AsyncConnection`` answering as ``asyncpg.Connection`` does, for the calls
    the dialect makes. The connection must be in autocommit mode (schemactl's connections
    are: ``isolation_level="AUTOCOMMIT"``), or psycopg would open a transaction itself."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self.conn = conn

    async def execute(self, query: str) -> str:
        cursor = await self.conn.execute(query, prepare=False)
        return cursor.statusmessage or ""

    async def fetchrow(self, query: str) -> tuple[Any, ...] | None:
        cursor = await self.conn.execute(query, prepare=False)
        return await cursor.fetchone()

    async def fetchval(self, query: str) -> Any:
        row = await self.fetchrow(query)
        return None if row is None else row[0]

    def get_server_version(self) -> ServerVersion:
        number = self.conn.info.server_version  # 150020 for 15.20 (10 and later)
        return ServerVersion(number // 10000, number % 10000)

    def is_in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def keep_alive(self, seconds: float) -> None:
        """:func:`keep_alive` on the connection's socket (libpq's, reached through a copy of
        its descriptor: socket options belong to the socket, not to the descriptor)."""
        with socket.socket(fileno=os.dup(self.conn.pgconn.socket)) as sock:
            keep_alive(sock, seconds)


def is_psycopg(raw: object) -> bool:
    """Whether a driver connection is psycopg's (without importing psycopg for asyncpg's)."""
    return type(raw).__module__.split(".")[0] == "psycopg"


def psycopg_failure(exc: BaseException) -> Failure | None:
    """What a psycopg error without an SQLSTATE means (the link, or the start-up); None for
    an error of another driver."""
    if not is_psycopg(exc):
        return None
    import psycopg

    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return None
    text = str(exc)
    return next((kind for pattern, kind in _STARTUP_ERRORS if pattern.search(text)), None) or (
        Failure.CONNECTION
    )


def psycopg_engine_options(*, pooled: bool) -> dict[str, Any]:
    """``create_async_engine`` options for an engine schemactl owns on psycopg: named in
    ``pg_stat_activity``; behind a pooler, no prepared statements at all."""
    connect_args: dict[str, Any] = {"application_name": "schemactl"}
    if pooled:
        connect_args["prepare_threshold"] = None
    return {"connect_args": connect_args}
