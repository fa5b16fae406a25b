"""MySQL and MariaDB through aiomysql: DDL commits implicitly, named locks are server-wide."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from .._errors import ConfigurationError
from ..autogen.hooks import AutogenHooks
from ._base import (
    Dialect,
    Failure,
    LockSQL,
    Profile,
    ScriptError,
    exception_chain,
    first_error_line,
    keep_alive,
    link_failure,
    owned_engine,
    raw_driver,
    refuse_read_only,
    run_in_steps,
    run_statements,
    split,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection


log = logging.getLogger("schemactl")


class AiomysqlCursor(Protocol):
    async def execute(self, query: str, args: object = None) -> int: ...
    async def fetchone(self) -> Any: ...
    async def nextset(self) -> bool | None: ...


class AiomysqlConnection(Protocol):
    """The part of ``aiomysql.Connection`` schemactl uses."""

    def cursor(self, cursor: type[Any]) -> AbstractAsyncContextManager[AiomysqlCursor]: ...
    def get_server_info(self) -> str: ...
    def thread_id(self) -> int: ...
    def close(self) -> None: ...

    server_status: int  # the flags of the server's last reply


_BUSY_CODES = {1040, 1053, 1927}  # too many connections, shutting down, connection killed
_LOST_CONNECTION_CODES = {2002, 2003, 2006, 2013, 2055}
_LOGIN_CODES = {1044, 1045, 1698}
_READ_ONLY_CODES = {1290, 1792, 1836}  # --read-only option, read-only transaction, mode
_LOCK_WAIT_TIMEOUT = 1205  # row or metadata lock
_DUPLICATE_KEY = 1062
# a deadlock; on Galera also a transaction that lost the cluster's certification to another
# node's (or was aborted by one: "WSREP detected deadlock/conflict")
_DEADLOCK = 1213
_SERVER_STATUS_IN_TRANS = 0x0001  # the protocol's flag: a transaction is open
_MISSING_DATABASE = 1049
_KILL_TIMEOUT = 2.0  # seconds to end an interrupted statement's session from another one
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


def _literal(text: str) -> str:
    # A hex literal needs no escaping, whatever the server's sql_mode says of backslashes.
    return f"CONVERT(X'{text.encode().hex()}' USING utf8mb4)"


def _code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


# -- the dialect -------------------------------------------------------------------------------


class MySQL(Dialect[AiomysqlConnection]):
    name = "mysql"
    # (the sync drivers' URLs an application's settings often hold run on aiomysql here)
    schemes = (
        "mysql",
        "mariadb",
        "mysql+aiomysql",
        "mariadb+aiomysql",
        "mysql+pymysql",
        "mariadb+pymysql",
        "mysql+mysqldb",
    )
    async_driver = "mysql+aiomysql"
    engine_drivers = ("aiomysql",)
    pip_extra = "mysql"
    split_dialect = "mysql"
    transactional_ddl = False
    begin_sql = "BEGIN"
    has_session_lock = True
    has_server = True
    supports_statement_timeout = True  # MariaDB only: checked once connected
    max_identifier_bytes = 64
    now_sql = "NOW()"
    lease_expiry_sql = "NOW() + INTERVAL {seconds} SECOND"
    # refused even for a user whose privileges pass read_only: writes diverge a replica
    read_only_expression = "@@global.read_only = 1"
    read_only_what = "a read-only replica (@@read_only is ON)"
    _galera: bool | None = None  # wsrep_on, once asked

    @classmethod
    def adapt_url(cls, url: URL) -> URL:
        return url

    @classmethod
    def profile_for(cls, url: URL, *, per_statement: bool, pooled: bool = False) -> Profile:
        return Profile(url, per_statement=per_statement)  # (it runs statements one by one anyway)

    def advice(self, exc: BaseException) -> str:
        return ""

    def validate(self) -> None:
        self._name()

    def _name(self) -> str:
        name = self.url.database or ""
        if len(name) > 64 or name != name.rstrip():
            raise ConfigurationError(
                f"invalid MySQL database name {name[:20]!r}: at most 64 characters, "
                "no trailing spaces"
            )
        return name

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        return {}

    async def driver(self, conn: AsyncConnection) -> AiomysqlConnection:
        return cast(AiomysqlConnection, await raw_driver(conn))

    async def bound_link(self, driver: AiomysqlConnection, seconds: float) -> None:
        # aiomysql has no public accessor of its transport: its stream writer holds it
        writer = getattr(driver, "_writer", None)
        keep_alive(writer.get_extra_info("socket") if writer else None, seconds)

    def classify(self, exc: BaseException) -> Failure:
        import pymysql

        for item in exception_chain(exc):
            if isinstance(item, pymysql.err.InterfaceError):
                return Failure.CONNECTION
            if not isinstance(item, pymysql.MySQLError):
                continue
            code = _code(item)
            if code == _MISSING_DATABASE:
                return Failure.MISSING_DATABASE
            if code in _LOST_CONNECTION_CODES:
                return Failure.CONNECTION
            if code in _BUSY_CODES:
                return Failure.BUSY
            if code in _LOGIN_CODES:
                return Failure.LOGIN
            if code == _LOCK_WAIT_TIMEOUT:
                return Failure.LOCK_TIMEOUT
            if code == _DUPLICATE_KEY:
                return Failure.DUPLICATE_KEY
            if code == _DEADLOCK:
                return Failure.CONFLICT
            if code in _READ_ONLY_CODES:
                return Failure.READ_ONLY
            return Failure.SQL
        return link_failure(exc)

    def create_schema_sql(self, schema: str) -> str | None:
        return None  # (a MySQL "schema" is a database; SQLite's are attached files)

    def error_message(self, exc: BaseException) -> str:
        code = _code(exc)
        if code is not None and len(exc.args) > 1:
            return f"({code}) {exc.args[1]}"
        return first_error_line(exc)

    async def configure_session(
        self,
        driver: AiomysqlConnection,
        ddl_lock_timeout: float | None,
        statement_timeout: float | None,
        *,
        remember: bool,
    ) -> list[str]:
        settings: dict[str, str] = {}
        if ddl_lock_timeout is not None:
            seconds = str(max(1, math.ceil(ddl_lock_timeout)))
            settings["lock_wait_timeout"] = seconds  # metadata locks: the ones DDL waits for
            settings["innodb_lock_wait_timeout"] = seconds  # row locks
        if statement_timeout is not None:
            if "mariadb" not in str(driver.get_server_info()).lower():
                raise ConfigurationError(
                    "a statement timeout needs MariaDB (max_statement_time); MySQL limits only "
                    "SELECT statements"
                )
            # in microseconds at best: anything shorter would be 0, which turns the limit off
            settings["max_statement_time"] = f"{max(statement_timeout, 1e-6):.6f}"
        if await self.multi_primary(driver):
            # reads wait until this node has applied what the cluster committed before them:
            # a run that takes the lock after another reads the tracking table as it left it
            settings["wsrep_sync_wait"] = "1"
        if not settings:
            return []
        restore = []
        if remember:
            sql = "SELECT " + ", ".join(f"@@SESSION.{name}" for name in settings)
            before = await self.fetch_row(driver, sql)
            assert before is not None
            pairs = zip(settings, before, strict=True)
            restore = ["SET SESSION " + ", ".join(f"{n} = {v}" for n, v in pairs)]
        await self.execute(
            driver, "SET SESSION " + ", ".join(f"{n} = {v}" for n, v in settings.items())
        )
        return restore

    # -- databases -----------------------------------------------------------------------

    def _server_engine(self) -> Any:
        return owned_engine(
            self.url._replace(database=None), self.profile.password, isolation_level="AUTOCOMMIT"
        )

    async def _exists(self, driver: AiomysqlConnection, name: str) -> bool:
        sql = f"SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {_literal(name)}"
        return await self.fetch_row(driver, sql) is not None

    async def database_exists(self) -> bool:
        name = self._name()
        engine = self._server_engine()
        try:
            async with engine.connect() as conn:
                return await self._exists(await self.driver(conn), name)
        finally:
            await engine.dispose()

    async def create_database(self) -> bool:
        import pymysql

        name = self._name()
        engine = self._server_engine()
        lock = self.lock_key(f"create:{name}")
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                # The migration lock lives inside the database, so it cannot cover creating it:
                # concurrent `up` runs serialise on a server-wide named lock instead.
                await self.fetch_row(driver, f"SELECT GET_LOCK({_literal(lock)}, 60)")
                try:
                    if await self._exists(driver, name):
                        return False
                    await refuse_read_only(self, driver, self.server_label)
                    try:
                        await self.execute(driver, f"CREATE DATABASE {_quote(name)}")
                    except pymysql.MySQLError as exc:
                        if _code(exc) == _DATABASE_EXISTS:  # created by someone else
                            return False
                        raise
                    return True
                finally:
                    with contextlib.suppress(Exception):  # gone with the connection
                        await self.execute(driver, f"SELECT RELEASE_LOCK({_literal(lock)})")
        finally:
            await engine.dispose()

    async def drop_database(self) -> bool:
        name = self._name()
        engine = self._server_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                if not await self._exists(driver, name):
                    return False
                await self.execute(driver, f"DROP DATABASE IF EXISTS {_quote(name)}")
                return True
        finally:
            await engine.dispose()

    # -- running SQL ---------------------------------------------------------------------

    async def execute(self, driver: AiomysqlConnection, sql: str) -> None:
        async with self._killed_if_cancelled(driver), driver.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(sql)
            # aiomysql enables multi-statements; errors of later results only surface here.
            while await cursor.nextset():
                pass

    async def fetch_row(self, driver: AiomysqlConnection, sql: str) -> tuple[Any, ...] | None:
        async with self._killed_if_cancelled(driver), driver.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(sql)
            row = await cursor.fetchone()
            return None if row is None else tuple(row)

    @asynccontextmanager
    async def _killed_if_cancelled(self, driver: AiomysqlConnection) -> AsyncIterator[None]:
        """A statement cancelled midway (Ctrl-C, a deadline) keeps running on the server,
        which notices a dead client only when it next writes to it, and holds the session's
        locks meanwhile. End the session from a second connection (its statement stops, its
        transaction rolls back, its named lock is freed) and close this one, whose reply is
        half read: whatever cleanup follows fails at once instead of waiting."""
        try:
            yield
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), anyio.move_on_after(_KILL_TIMEOUT):
                await self._kill(driver.thread_id())
            driver.close()
            raise

    async def _kill(self, thread_id: int) -> None:
        engine = self._server_engine()
        try:
            async with engine.connect() as conn:
                await self.execute(await self.driver(conn), f"KILL {int(thread_id)}")
        except Exception:  # gone already, or no server: closing the socket is what is left
            log.debug("could not end the interrupted session %s", thread_id, exc_info=True)
        finally:
            await engine.dispose()

    async def run_script(self, driver: AiomysqlConnection, sql: str) -> None:
        await run_statements(self, driver, sql)

    async def in_transaction(self, driver: AiomysqlConnection) -> bool:
        return bool(driver.server_status & _SERVER_STATUS_IN_TRANS)

    async def run_batch(self, driver: AiomysqlConnection, sql: str, tracking_sql: str) -> None:
        """Inside the caller's transaction. A statement that commits implicitly (DDL) ends
        it; a new one begins after it, so that the DML after the last DDL and the tracking
        row roll back together on a failure, and the error says how many statements the
        server had committed (the server's in-transaction flag tells, no guessing from SQL).
        """
        statements = split(self, sql)
        committed = 0
        for index, statement in enumerate(statements):
            try:
                await self.execute(driver, statement.sql)
            except Exception as exc:
                kind = self.classify(exc)
                if not kind.statement:
                    raise
                if not await self.in_transaction(driver):
                    committed = index  # a DDL commits what ran before it, then failed
                raise ScriptError(
                    self.error_message(exc),
                    statement.offset,
                    index,
                    lock_timeout=kind is Failure.LOCK_TIMEOUT,
                    statement=statement.sql,
                    committed=committed,
                ) from exc
            if not await self.in_transaction(driver):
                committed = index + 1
                await self.execute(driver, self.begin_sql)
        try:
            await self.execute(driver, tracking_sql)
        except Exception as exc:
            if not self.classify(exc).statement:
                raise
            raise ScriptError(
                self.error_message(exc),
                None,
                len(statements),
                committed=committed,
                recording=True,
                statement=tracking_sql,
            ) from exc

    async def run_transaction(
        self, driver: AiomysqlConnection, sql: str, tracking_sql: str, guard_sql: str | None
    ) -> bool:
        return await run_in_steps(self, driver, sql, tracking_sql, guard_sql)

    # -- the migration lock: GET_LOCK names are server-wide, so the name has the database ---

    def table_exists_sql(self, schema: str | None, name: str) -> str:
        database = _literal(schema) if schema else "DATABASE()"
        return (
            "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = "
            f"{database} AND table_name = {_literal(name)})"
        )

    async def default_schema(self, driver: AiomysqlConnection) -> str:
        return str(self.url.database)

    async def multi_primary(self, driver: AiomysqlConnection) -> bool:
        """A Galera node (MariaDB Galera Cluster, Percona XtraDB Cluster): asked once a run."""
        if self._galera is None:
            row = await self.fetch_row(driver, "SHOW VARIABLES LIKE 'wsrep_on'")
            self._galera = bool(row and str(row[1]).upper() == "ON")
        return self._galera

    def lock_key(self, table: str) -> str:
        key = f"schemactl:{self.url.database}:{table}"
        if len(key) > 64:  # the limit of GET_LOCK names
            key = "schemactl:" + hashlib.sha256(key.encode()).hexdigest()[:40]
        return key

    def session_lock_sql(self, key: str) -> LockSQL:
        name = _literal(key)
        return LockSQL(
            try_lock=f"SELECT GET_LOCK({name}, 0)",
            unlock=f"SELECT RELEASE_LOCK({name})",
            holder=f"SELECT CONCAT('held by connection id ', IS_USED_LOCK({name}))",
        )

    @classmethod
    def autogen_hooks(cls) -> AutogenHooks:
        from .mysql_autogen import MySQLHooks

        return MySQLHooks()
