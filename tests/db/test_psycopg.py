"""A host application's ``AsyncEngine`` on psycopg 3 works as one on asyncpg does."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import psycopg
import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, String, Table, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import schemactl
from schemactl._lock import SessionLock, held
from schemactl.dialects import LockSQL, dialect_for
from schemactl.dialects.postgresql_psycopg import PsycopgDriver
from tests.conftest import MigrationsDir
from tests.db.test_embedding import check_the_pool_gets_its_connection_back

pytestmark = pytest.mark.anyio


@pytest.fixture
def dialect() -> str:
    return "postgresql"  # (db_url's: a fresh database on the test server, dropped afterwards)


def psycopg_url(url: str) -> URL:
    """A test database's URL on psycopg."""
    return make_url(re.sub(r"^postgres(ql)?(\+\w+)?:", "postgresql+psycopg:", url))


def on_psycopg(url: str, **options: Any) -> AsyncEngine:
    """The host application's engine: the database URL on psycopg."""
    return create_async_engine(psycopg_url(url), **options)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A psycopg engine on a database that does not exist yet."""
    engine = on_psycopg(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar()


async def test_up_creates_the_database_then_status_and_rollback(
    engine: AsyncEngine, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1", "a", "CREATE TABLE a (id integer);\nINSERT INTO a VALUES (1);", "DROP TABLE a;"
    )
    migrations.add("2", "b", "CREATE TABLE b (id integer);", "DROP TABLE b;")
    result = await schemactl.up(engine, migrations_dir=str(migrations))
    assert result.created_database
    assert [m.version for m in result.applied] == ["1", "2"]
    assert await scalar(engine, "SELECT count(*) FROM a") == 1
    assert not (await schemactl.status(engine, migrations_dir=str(migrations))).pending
    rolled = await schemactl.rollback(engine, migrations_dir=str(migrations))
    assert [m.version for m in rolled.rolled_back] == ["2"]
    assert await scalar(engine, "SELECT to_regclass('b') IS NULL") is True
    status = await schemactl.status(engine, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["applied", "pending"]


async def test_create_and_drop_through_the_engine(engine: AsyncEngine) -> None:
    assert (await schemactl.create(engine)).changed
    assert not (await schemactl.create(engine)).changed
    assert (await schemactl.drop(engine)).changed
    assert not (await schemactl.drop(engine)).changed


async def test_a_missing_database_without_create_names_the_command(
    engine: AsyncEngine, migrations: MigrationsDir
) -> None:
    with pytest.raises(schemactl.DatabaseConnectionError, match="`schemactl create`"):
        await schemactl.status(engine, migrations_dir=str(migrations))


@pytest.mark.parametrize(
    ("section", "line", "words"),
    [
        (
            "CREATE TABLE a (id integer);\n\nSELECT * FROM nope;",
            4,
            'relation "nope" does not exist',
        ),
        (  # the server gives no position: the statement is searched for
            "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\nCREATE TABLE a (x int);",
            4,
            'relation "a" already exists',
        ),
    ],
    ids=["position", "no-position"],
)
async def test_a_failing_statement_is_named_by_its_line(
    engine: AsyncEngine, migrations: MigrationsDir, section: str, line: int, words: str
) -> None:
    migrations.add("1", "broken", section, "SELECT 1;")
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(engine, migrations_dir=str(migrations))
    assert (
        str(caught.value).splitlines()[0] == f"{migrations.path / '1_broken.sql'}:{line}: {words}"
    )
    status = await schemactl.status(engine, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["pending"]
    assert await scalar(engine, "SELECT to_regclass('a') IS NULL") is True  # rolled back


async def test_concurrently_outside_a_transaction(
    engine: AsyncEngine, migrations: MigrationsDir
) -> None:
    """Runs only on a connection in autocommit mode: psycopg would otherwise open a
    transaction before the statement, and PostgreSQL refuses it there."""
    migrations.add("1", "t", "CREATE TABLE t (id integer);", "DROP TABLE t;")
    migrations.add(
        "2",
        "ix",
        "CREATE INDEX CONCURRENTLY t_id ON t (id);",
        "DROP INDEX CONCURRENTLY t_id;",
        up_options="transaction:false",
        down_options="transaction:false",
    )
    await schemactl.up(engine, migrations_dir=str(migrations))
    assert await scalar(engine, "SELECT count(*) FROM pg_indexes WHERE indexname = 't_id'") == 1
    await schemactl.rollback(engine, migrations_dir=str(migrations))
    assert await scalar(engine, "SELECT count(*) FROM pg_indexes WHERE indexname = 't_id'") == 0


async def test_concurrently_inside_a_transaction_says_what_to_do(
    engine: AsyncEngine, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1", "ix", "CREATE TABLE e (id integer);\nCREATE INDEX CONCURRENTLY e_id ON e (id);"
    )
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(engine, migrations_dir=str(migrations))
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"{migrations.path / '1_ix.sql'}:3: CREATE INDEX CONCURRENTLY")
    assert first.endswith("(mark the section transaction:false to run it outside a transaction)")


async def test_new_auto_compares_through_the_engine(
    engine: AsyncEngine, migrations: MigrationsDir
) -> None:
    await schemactl.create(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE people (id integer PRIMARY KEY)"))
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("mood", Enum("happy", "sad", name="mood")),
    )
    result = await schemactl.new(
        "people", auto=True, url=engine, models=metadata, migrations_dir=str(migrations)
    )
    assert "CREATE TYPE mood AS ENUM ('happy', 'sad');" in result.up_sql
    assert "ALTER TABLE people ADD COLUMN name VARCHAR(50);" in result.up_sql
    assert "DROP TYPE mood;" in result.down_sql
    assert result.path is not None
    await schemactl.up(engine, migrations_dir=str(migrations))
    assert (await schemactl.check(engine, models=metadata, migrations_dir=str(migrations))).clean


@pytest.mark.parametrize("strategy", ["session", "table"])
async def test_two_engines_take_turns_with_the_lock(
    db_url: str, migrations: MigrationsDir, strategy: str
) -> None:
    for i in range(1, 7):
        migrations.add(f"{i:02d}", f"t{i}", f"SELECT pg_sleep(0.05);\nCREATE TABLE t{i} (id int);")
    engines = [on_psycopg(db_url), on_psycopg(db_url)]
    applied: list[str] = []

    async def run(engine: AsyncEngine) -> None:
        result = await schemactl.up(
            engine, migrations_dir=str(migrations), lock_timeout=30, lock_strategy=strategy
        )
        applied.extend(m.version for m in result.applied)

    try:
        await schemactl.create(engines[0])
        async with anyio.create_task_group() as group:
            for engine in engines:
                group.start_soon(run, engine)
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(applied) == [f"{i:02d}" for i in range(1, 7)]


async def test_the_lock_holder_is_named(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "slow", "SELECT pg_sleep(3);")
    engines = [on_psycopg(db_url), on_psycopg(db_url)]
    try:
        await schemactl.create(engines[0])
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: schemactl.up(engines[0], migrations_dir=str(migrations)))
            await anyio.sleep(1)  # the first run holds the lock, in its migration
            with pytest.raises(schemactl.LockTimeoutError, match="held by pid"):
                await schemactl.up(engines[1], migrations_dir=str(migrations), lock_timeout=0.3)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_lock_timeout_interrupts_no_attempt_in_flight(db_url: str) -> None:
    """An attempt still running when the timeout passes runs to its end: cancelling it would
    make psycopg close the connection, and the timeout's message could not name the holder."""
    await schemactl.create(db_url)
    holder_engine, engine = on_psycopg(db_url), on_psycopg(db_url)
    dialect = dialect_for(psycopg_url(db_url))
    key = dialect.lock_key("schema_migrations")
    sql = dialect.session_lock_sql(key)
    assert sql is not None
    slow = LockSQL(f"SELECT pg_sleep(0.4), ({sql.try_lock})", sql.unlock, sql.holder)
    try:
        async with holder_engine.connect() as held_by, engine.connect() as conn:
            assert await SessionLock(dialect, await dialect.driver(held_by), sql).try_acquire()
            lock = SessionLock(dialect, await dialect.driver(conn), slow)
            with pytest.raises(schemactl.LockTimeoutError, match="held by pid"):
                async with held(lock, 0.1, "db"):
                    pass
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await holder_engine.dispose()
        await engine.dispose()


