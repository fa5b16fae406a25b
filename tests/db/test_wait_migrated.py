"""`wait --migrated`: ready once the database exists and every migration file is applied,
read without the migration lock; a part-way failure ends the wait at once."""

from __future__ import annotations

import time

import anyio
import pytest

import schemactl
from tests.conftest import MigrationsDir, server
from tests.db.test_lock import other_holder

pytestmark = pytest.mark.anyio


def two_migrations(migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")


async def test_waits_for_the_database_then_for_up(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """The database does not exist when the wait starts; `up` runs 1 s later."""
    two_migrations(migrations)
    finished: list[float] = []

    async def waiter() -> None:
        result = await schemactl.wait(
            db_url, migrated=True, migrations_dir=str(migrations), timeout=20
        )
        assert result.migrated
        assert result.attempts > 1
        finished.append(time.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await anyio.sleep(1)
        assert not finished  # no database yet: still waiting
        await schemactl.up(db_url, migrations_dir=str(migrations))
        up_done = time.monotonic()
    assert finished[0] >= up_done - 0.01


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_times_out_naming_the_first_pending(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    two_migrations(migrations)
    await schemactl.up(db_url, migrations_dir=str(migrations), to="1")
    with pytest.raises(schemactl.WaitTimeoutError) as caught:
        await schemactl.wait(db_url, migrated=True, migrations_dir=str(migrations), timeout=0.5)
    assert "was not migrated after 0.5s" in str(caught.value)
    assert "1 pending migration (first: 2_b.sql)" in str(caught.value)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_does_not_take_the_migration_lock(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """Another run holds the lock (a Job running `up` on a later deploy): the replicas of an
    application whose schema is complete are ready at once, not queued behind it."""
    two_migrations(migrations)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    async with other_holder(db_url, "session"):
        with anyio.fail_after(5):
            result = await schemactl.wait(
                db_url, migrated=True, migrations_dir=str(migrations), timeout=3
            )
    assert result.attempts == 1


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_a_failed_migration_ends_the_wait(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1",
        "half",
        "CREATE TABLE a (id INTEGER);\nSELECT no_such_function();",
        "DROP TABLE a;",
        up_options="transaction:false",
    )
    with pytest.raises(schemactl.MigrationFailedError):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    started = time.monotonic()
    with pytest.raises(schemactl.StateError) as caught:
        await schemactl.wait(db_url, migrated=True, migrations_dir=str(migrations), timeout=30)
    assert time.monotonic() - started < 5
    assert "1 (up) failed at line" in str(caught.value)
    assert "schemactl resolve" in str(caught.value)


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_bad_credentials_fail_at_once(dialect: str, migrations: MigrationsDir) -> None:
    two_migrations(migrations)
    base = server("postgresql")
    url = f"postgresql://hrec_no_such_role@{base.hostname}:{base.port}/postgres"
    started = time.monotonic()
    with pytest.raises(schemactl.DatabaseConnectionError) as caught:
        await schemactl.wait(url, migrated=True, migrations_dir=str(migrations), timeout=30)
    assert not isinstance(caught.value, schemactl.WaitTimeoutError)
    assert time.monotonic() - started < 5
