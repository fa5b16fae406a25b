"""A migration blocked by another session's lock fails fast, names the table, and retries."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def table_locked(url: str, dialect: str, released: anyio.Event) -> AsyncIterator[None]:
    """Another session holds a lock on table t that ALTER TABLE t must wait for, until
    ``released`` is set."""
    sa_url = to_sqlalchemy_url(url)
    if dialect == "sqlite":
        blocker = sqlite3.connect(sa_url.database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
            await released.wait()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    engine = create_async_engine(sa_url)
    try:
        async with engine.connect() as conn:
            await conn.begin()
            if dialect == "postgresql":
                await conn.execute(text("LOCK TABLE t IN ACCESS EXCLUSIVE MODE"))
            else:  # an open transaction that read t holds a metadata lock ALTER must wait for
                await conn.execute(text("SELECT * FROM t"))
            yield
            await released.wait()
            await conn.rollback()
    finally:
        await engine.dispose()


async def prepare(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    migrations.add("2", "alter", "ALTER TABLE t ADD COLUMN extra INTEGER;", "SELECT 1;")


async def test_lock_timeout_fails_fast_naming_the_table(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await prepare(db_url, migrations)
    released = anyio.Event()
    async with table_locked(db_url, dialect, released):
        started = time.monotonic()
        with pytest.raises(schemactl.LockTimeoutError) as caught:
            await schemactl.up(db_url, migrations_dir=str(migrations), ddl_lock_timeout=0.5)
        elapsed = time.monotonic() - started
        released.set()
    assert elapsed < 5
    message = str(caught.value)
    if dialect == "sqlite":
        assert "locked by another writer" in message
    else:
        assert "2_alter.sql:2: gave up waiting for a lock on table t" in message
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["2"]
    assert [m.state for m in status.migrations] == ["applied", "pending"]


async def test_lock_retries_succeed_once_the_blocker_goes(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await prepare(db_url, migrations)
    released = anyio.Event()
    locked = anyio.Event()

    async def blocker() -> None:
        async with table_locked(db_url, dialect, released):
            locked.set()
        # table_locked waits for `released` on the way out, then lets go of the lock

    async def release_later() -> None:
        await anyio.sleep(1.5)
        released.set()

    async with anyio.create_task_group() as group:
        group.start_soon(blocker)
        await locked.wait()
        group.start_soon(release_later)
        started = time.monotonic()
        result = await schemactl.up(
            db_url, migrations_dir=str(migrations), ddl_lock_timeout=0.3, lock_retries=8
        )
    assert [m.version for m in result.applied] == ["2"]
    assert time.monotonic() - started >= 1.4  # it did wait for the blocker, retrying


async def test_statement_timeout(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    sleep = {
        "postgresql": "SELECT pg_sleep(5);",
        "mysql": "SELECT SLEEP(5);",
        "sqlite": "SELECT 1;",
    }[dialect]
    migrations.add("1", "slow", sleep, "SELECT 1;")
    if dialect == "sqlite":
        with pytest.raises(schemactl.ConfigurationError, match="no statement timeout"):
            await schemactl.up(db_url, migrations_dir=str(migrations), statement_timeout=0.5)
        return
    started = time.monotonic()
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations), statement_timeout=0.5)
    assert time.monotonic() - started < 4
    assert "1_slow.sql:2:" in str(caught.value)


async def test_limits_under_a_millisecond_stay_on(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """0.4 ms is not 0, which would turn the limit off: it rounds up to the smallest the
    server takes (1 ms; MariaDB's lock_wait_timeout counts whole seconds)."""
    record = {
        "postgresql": "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS v;",
        "mysql": "CREATE TABLE seen AS SELECT @@SESSION.lock_wait_timeout AS v;",
        "sqlite": "CREATE TABLE seen AS SELECT * FROM pragma_busy_timeout;",
    }[dialect]
    migrations.add("1", "record", record, "DROP TABLE seen;")
    await schemactl.up(db_url, migrations_dir=str(migrations), ddl_lock_timeout=0.0004)
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            seen = (await conn.execute(text("SELECT * FROM seen"))).scalar_one()
    finally:
        await engine.dispose()
    assert str(seen) == {"postgresql": "1ms", "mysql": "1", "sqlite": "1"}[dialect]
    if dialect == "sqlite":
        return
    sleep = {"postgresql": "SELECT pg_sleep(3);", "mysql": "SELECT SLEEP(3);"}[dialect]
    migrations.add("2", "slow", sleep, "SELECT 1;")
    started = time.monotonic()
    with pytest.raises(schemactl.StatementError, match=r"statement timeout|max_statement_time"):
        # 1 ms (MariaDB: 1 µs) stops the sleep, or one of schemactl's own statements first
        await schemactl.up(db_url, migrations_dir=str(migrations), statement_timeout=0.0004)
    assert time.monotonic() - started < 2.5