@pytest.mark.parametrize("outcome", ["applied", "failed", "cancelled"])
async def test_the_applications_pool_gets_its_connection_back_as_it_was(
    db_url: str, migrations: MigrationsDir, outcome: str
) -> None:
    """The settings as on asyncpg, and psycopg's own state: autocommit off again, the
    isolation level the application's."""
    await schemactl.create(db_url)
    engine = on_psycopg(db_url, pool_size=1, max_overflow=0, isolation_level="REPEATABLE READ")
    try:
        await check_the_pool_gets_its_connection_back(engine, "postgresql", migrations, outcome)
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert isinstance(raw, psycopg.AsyncConnection)
            assert raw.autocommit is False
            assert await conn.get_isolation_level() == "REPEATABLE READ"
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_the_adapter_runs_a_script_in_one_call_in_autocommit_mode(
    db_url: str,
) -> None:
    """What the one-round-trip path relies on: without parameters psycopg sends the
    simple-query protocol (several statements, ``%`` as it is), and BEGIN is schemactl's."""
    await schemactl.create(db_url)
    engine = on_psycopg(db_url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            dialect = dialect_for(engine.url)
            driver = await dialect.driver(conn)
            assert isinstance(driver, PsycopgDriver)
            assert driver.conn.autocommit is True
            for _ in range(7):  # (past psycopg's threshold for preparing a query)
                await driver.execute("CREATE TABLE IF NOT EXISTS p (v text); SELECT '%s%'")
            assert not driver.is_in_transaction()
            await driver.execute("BEGIN; INSERT INTO p VALUES ('50%')")
            assert driver.is_in_transaction()
            await driver.execute("COMMIT")
            assert await driver.fetchval("SELECT v FROM p") == "50%"
            assert await driver.fetchrow("SELECT 1, 'x' WHERE false") is None
            assert driver.get_server_version().major == driver.conn.info.server_version // 10000
    finally:
        await engine.dispose()


async def test_the_link_bound_sets_keepalive_on_libpqs_socket(db_url: str) -> None:
    await schemactl.create(db_url)
    engine = on_psycopg(db_url)
    try:
        async with engine.connect() as conn:
            dialect = dialect_for(engine.url)
            driver = await dialect.driver(conn)
            assert isinstance(driver, PsycopgDriver)
            await dialect.bound_link(driver, 12)
            fd = driver.conn.pgconn.socket
            with socket.socket(fileno=fd) as sock:
                try:
                    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 6
                finally:
                    sock.detach()  # libpq's descriptor stays open
            assert (await conn.execute(text("SELECT 2"))).scalar() == 2
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url",
    ["postgresql+pg8000://u@h/db", "mysql+asyncmy://u@h/db", "sqlite+pysqlite:///x.db"],
)
def test_an_unsupported_driver_is_a_configuration_error(url: str) -> None:
    with pytest.raises(schemactl.ConfigurationError) as caught:
        dialect_for(make_url(url))
    message = str(caught.value)
    assert message == (
        f"schemactl does not support {make_url(url).drivername!r}; use one of "
        "postgresql+asyncpg, postgresql+psycopg, mysql+aiomysql, sqlite+aiosqlite"
    )


