"""PostgreSQL through asyncpg: transactional DDL, session advisory locks."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from .._config import SessionSettings
from .._errors import ConfigurationError
from ._base import (
    ConnectFailure,
    Dialect,
    ScriptError,
    exception_chain,
    int64_key,
    owned_engine,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_TRANSIENT_STATES = {"57P03", "53300", "08000", "08001", "08003", "08006"}
_MISSING_DATABASE = "3D000"


def _unique_statement_name() -> str:
    return f"__schemactl_{uuid.uuid4().hex}__"


class PostgreSQL(Dialect):
    name = "postgresql"
    split_dialect = "postgresql"
    transactional_ddl = True

    def __init__(self, url: URL) -> None:
        # `?pgbouncer=true`: behind a pooler in transaction mode. No server-side prepared
        # statement may outlive its transaction, and session locks do not hold: the lease lock.
        query = dict(url.query)
        self.pgbouncer = str(query.pop("pgbouncer", "")).lower() in ("1", "true", "yes", "on")
        if self.pgbouncer:
            query["prepared_statement_cache_size"] = "0"
        super().__init__(url.set(query=query))

    @property
    def pin_reads(self) -> bool:
        return self.pgbouncer

    @property
    def default_lock_strategy(self) -> str:
        return "table" if self.pgbouncer else "session"

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        connect_args: dict[str, Any] = {"server_settings": {"application_name": "schemactl"}}
        if self.pgbouncer:
            connect_args["statement_cache_size"] = 0
            connect_args["prepared_statement_name_func"] = _unique_statement_name
        return {"connect_args": connect_args}

    def classify_connect_error(self, exc: BaseException) -> ConnectFailure:
        for item in exception_chain(exc):
            state = getattr(item, "sqlstate", None)
            if state == _MISSING_DATABASE:
                return ConnectFailure.MISSING_DATABASE
            if state in _TRANSIENT_STATES:
                return ConnectFailure.TRANSIENT
            if state is not None:
                return ConnectFailure.FATAL
        if any(isinstance(item, OSError | TimeoutError) for item in exception_chain(exc)):
            return ConnectFailure.TRANSIENT
        return ConnectFailure.FATAL

    per_statement = False  # set when lock timeouts are on: errors then name the statement

    def is_database_error(self, exc: BaseException) -> bool:
        import asyncpg

        # a PostgresConnectionError (the link died) is no statement's fault
        return isinstance(exc, asyncpg.PostgresError) and not isinstance(
            exc, asyncpg.PostgresConnectionError
        )

    def is_connection_lost(self, exc: BaseException) -> bool:
        import asyncpg

        lost = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)
        return super().is_connection_lost(exc) or any(
            isinstance(item, lost) for item in exception_chain(exc)
        )

    def is_duplicate_key(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == "23505"  # unique_violation

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == "55P03"  # lock_not_available

    async def configure_session(self, driver: Any, settings: SessionSettings) -> None:
        sets = []
        if settings.ddl_lock_timeout is not None:
            sets.append(f"SET lock_timeout = {int(settings.ddl_lock_timeout * 1000)}")
            self.per_statement = True
        if settings.statement_timeout is not None:
            sets.append(f"SET statement_timeout = {int(settings.statement_timeout * 1000)}")
        if driver.get_server_version().major >= 14:
            # Notice a client that died (SIGKILL, a dropped link) while a statement runs, so
            # its transaction and the migration lock go with it within a second, not when
            # the statement would have ended.
            sets.append("SET client_connection_check_interval = 1000")
        if sets:
            await driver.execute(";".join(sets))

    async def execute(self, driver: Any, sql: str) -> None:
        await driver.execute(sql)

    async def run_batch(self, driver: Any, sql: str, tracking_sql: str) -> None:
        # One round trip: the simple-query protocol runs the whole batch and stops at the
        # first error.
        if self.per_statement:
            await super().run_batch(driver, sql, tracking_sql)
            return
        await self._run_query(driver, "", sql, f"\n;\n{tracking_sql};")

    async def run_transaction(
        self, driver: Any, sql: str, tracking_sql: str, guard_sql: str | None = None
    ) -> bool:
        # BEGIN and COMMIT ride in the same round trip; an error leaves the explicit
        # transaction aborted, so roll it back.
        if self.per_statement:
            return await super().run_transaction(driver, sql, tracking_sql, guard_sql)
        try:
            await self._run_query(driver, "BEGIN;\n", sql, f"\n;\n{tracking_sql};\nCOMMIT;")
            return True
        except BaseException:
            import anyio

            with anyio.CancelScope(shield=True):
                await self.rollback_quietly(driver)
            raise

    async def _run_query(self, driver: Any, prefix: str, sql: str, suffix: str) -> None:
        try:
            await driver.execute(prefix + sql + suffix)
        except Exception as exc:
            if not self.is_database_error(exc):
                raise
            position = getattr(exc, "position", None)
            offset = int(position) - 1 - len(prefix) if position else None
            if offset is not None and not 0 <= offset < len(sql):
                offset = None
            raise ScriptError(
                self.error_message(exc), offset, 0, lock_timeout=self.is_lock_timeout(exc)
            ) from exc

    def _maintenance_engine(self) -> Any:
        database = "template1" if self.url.database == "postgres" else "postgres"
        return owned_engine(
            self.url.set(database=database),
            isolation_level="AUTOCOMMIT",
            **self.engine_options(lock_timeout=0),
        )

    def validate(self) -> None:
        self._check_name()  # the server would silently truncate a longer name on connect

    def _check_name(self) -> str:
        name = self.url.database or ""
        if len(name.encode()) > 63:
            raise ConfigurationError(
                f"database name {name[:20]!r}... is {len(name.encode())} bytes; "
                "PostgreSQL allows at most 63"
            )
        return name

    async def database_exists(self) -> bool:
        name = self._check_name()
        engine = self._maintenance_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                found = await driver.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
                return found is not None
        finally:
            await engine.dispose()

    async def create_database(self) -> bool:
        import asyncpg

        name = self._check_name()
        engine = self._maintenance_engine()
        key = int64_key(f"schemactl:create:{name}")
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                # The migration lock lives inside the database, so it cannot cover creating it:
                # concurrent `up` runs serialise here, on the server, instead.
                if not self.pgbouncer:  # a session lock means nothing behind the pooler
                    await driver.execute(f"SELECT pg_advisory_lock({key})")
                try:
                    if await driver.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                        return False
                    quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                    try:
                        await driver.execute(f"CREATE DATABASE {quoted}")
                    except asyncpg.DuplicateDatabaseError:
                        return False
                    return True
                finally:
                    if not self.pgbouncer:
                        await driver.execute(f"SELECT pg_advisory_unlock({key})")
        finally:
            await engine.dispose()

    async def drop_database(self) -> bool:
        name = self._check_name()
        engine = self._maintenance_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                if not await driver.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                    return False
                quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                await driver.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
                return True
        finally:
            await engine.dispose()

    # -- lock: a session advisory lock survives the commits of each migration ------------

    async def try_lock(self, driver: Any, key: str) -> bool:
        return bool(await driver.fetchval(f"SELECT pg_try_advisory_lock({int64_key(key)})"))

    async def unlock(self, driver: Any, key: str) -> None:
        with contextlib.suppress(
            Exception
        ):  # connection gone: the server released the lock with the session
            await driver.execute(f"SELECT pg_advisory_unlock({int64_key(key)})")

    async def lock_holder(self, driver: Any, key: str) -> str:
        number = int64_key(key) & 0xFFFFFFFFFFFFFFFF
        row = await driver.fetchrow(
            "SELECT a.pid, a.application_name, a.client_addr::text AS addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2",
            number >> 32,
            number & 0xFFFFFFFF,
        )
        if row is None:
            return ""
        since = row["backend_start"].strftime("%Y-%m-%d %H:%M:%S")
        app = row["application_name"] or "?"
        return f" (held by pid {row['pid']}, {app!r} from {row['addr'] or 'local'}, since {since})"
