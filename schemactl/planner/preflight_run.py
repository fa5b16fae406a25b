"""Running the pre-flight checks: read-only, each in a transaction of its own, each bounded.

- PostgreSQL: ``BEGIN READ ONLY`` and ``SET LOCAL statement_timeout`` (it also bounds the wait
  for a lock another session holds);
- MariaDB: ``START TRANSACTION READ ONLY`` and ``SET STATEMENT max_statement_time=...,
  lock_wait_timeout=... FOR`` the query; MySQL: the ``MAX_EXECUTION_TIME`` optimizer hint;
- SQLite: a read transaction (``BEGIN``, then ROLLBACK), the query interrupted when the time
  is up.

A check that times out or that the server refuses says so in its ``error`` (and ``timed_out``);
it does not stop the others.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio

from ..dialects._base import exception_chain
from .preflight import Check

if TYPE_CHECKING:
    from .._session import Session

_PG_CANCELED = "57014"  # query_canceled: statement_timeout
_MYSQL_TIMEOUTS = {1969, 3024}  # MariaDB max_statement_time; MySQL MAX_EXECUTION_TIME


async def run_checks(
    session: Session, checks: Sequence[Check], timeout: float | None
) -> list[Check]:
    """The checks with their ``count`` and ``fails`` (or ``error``)."""
    runner = _Runner(session, timeout)
    return [await runner.run(check) for check in checks]


class _Runner:
    def __init__(self, session: Session, timeout: float | None) -> None:
        self.session = session
        self.dialect = session.dialect
        self.driver: Any = session.driver
        self.timeout = timeout
        name = self.dialect.name
        info = str(getattr(self.driver, "get_server_info", lambda: "")())
        self.kind = "mariadb" if name == "mysql" and "mariadb" in info.lower() else name

    async def run(self, check: Check) -> Check:
        begin = {"postgresql": "BEGIN READ ONLY", "sqlite": "BEGIN"}.get(
            self.dialect.name, "START TRANSACTION READ ONLY"
        )
        await self.dialect.execute(self.driver, begin)
        try:
            row = await self._query(check.sql)
        except Exception as exc:
            if self._timed_out(exc):
                assert self.timeout is not None
                error = f"timed out after {self.timeout:g} s (--statement-timeout)"
                return dataclasses.replace(check, error=error, timed_out=True)
            if not self.dialect.classify(exc).statement:
                raise  # the link, not the query: the run cannot go on
            return dataclasses.replace(check, error=self.dialect.error_message(exc))
        finally:
            with anyio.CancelScope(shield=True):
                await self.dialect.execute(self.driver, "ROLLBACK")
        count = int(row[0] or 0) if row else 0
        return dataclasses.replace(check, count=count, fails=count > 0)

    async def _query(self, sql: str) -> tuple[Any, ...] | None:
        timeout = self.timeout
        if timeout is None:
            return await self.dialect.fetch_row(self.driver, sql)
        if self.kind == "postgresql":
            await self.dialect.execute(
                self.driver, f"SET LOCAL statement_timeout = {max(1, round(timeout * 1000))}"
            )
        elif self.kind == "mariadb":
            wait = max(1, math.ceil(timeout))
            sql = (
                f"SET STATEMENT max_statement_time={max(timeout, 1e-6):.6f}, "
                f"lock_wait_timeout={wait} FOR {sql}"
            )
        elif self.kind == "mysql":
            sql = sql.replace(
                "SELECT", f"SELECT /*+ MAX_EXECUTION_TIME({round(timeout * 1000)}) */", 1
            )
        else:  # SQLite: interrupted (see dialects.sqlite) when the time is up
            with anyio.fail_after(timeout):
                return await self.dialect.fetch_row(self.driver, sql)
        return await self.dialect.fetch_row(self.driver, sql)

    def _timed_out(self, exc: BaseException) -> bool:
        if isinstance(exc, TimeoutError):
            return True
        for item in exception_chain(exc):
            if getattr(item, "sqlstate", None) == _PG_CANCELED:
                return True
            args = getattr(item, "args", ())
            if args and isinstance(args[0], int) and args[0] in _MYSQL_TIMEOUTS:
                return True
        return False
