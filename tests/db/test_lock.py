"""The migration lock's contract, for both strategies on the servers that have a session:
one holder at a time, a timeout that names the holder, and a lease that expires."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from sqlalchemy import text

import schemactl
from schemactl._lock import LeaseLock, MigrationLock, SessionLock
from schemactl._tracking import TrackingTable
from schemactl._urls import to_sqlalchemy_url
from schemactl.dialects import Dialect, dialect_for
from schemactl.dialects._base import owned_engine
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio
SERVERS = ("postgresql", "mysql")
STRATEGIES = ("session", "table")


@asynccontextmanager
async def other_holder(url: str, strategy: str) -> AsyncIterator[MigrationLock]:
    """The migration lock of `url`, as another run would hold it, on a connection of its own."""
    dialect: Dialect[Any] = dialect_for(to_sqlalchemy_url(url))
    engine = owned_engine(dialect.url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            driver = await dialect.driver(conn)
            tracking = TrackingTable("schema_migrations", conn.dialect)
            key = dialect.lock_key(tracking.name)
            sql = dialect.session_lock_sql(key)
            assert sql is not None
            lock: MigrationLock = (
                SessionLock(dialect, driver, sql)
                if strategy == "session"
                else LeaseLock(dialect, driver, tracking, key)
            )
            assert await lock.try_acquire()
            try:
                yield lock
            finally:
                await lock.release()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("dialect", SERVERS)
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_one_holder_at_a_time(
    db_url: str, dialect: str, strategy: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    options: dict[str, Any] = {"migrations_dir": str(migrations), "lock_strategy": strategy}
    async with other_holder(db_url, strategy):
        with pytest.raises(schemactl.LockTimeoutError) as caught:
            await schemactl.up(db_url, lock_timeout=0.3, **options)
        expected = "held by" if strategy == "session" else "a lease row"
        assert expected in str(caught.value)
        assert (await schemactl.status(db_url, migrations_dir=str(migrations))).pending
    result = await schemactl.up(db_url, lock_timeout=1, **options)
    assert [m.version for m in result.applied] == ["1"]


@pytest.mark.parametrize("dialect", SERVERS)
async def test_an_expired_lease_is_taken_over(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    async with other_holder(db_url, "table"):
        engine = owned_engine(to_sqlalchemy_url(db_url))
        try:
            async with engine.begin() as conn:  # its holder died long ago
                await conn.execute(
                    text("UPDATE schema_migrations_lock SET expires_at = :t"),
                    {"t": dt.datetime(2000, 1, 1)},
                )
        finally:
            await engine.dispose()
        result = await schemactl.up(
            db_url, migrations_dir=str(migrations), lock_strategy="table", lock_timeout=1
        )
    assert [m.version for m in result.applied] == ["1"]


SLEEP = {"postgresql": "SELECT pg_sleep({s});", "mysql": "SELECT SLEEP({s});"}


@pytest.mark.parametrize("dialect", SERVERS)
async def test_a_migration_longer_than_the_lease_keeps_it(
    db_url: str, dialect: str, migrations: MigrationsDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second connection renews the lease while a migration runs: a run that starts
    meanwhile waits, and does not take the lease over and run the same migration."""
    monkeypatch.setattr("schemactl._lock.LEASE_SECONDS", 2)  # renewed every 0.5 s
    migrations.add("1", "slow", SLEEP[dialect].format(s=3.5) + "\nCREATE TABLE a (id INTEGER);")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);")
    await schemactl.create(db_url)
    applied: list[list[str]] = []

    async def run() -> None:
        result = await schemactl.up(
            db_url, migrations_dir=str(migrations), lock_strategy="table", lock_timeout=15
        )
        applied.append([m.version for m in result.applied])

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await anyio.sleep(0.5)  # the first run holds the lease, in its migration
        group.start_soon(run)
    assert applied == [["1", "2"], []]


@pytest.mark.parametrize("dialect", SERVERS)
async def test_a_run_whose_lease_was_taken_over_stops_before_its_next_migration(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """What a run finds when its lease expired unrenewed and another run took it (here the
    first migration hands it over): LockLostError before the second migration; the other
    run's lease is left alone."""
    takeover = (
        "UPDATE schema_migrations_lock SET owner = 'elsewhere:7:0ddba11', expires_at = "
        + ("now() + interval '1 hour'" if dialect == "postgresql" else "NOW() + INTERVAL 1 HOUR")
        + ";"
    )
    migrations.add("1", "a", f"CREATE TABLE a (id INTEGER);\n{takeover}")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);")
    await schemactl.create(db_url)
    with pytest.raises(schemactl.LockLostError, match="elsewhere:7:0ddba11 took it over"):
        await schemactl.up(db_url, migrations_dir=str(migrations), lock_strategy="table")
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["2"]
    engine = owned_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            owners = (await conn.execute(text("SELECT owner FROM schema_migrations_lock"))).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in owners] == [("elsewhere:7:0ddba11",)]


@pytest.mark.parametrize("dialect", SERVERS)
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_concurrent_runs_apply_each_migration_once(
    db_url: str, dialect: str, strategy: str, migrations: MigrationsDir
) -> None:
    for i in range(1, 7):
        migrations.add(f"{i:02d}", f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", "")
    await schemactl.create(db_url)
    applied: list[str] = []

    async def run() -> None:
        result = await schemactl.up(
            db_url, migrations_dir=str(migrations), lock_strategy=strategy, lock_timeout=30
        )
        applied.extend(m.version for m in result.applied)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(run)
    assert sorted(applied) == [f"{i:02d}" for i in range(1, 7)]


@pytest.mark.parametrize("dialect", SERVERS)
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_one_lock_however_the_tracking_table_is_spelled(
    db_url: str, dialect: str, strategy: str, migrations: MigrationsDir
) -> None:
    """``public.schema_migrations`` (``<database>.schema_migrations`` on MySQL) is the table
    ``schema_migrations`` names: a run spelling it so waits for one that does not."""
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    schema = "public" if dialect == "postgresql" else str(to_sqlalchemy_url(db_url).database)
    async with other_holder(db_url, strategy):
        with pytest.raises(schemactl.LockTimeoutError):
            await schemactl.up(
                db_url,
                migrations_dir=str(migrations),
                migrations_table=f"{schema}.schema_migrations",
                lock_strategy=strategy,
                lock_timeout=0.3,
            )
    result = await schemactl.up(
        db_url,
        migrations_dir=str(migrations),
        migrations_table=f"{schema}.schema_migrations",
        lock_strategy=strategy,
    )
    assert [m.version for m in result.applied] == ["1"]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["applied"]  # the same table, unqualified
