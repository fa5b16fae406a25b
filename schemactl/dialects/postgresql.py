"""PostgreSQL through asyncpg (or psycopg 3, under a host's engine): transactional DDL,
session advisory locks."""

from __future__ import annotations

import contextlib
import sys
import uuid
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from .._errors import ConfigurationError
from .._search_path import schemas
from ..autogen.hooks import AutogenHooks
from ._base import (
    Dialect,
    Failure,
    LockSQL,
    Profile,
    ScriptError,
    exception_chain,
    first_error_line,
    int64_key,
    keep_alive,
    link_failure,
    milliseconds,
    owned_engine,
    raw_driver,
    refuse_read_only,
    rollback_quietly,
    run_in_steps,
    run_statements,
    split,
)
from .postgresql_psycopg import (
    PSYCOPG_DRIVERS,
    PsycopgDriver,
    is_psycopg,
    psycopg_engine_options,
    psycopg_failure,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection


class PostgresDriver(Protocol):
    """The part of ``asyncpg.Connection`` schemactl uses; psycopg's ``AsyncConnection``
    through :class:`PsycopgDriver`. No query parameters (values are quoted into the SQL
    with ``_literal``): without them both drivers send the simple-query protocol, which
    runs a whole script in one round trip."""

    async def execute(self, query: str) -> Any: ...
    async def fetchrow(self, query: str) -> Any: ...
    async def fetchval(self, query: str) -> Any: ...
    def get_server_version(self) -> Any: ...  # .major
    def is_in_transaction(self) -> bool: ...


_BUSY_STATES = {"57P03", "53300"}  # starting up, too many connections
_LOCK_NOT_AVAILABLE = "55P03"
_UNIQUE_VIOLATION = "23505"
_READ_ONLY = "25006"
_DUPLICATE_STATEMENT = "42P05"  # prepared statement "__asyncpg_stmt_1__" already exists
_UNKNOWN_STATEMENT = "26000"  # prepared statement "__asyncpg_stmt_1__" does not exist
_IN_A_TRANSACTION = "25001"  # CREATE INDEX CONCURRENTLY and the like, inside a transaction block
_MISSING_DATABASE = "3D000"
_DUPLICATE_DATABASE = "42P04"


def _unique_statement_name() -> str:
    return f"__schemactl_{uuid.uuid4().hex}__"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _exists_sql(name: str) -> str:
    return f"SELECT 1 FROM pg_database WHERE datname = {_literal(name)}"


def _position(exc: BaseException) -> int | None:
    """Where in the query the server placed an error (1-based, characters), if it did."""
    diag = getattr(exc, "diag", None)  # psycopg
    position = getattr(exc, "position", None) or getattr(diag, "statement_position", None)
    return int(position) if position else None


def _lost_link_errors() -> tuple[type[BaseException], ...]:
    """asyncpg's errors of a lost link (only a loaded asyncpg can have raised one)."""
    asyncpg = sys.modules.get("asyncpg")
    return () if asyncpg is None else (asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


# -- the dialect -------------------------------------------------------------------------------


class PostgreSQL(Dialect[PostgresDriver]):
    name = "postgresql"
    # (the sync drivers' URLs an application's settings often hold run on asyncpg here)
    schemes = (
        "postgres",
        "postgresql",
        "postgresql+asyncpg",
        "postgresql+psycopg",
        "postgresql+psycopg2",
    )
    async_driver = "postgresql+asyncpg"
    engine_drivers = ("asyncpg", *PSYCOPG_DRIVERS)
    pip_extra = "postgres"
    split_dialect = "postgresql"
    transactional_ddl = True
    begin_sql = "BEGIN"
    has_session_lock = True
    has_server = True
    supports_statement_timeout = True
    max_identifier_bytes = 63
    now_sql = "now()"
    lease_expiry_sql = "now() + interval '{seconds} seconds'"
    read_only_expression = "pg_is_in_recovery()"
    read_only_what = "a read-only standby (pg_is_in_recovery() is true)"

    @classmethod
    def adapt_url(cls, url: URL) -> URL:
        query = dict(url.query)
        if "sslmode" in query:  # libpq's name (dbmate, psql) for asyncpg's `ssl`
            query["ssl"] = query.pop("sslmode")
        return url.set(query=query)

    @classmethod
    def profile_for(cls, url: URL, *, per_statement: bool, pooled: bool = False) -> Profile:
        # `?pgbouncer=true` (or `--lock-strategy table`, the pooler's lock): behind a pooler
        # in transaction mode. No server-side prepared statement may outlive its
        # transaction, from the first query on, and session locks do not hold: a lease lock.
        query = dict(url.query)
        flag = str(query.pop("pgbouncer", "")).lower() in ("1", "true", "yes", "on")
        pooled = pooled or flag
        if pooled and url.get_driver_name() == "asyncpg":
            query["prepared_statement_cache_size"] = "0"
        # `?search_path=` (dbmate's): a start-up parameter of every connection (asyncpg would
        # refuse it as a keyword of its own)
        search_path = query.pop("search_path", None)
        if search_path is not None:
            search_path = ",".join(search_path) if isinstance(search_path, tuple) else search_path
            schemas(search_path)  # (a malformed one is refused before connecting)
        return Profile(
            url.set(query=query),
            pooled=pooled,
            per_statement=per_statement,
            search_path=search_path,
        )

    def advice(self, exc: BaseException) -> str:
        # asyncpg names its prepared statements per connection: behind a pooler in
        # transaction mode two clients' names meet on one server connection
        states = {getattr(e, "sqlstate", None) for e in exception_chain(exc)}
        if _IN_A_TRANSACTION in states:
            return "mark the section transaction:false to run it outside a transaction"
        if self.profile.search_path and "startup parameter: search_path" in str(exc):
            return (
                "the pooler in between does not pass search_path on: in PgBouncer 1.20 and "
                "later, set track_extra_parameters = search_path"
            )
        if not self.profile.pooled and states & {_DUPLICATE_STATEMENT, _UNKNOWN_STATEMENT}:
            return (
                "a pooler in transaction mode, such as PgBouncer, is in between: add "
                "?pgbouncer=true to the URL"
            )
        return ""

    def validate(self) -> None:
        self._name()  # the server would silently truncate a longer name on connect

    def _name(self) -> str:
        name = self.url.database or ""
        if len(name.encode()) > 63:
            raise ConfigurationError(
                f"database name {name[:20]!r}... is {len(name.encode())} bytes; "
                "PostgreSQL allows at most 63"
            )
        return name

    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        if self._on_psycopg:
            return psycopg_engine_options(pooled=self.profile.pooled)
        settings = {"application_name": "schemactl"}
        if self.profile.search_path is not None:
            settings["search_path"] = self.profile.search_path
        connect_args: dict[str, Any] = {"server_settings": settings}
        if self.profile.pooled:
            connect_args["statement_cache_size"] = 0
            connect_args["prepared_statement_name_func"] = _unique_statement_name
        return {"connect_args": connect_args}

    @property
    def _on_psycopg(self) -> bool:
        return self.url.get_driver_name() in PSYCOPG_DRIVERS

    async def driver(self, conn: AsyncConnection) -> PostgresDriver:
        raw = await raw_driver(conn)
        if is_psycopg(raw):
            return PsycopgDriver(raw)
        return cast(PostgresDriver, raw)

    async def bound_link(self, driver: PostgresDriver, seconds: float) -> None:
        if isinstance(driver, PsycopgDriver):
            driver.keep_alive(seconds)
            return
        # asyncpg has no public accessor of its transport (it sets TCP_NODELAY the same way)
        transport = getattr(driver, "_transport", None)
        keep_alive(transport.get_extra_info("socket") if transport else None, seconds)

    def classify(self, exc: BaseException) -> Failure:
        chain = exception_chain(exc)
        for item in chain:
            state = getattr(item, "sqlstate", None)
            if state is None:
                continue
            if state == _MISSING_DATABASE:
                return Failure.MISSING_DATABASE
            if state in _BUSY_STATES:
                return Failure.BUSY
            if state.startswith("08"):
                return Failure.CONNECTION
            if state.startswith("28"):
                return Failure.LOGIN
            if state == _LOCK_NOT_AVAILABLE:
                return Failure.LOCK_TIMEOUT
            if state == _UNIQUE_VIOLATION:
                return Failure.DUPLICATE_KEY
            if state == _READ_ONLY:
                return Failure.READ_ONLY
            return Failure.SQL
        for item in chain:
            kind = psycopg_failure(item)  # (psycopg's errors of the start-up too)
            if kind is not None:
                return kind
        if any(isinstance(item, _lost_link_errors()) for item in chain):
            return Failure.CONNECTION
        return link_failure(exc)

    def error_message(self, exc: BaseException) -> str:
        message = first_error_line(exc)
        advice = self.advice(exc)
        return f"{message} ({advice})" if advice else message

    def create_schema_sql(self, schema: str) -> str | None:
        return 'CREATE SCHEMA IF NOT EXISTS "{}"'.format(schema.replace('"', '""'))

    async def configure_session(
        self,
        driver: PostgresDriver,
        ddl_lock_timeout: float | None,
        statement_timeout: float | None,
        *,
        remember: bool,
    ) -> list[str]:
        settings: dict[str, str] = {}
        if ddl_lock_timeout is not None:
            settings["lock_timeout"] = str(milliseconds(ddl_lock_timeout))
        if statement_timeout is not None:
            settings["statement_timeout"] = str(milliseconds(statement_timeout))
        if driver.get_server_version().major >= 14:
            # Notice a client that died (SIGKILL, a dropped link) while a statement runs, so
            # its transaction and the migration lock go with it within a second, not when
            # the statement would have ended.
            settings["client_connection_check_interval"] = "1000"
        if not settings:
            return []
        restore = []
        if remember:
            names = list(settings)
            before = await driver.fetchrow(
                "SELECT " + ", ".join(f"current_setting({_literal(n)})" for n in names)
            )
            pairs = zip(names, before, strict=True)
            restore = [
                "SELECT "
                + ", ".join(f"set_config({_literal(n)}, {_literal(v)}, false)" for n, v in pairs)
            ]
        await driver.execute(";".join(f"SET {name} = {value}" for name, value in settings.items()))
        return restore

    # -- databases -----------------------------------------------------------------------

    def _maintenance_engine(self) -> Any:
        # on the driver of the URL it was given: a host's psycopg engine has psycopg, maybe
        # not asyncpg, and its URL's options are libpq's
        database = "template1" if self.url.database == "postgres" else "postgres"
        return owned_engine(
            self.url.set(database=database),
            self.profile.password,
            isolation_level="AUTOCOMMIT",
            **self.engine_options(lock_timeout=0),
        )

    async def database_exists(self) -> bool:
        name = self._name()
        engine = self._maintenance_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                return await driver.fetchval(_exists_sql(name)) is not None
        finally:
            await engine.dispose()

    async def create_database(self) -> bool:
        name = self._name()
        engine = self._maintenance_engine()
        key = int64_key(f"schemactl:create:{name}")
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                # The migration lock lives inside the database, so it cannot cover creating it:
                # concurrent `up` runs serialise here, on the server, instead.
                if not self.profile.pooled:  # a session lock means nothing behind the pooler
                    await driver.execute(f"SELECT pg_advisory_lock({key})")
                try:
                    if await driver.fetchval(_exists_sql(name)):
                        return False
                    await refuse_read_only(self, driver, self.server_label)
                    quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                    try:
                        await driver.execute(f"CREATE DATABASE {quoted}")
                    except Exception as exc:  # created meanwhile (a server without the lock)
                        if getattr(exc, "sqlstate", None) != _DUPLICATE_DATABASE:
                            raise
                        return False
                    return True
                finally:
                    if not self.profile.pooled:
                        await driver.execute(f"SELECT pg_advisory_unlock({key})")
        finally:
            await engine.dispose()

    async def drop_database(self) -> bool:
        name = self._name()
        engine = self._maintenance_engine()
        try:
            async with engine.connect() as conn:
                driver = await self.driver(conn)
                if not await driver.fetchval(_exists_sql(name)):
                    return False
                quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                await driver.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
                return True
        finally:
            await engine.dispose()

    # -- running SQL ---------------------------------------------------------------------

    async def execute(self, driver: PostgresDriver, sql: str) -> None:
        await driver.execute(sql)

    async def fetch_row(self, driver: PostgresDriver, sql: str) -> tuple[Any, ...] | None:
        row = await driver.fetchrow(sql)
        return None if row is None else tuple(row)

    async def run_script(self, driver: PostgresDriver, sql: str) -> None:
        await run_statements(self, driver, sql)

    async def in_transaction(self, driver: PostgresDriver) -> bool:
        return driver.is_in_transaction()

    async def run_batch(self, driver: PostgresDriver, sql: str, tracking_sql: str) -> None:
        # One round trip: the simple-query protocol runs the whole batch and stops at the
        # first error. With lock timeouts on, statement by statement, to name the table.
        if self.profile.per_statement:
            await run_statements(self, driver, sql)
            await self.execute(driver, tracking_sql)
            return
        await self._run_query(driver, "", sql, f"\n;\n{tracking_sql};")

    async def run_transaction(
        self, driver: PostgresDriver, sql: str, tracking_sql: str, guard_sql: str | None
    ) -> bool:
        # BEGIN and COMMIT ride in the same round trip; an error leaves the explicit
        # transaction aborted, so roll it back.
        if self.profile.per_statement:
            return await run_in_steps(self, driver, sql, tracking_sql, guard_sql)
        try:
            await self._run_query(driver, "BEGIN;\n", sql, f"\n;\n{tracking_sql};\nCOMMIT;")
            return True
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await rollback_quietly(self, driver)
            if isinstance(exc, ScriptError) and exc.offset is None and not exc.lock_timeout:
                # if the search fails too (the link went), the first error stands as it was
                with contextlib.suppress(Exception):
                    exc.offset = await self._failing_statement(driver, sql)
            raise

    async def _failing_statement(self, driver: PostgresDriver, sql: str) -> int | None:
        """Where the statement that failed starts in ``sql``, when the server did not say
        (``relation "a" already exists``, ``column "c" contains null values``): the section
        is run again statement by statement in a transaction that is always rolled back,
        until the error recurs. None when it does not (a statement with effects outside the
        transaction, or a failure of the tracking row)."""
        try:
            await driver.execute("BEGIN")
            for statement in split(self, sql):
                try:
                    await driver.execute(statement.sql)
                except Exception as exc:
                    if not self.classify(exc).statement:
                        raise
                    return statement.offset
            return None
        finally:
            with anyio.CancelScope(shield=True):
                await rollback_quietly(self, driver)

    async def _run_query(self, driver: PostgresDriver, prefix: str, sql: str, suffix: str) -> None:
        try:
            await driver.execute(prefix + sql + suffix)
        except Exception as exc:
            kind = self.classify(exc)
            if not kind.statement:
                raise
            position = _position(exc)
            offset = position - 1 - len(prefix) if position else None
            if offset is not None and not 0 <= offset < len(sql):
                offset = None
            raise ScriptError(
                self.error_message(exc), offset, 0, lock_timeout=kind is Failure.LOCK_TIMEOUT
            ) from exc

    # -- the migration lock: a session advisory lock survives each migration's commit ------

    def table_exists_sql(self, schema: str | None, name: str) -> str:
        if schema:
            return f"to_regclass(format('%I.%I', {_literal(schema)}, {_literal(name)})) IS NOT NULL"
        return f"to_regclass(quote_ident({_literal(name)})) IS NOT NULL"

    async def multi_primary(self, driver: PostgresDriver) -> bool:
        return False  # one primary (a standby refuses writes: ReadOnlyServerError)

    async def default_schema(self, driver: PostgresDriver) -> str:
        return str(await driver.fetchval("SELECT current_schema()"))

    def lock_key(self, table: str) -> str:
        return f"schemactl:{self.url.database}:{table}"

    def session_lock_sql(self, key: str) -> LockSQL:
        number = int64_key(key)
        unsigned = number & 0xFFFFFFFFFFFFFFFF
        holder = (
            "SELECT format('held by pid %s, %L from %s, since %s', a.pid, "
            "coalesce(nullif(a.application_name, ''), '?'), coalesce(a.client_addr::text, "
            "'local'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS')) "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            f"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {unsigned >> 32} "
            f"AND l.objid = {unsigned & 0xFFFFFFFF} LIMIT 1"
        )
        return LockSQL(
            try_lock=f"SELECT pg_try_advisory_lock({number})",
            unlock=f"SELECT pg_advisory_unlock({number})",
            holder=holder,
        )

    @classmethod
    def autogen_hooks(cls) -> AutogenHooks:
        from .postgresql_autogen import PostgreSQLHooks

        return PostgreSQLHooks()
