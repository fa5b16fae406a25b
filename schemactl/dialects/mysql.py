"""MySQL and MariaDB through aiomysql: DDL commits implicitly, named locks are server-wide."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
from typing import Any

from .._config import SessionSettings
from .._errors import ConfigurationError
from ._base import ConnectFailure, Dialect, exception_chain, owned_engine

log = logging.getLogger("schemactl")
_TRANSIENT_CODES = {1040, 1053, 2002, 2003, 2006, 2013, 2055, 1927}
_LOST_CONNECTION_CODES = {2006, 2013, 2055}
_MISSING_DATABASE = 1049
_DATABASE_EXISTS = 1007


def _quiet_cursor() -> Any:
    """A cursor that logs the server's notes instead of raising Python warnings with them
    (aiomysql's default): "Name 'pk_x' ignored for PRIMARY key" is not the user's problem."""
    global _QuietCursor
    if _QuietCursor is None:
        import aiomysql

        class QuietCursor(aiomysql.Cursor):  # type: ignore[misc]
            async def _show_warnings(self, conn: Any) -> None:
                if self._result and self._result.has_next:
                    return
                for warning in await conn.show_warnings() or ():
                    log.debug("MySQL: %s", warning[-1])

        _QuietCursor = QuietCursor
    return _QuietCursor


_QuietCursor: Any = None


def _quote(name: str) -> str:
    # Not SQLAlchemy's preparer: it doubles '%' for the format paramstyle, and these
    # statements go to the driver without parameters.
    return "`" + name.replace("`", "``") + "`"


def _code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class MySQL(Dialect):
    name = "mysql"
    split_dialect = "mysql"
    transactional_ddl = False

    def classify_connect_error(self, exc: BaseException) -> ConnectFailure:
        import pymysql

        for item in exception_chain(exc):
            if isinstance(item, pymysql.MySQLError):
                code = _code(item)
                if code == _MISSING_DATABASE:
                    return ConnectFailure.MISSING_DATABASE
                if code in _TRANSIENT_CODES:
                    return ConnectFailure.TRANSIENT
                return ConnectFailure.FATAL
        if any(isinstance(item, OSError | TimeoutError) for item in exception_chain(exc)):
            return ConnectFailure.TRANSIENT
        return ConnectFailure.FATAL

    def is_database_error(self, exc: BaseException) -> bool:
        import pymysql

        return isinstance(exc, pymysql.MySQLError) and _code(exc) not in _LOST_CONNECTION_CODES

    def is_connection_lost(self, exc: BaseException) -> bool:
        import pymysql

        return super().is_connection_lost(exc) or any(
            (isinstance(item, pymysql.MySQLError) and _code(item) in _LOST_CONNECTION_CODES)
            or isinstance(item, pymysql.err.InterfaceError)
            for item in exception_chain(exc)
        )

    def is_duplicate_key(self, exc: BaseException) -> bool:
        return _code(exc) == 1062

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return _code(exc) == 1205  # lock wait timeout exceeded (row or metadata lock)

    async def configure_session(self, driver: Any, settings: SessionSettings) -> None:
        sets = []
        if settings.ddl_lock_timeout is not None:
            seconds = max(1, math.ceil(settings.ddl_lock_timeout))
            sets += [
                f"lock_wait_timeout = {seconds}",  # metadata locks: the ones DDL waits for
                f"innodb_lock_wait_timeout = {seconds}",  # row locks
            ]
        if settings.statement_timeout is not None:
            if "mariadb" not in str(driver.get_server_info()).lower():
                raise ConfigurationError(
                    "a statement timeout needs MariaDB (max_statement_time); MySQL limits only "
                    "SELECT statements"
                )
            sets.append(f"max_statement_time = {settings.statement_timeout:g}")
        if sets:
            await self.execute(driver, "SET SESSION " + ", ".join(sets))

    def error_message(self, exc: BaseException) -> str:
        code = _code(exc)
        if code is not None and len(exc.args) > 1:
            return f"({code}) {exc.args[1]}"
        return super().error_message(exc)

    async def execute(self, driver: Any, sql: str) -> None:
        async with driver.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(sql)
            # aiomysql enables multi-statements; errors of later results only surface here.
            while await cursor.nextset():
                pass

    def _server_engine(self) -> Any:
        return owned_engine(self.url._replace(database=None), isolation_level="AUTOCOMMIT")

    def validate(self) -> None:
        self._check_name()

    def _check_name(self) -> str:
        name = self.url.database or ""
        if len(name) > 64 or name != name.rstrip():
            raise ConfigurationError(
                f"invalid MySQL database name {name[:20]!r}: at most 64 characters, "
                "no trailing spaces"
            )
        return name

    async def _query_exists(self, driver: Any, name: str) -> bool:
        async with driver.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,)
            )
            return (await cursor.fetchone()) is not None

    async def database_exists(self) -> bool:
        name = self._check_name()
        engine = self._server_engine()
        try:
            async with engine.connect() as conn:
                return await self._query_exists(await self.driver(conn), name)
        finally:
            await engine.dispose()

    async def create_database(self) -> bool:
        import pymysql

        name = self._check_name()
        engine = self._server_engine()
        lock = self.lock_key(f"create:{name}")
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                # The migration lock lives inside the database, so it cannot cover creating it:
                # concurrent `up` runs serialise on a server-wide named lock instead.
                await self._scalar(driver, "SELECT GET_LOCK(%s, 60)", lock)
                try:
                    if await self._query_exists(driver, name):
                        return False
                    quoted = _quote(name)
                    try:
                        await self.execute(driver, f"CREATE DATABASE {quoted}")
                    except pymysql.MySQLError as exc:
                        if _code(exc) == _DATABASE_EXISTS:  # created by someone else
                            return False
                        raise
                    return True
                finally:
                    await self.unlock(driver, lock)
        finally:
            await engine.dispose()

    async def drop_database(self) -> bool:
        name = self._check_name()
        engine = self._server_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                if not await self._query_exists(driver, name):
                    return False
                quoted = _quote(name)
                await self.execute(driver, f"DROP DATABASE IF EXISTS {quoted}")
                return True
        finally:
            await engine.dispose()

    # -- lock: GET_LOCK names are server-wide, so the name includes the database ----------

    def lock_key(self, table: str) -> str:
        key = super().lock_key(table)
        if len(key) > 64:  # the limit of GET_LOCK names
            key = "schemactl:" + hashlib.sha256(key.encode()).hexdigest()[:40]
        return key

    async def _scalar(self, driver: Any, sql: str, *args: object) -> Any:
        async with driver.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(sql, args)
            row = await cursor.fetchone()
            return row[0] if row else None

    async def try_lock(self, driver: Any, key: str) -> bool:
        return bool(await self._scalar(driver, "SELECT GET_LOCK(%s, 0)", key))

    async def unlock(self, driver: Any, key: str) -> None:
        with contextlib.suppress(
            Exception
        ):  # connection gone: the server released the lock with the session
            await self._scalar(driver, "SELECT RELEASE_LOCK(%s)", key)

    async def lock_holder(self, driver: Any, key: str) -> str:
        holder = await self._scalar(driver, "SELECT IS_USED_LOCK(%s)", key)
        return f" (held by connection id {holder})" if holder else ""
