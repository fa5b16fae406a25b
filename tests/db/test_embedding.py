"""Embedding: the coroutines inside an application's running event loop."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import PG_BASE, MigrationsDir, fresh_url

pytestmark = pytest.mark.anyio
SLEEP = {  # a statement that runs for seconds
    "postgresql": "SELECT pg_sleep(5);",
    "mysql": "SELECT SLEEP(5);",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 30000000) SELECT count(*) FROM c;",
}


async def test_up_with_the_applications_engine(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        result = await schemactl.up(engine, migrations_dir=str(migrations))
        assert [m.version for m in result.applied] == ["1"]
        async with engine.connect() as conn:  # still the caller's, still usable
            assert (await conn.execute(text("SELECT count(*) FROM a"))).scalar() == 0
        status = await schemactl.status(engine, migrations_dir=str(migrations))
        assert not status.pending
    finally:
        await engine.dispose()


async def test_leaves_logging_configuration_alone(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    root = logging.getLogger()
    ours = logging.getLogger("schemactl")
    before = (list(root.handlers), root.level, list(ours.handlers), ours.level, ours.propagate)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    after = (list(root.handlers), root.level, list(ours.handlers), ours.level, ours.propagate)
    assert after == before


async def test_concurrent_calls_in_one_process(dialect: str, tmp_path: object) -> None:
    """Several tasks of one app (or several workers) calling up() at once."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    url = fresh_url(dialect, tmp_path)
    migrations = MigrationsDir(tmp_path / "m")
    for i in range(1, 6):
        migrations.add(f"{i:02d}", f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", "")
    results: list[schemactl.MigrateResult] = []

    async def start() -> None:
        results.append(await schemactl.up(url, migrations_dir=str(migrations)))

    try:
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(start)
        applied = sorted(m.version for r in results for m in r.applied)
        assert applied == ["01", "02", "03", "04", "05"]
    finally:
        await schemactl.drop(url)


async def test_cancellation_propagates_and_releases_the_lock(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """A lifespan shutting down cancels `up`: the cancellation wins, nothing half-applied."""
    sleep = SLEEP[dialect]
    migrations.add("1", "slow", f"{sleep}\nCREATE TABLE slow (id INTEGER);", "DROP TABLE slow;")
    await schemactl.create(db_url)  # the 0.5 s below are the migration's, even on a busy machine
    with anyio.move_on_after(0.5) as scope:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert scope.cancelled_caught
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert status.applied == ()
    if dialect == "mysql":
        # No rollback for MySQL DDL: an interrupted migration stays marked until a human
        # looked (here: nothing had run) and resolved it.
        assert [m.state for m in status.migrations] == ["failed"]
        assert "interrupted" in (status.migrations[0].failure or "")
        await schemactl.resolve(
            db_url, "1", applied=False, migrations_dir=str(migrations), lock_timeout=10
        )
    migrations.path.joinpath("1_slow.sql").write_text(
        "-- migrate:up\nCREATE TABLE slow (id INTEGER);\n-- migrate:down\nDROP TABLE slow;\n"
    )
    # The lock went with the cancelled connection. MariaDB keeps the server session (and its
    # named lock) until the sleeping statement notices the client is gone: allow for that.
    lock_timeout = 10 if dialect == "mysql" else 1
    with anyio.fail_after(lock_timeout + 5):
        result = await schemactl.up(
            db_url, migrations_dir=str(migrations), lock_timeout=lock_timeout
        )
    assert [m.version for m in result.applied] == ["1"]


async def test_schema_qualified_tracking_table(migrations: MigrationsDir, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    url = fresh_url("postgresql", tmp_path)
    migrations.add("1", "schema", "CREATE SCHEMA meta;", "DROP SCHEMA meta;")
    try:
        await schemactl.create(url)
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE SCHEMA tracking"))
        finally:
            await engine.dispose()
        result = await schemactl.up(
            url, migrations_dir=str(migrations), migrations_table="tracking.applied"
        )
        assert len(result.applied) == 1
        status = await schemactl.status(
            url, migrations_dir=str(migrations), migrations_table="tracking.applied"
        )
        assert not status.pending
        assert PG_BASE in url
    finally:
        await schemactl.drop(url)


SETTINGS = {
    "postgresql": "SELECT current_setting('lock_timeout') || ' ' || "
    "current_setting('statement_timeout')",
    "mysql": "SELECT CONCAT(@@SESSION.lock_wait_timeout, ' ', @@SESSION.max_statement_time)",
    "sqlite": "PRAGMA busy_timeout",
}


@pytest.mark.parametrize("outcome", ["applied", "failed", "cancelled"])
async def test_the_applications_pool_gets_its_connection_back_as_it_was(
    db_url: str, dialect: str, migrations: MigrationsDir, outcome: str
) -> None:
    """Limits schemactl sets on a borrowed connection are restored, or the connection is
    discarded: the application's next query never runs under schemactl's timeouts."""
    await schemactl.create(db_url)
    engine = create_async_engine(to_sqlalchemy_url(db_url), pool_size=1, max_overflow=0)
    try:
        await check_the_pool_gets_its_connection_back(engine, dialect, migrations, outcome)
    finally:
        await engine.dispose()


async def check_the_pool_gets_its_connection_back(
    engine: AsyncEngine, dialect: str, migrations: MigrationsDir, outcome: str
) -> None:
    """``up`` on a host's engine of one pooled connection (its database exists) ends with
    ``outcome``; the connection the pool then hands out has the settings it had before."""
    sql = {
        "applied": "CREATE TABLE a (id INTEGER);",
        "failed": "CREATE TABLE a (id INTEGER);\nSELECT * FROM no_such_table;",
        "cancelled": SLEEP[dialect] + "\nCREATE TABLE a (id INTEGER);",
    }[outcome]
    migrations.add("1", "a", sql, "DROP TABLE a;")
    async with engine.connect() as conn:
        before = (await conn.execute(text(SETTINGS[dialect]))).scalar()
    options: dict[str, Any] = {"ddl_lock_timeout": 1}
    if dialect != "sqlite":
        options["statement_timeout"] = 2
    if outcome == "cancelled":
        with anyio.move_on_after(1) as scope:  # while the migration runs
            await schemactl.up(engine, migrations_dir=str(migrations), **options)
        assert scope.cancelled_caught
    elif outcome == "failed":
        with pytest.raises(schemactl.MigrationFailedError):
            await schemactl.up(engine, migrations_dir=str(migrations), **options)
    else:
        await schemactl.up(engine, migrations_dir=str(migrations), **options)
    async with engine.connect() as conn:
        after = (await conn.execute(text(SETTINGS[dialect]))).scalar()
    assert after == before
    assert str(before) not in ("1s", "2s")


async def test_one_migrator_for_repeated_calls(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    migrator = schemactl.Migrator(db_url, migrations_dir=str(migrations), lock_timeout=5)
    assert (await migrator.create()).changed
    assert [m.version for m in (await migrator.status()).pending] == ["1"]
    assert [m.version for m in (await migrator.up()).applied] == ["1"]
    assert (await migrator.migrate()).applied == ()
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")
    assert [m.version for m in (await migrator.status()).pending] == ["2"]
    assert [m.version for m in (await migrator.migrate()).applied] == ["2"]
    assert [m.version for m in (await migrator.rollback(steps=2)).rolled_back] == ["2", "1"]
    assert len((await migrator.status()).pending) == 2
    assert (await migrator.drop()).changed