# (a sync psycopg 3 engine: the test extra installs psycopg, not psycopg2)
@pytest.mark.parametrize("url", ["sqlite+pysqlite://", "postgresql+psycopg://u@h/db"])
async def test_a_sync_engine_is_a_configuration_error(url: str) -> None:
    engine = create_engine(url)
    try:
        with pytest.raises(schemactl.ConfigurationError) as caught:
            await schemactl.create(engine)  # type: ignore[arg-type]
        assert str(caught.value) == (
            "expected a database URL or an AsyncEngine, not Engine "
            "(sqlalchemy.ext.asyncio.create_async_engine makes one)"
        )
    finally:
        engine.dispose()


async def test_wait_tells_a_missing_database_a_bad_login_and_no_server_apart(
    db_url: str,
) -> None:
    """libpq gives the errors of a connection's start-up as text only (no SQLSTATE)."""
    url = psycopg_url(db_url)
    engine = create_async_engine(url)
    try:
        assert (await schemactl.wait(engine, timeout=5)).attempts == 1  # missing: ready
    finally:
        await engine.dispose()
    engine = create_async_engine(url.set(username="sct_no_such_role"))
    try:
        with anyio.fail_after(4), pytest.raises(schemactl.DatabaseConnectionError) as caught:
            await schemactl.wait(engine, timeout=30)  # not worth waiting for
        assert not isinstance(caught.value, schemactl.WaitTimeoutError)
        assert 'role "sct_no_such_role" does not exist' in str(caught.value)
    finally:
        await engine.dispose()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    engine = create_async_engine(url.set(host="127.0.0.1", port=port))
    try:
        with pytest.raises(schemactl.WaitTimeoutError, match="Connection refused"):
            await schemactl.wait(engine, timeout=0.5)
    finally:
        await engine.dispose()
