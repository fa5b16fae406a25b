"""Several processes and sessions against one database: the migration lock at work."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import schemactl
from schemactl._lock import SessionLock
from schemactl._urls import to_sqlalchemy_url
from schemactl.dialects import Dialect, dialect_for
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio
RUNNERS = 6


def test_six_processes_apply_each_migration_exactly_once(
    db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """Six `up` runs started at once against a database that does not exist yet."""
    migrations.add("01", "log", "CREATE TABLE runs (version VARCHAR(10));", "DROP TABLE runs;")
    for i in range(2, 13):
        # No unique key on runs: a migration applied twice would leave two rows.
        migrations.add(
            f"{i:02d}",
            f"t{i}",
            f"CREATE TABLE t{i} (id INTEGER);\nINSERT INTO runs (version) VALUES ('{i}');",
            f"DROP TABLE t{i};",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    command = [sys.executable, "-m", "schemactl", "up", "--url", db_url, "-d", str(migrations)]
    processes = [
        subprocess.Popen(
            [*command, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(RUNNERS)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    results = [json.loads(stdout) for stdout, _ in outputs]
    applied = [m["version"] for r in results for m in r["applied"]]
    assert sorted(applied) == [f"{i:02d}" for i in range(1, 13)]  # each exactly once
    assert sum(r["created_database"] for r in results) == 1

    rows = fetch_versions(db_url)
    assert sorted(rows, key=int) == [str(i) for i in range(2, 13)]


def fetch_versions(url: str) -> list[str]:
    import anyio
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def fetch() -> list[str]:
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.connect() as conn:
                result = await conn.execute(text("SELECT version FROM runs"))
                return [str(row[0]) for row in result]
        finally:
            await engine.dispose()

    return anyio.run(fetch)


def session_lock(dialect: Dialect[Any], driver: object) -> SessionLock:
    """The migration lock of the default tracking table, as another run would take it."""
    sql = dialect.session_lock_sql(dialect.lock_key("schema_migrations"))
    assert sql is not None
    return SessionLock(dialect, driver, sql)


async def test_lock_timeout_names_the_holder(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    url = to_sqlalchemy_url(db_url)
    holder = dialect_for(url)
    if dialect == "sqlite":
        # Another writer holds SQLite's write lock.
        blocker = sqlite3.connect(url.database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            with pytest.raises(schemactl.LockTimeoutError, match="locked by another writer"):
                await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=0.5)
            assert time.monotonic() - started < 5
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    else:
        from schemactl.dialects._base import owned_engine

        engine = owned_engine(url)
        try:
            async with engine.connect() as conn:
                lock = session_lock(holder, await holder.driver(conn))
                assert await lock.try_acquire()
                await conn.commit()
                started = time.monotonic()
                with pytest.raises(schemactl.LockTimeoutError) as caught:
                    await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=0.5)
                assert 0.5 <= time.monotonic() - started < 5
                message = str(caught.value)
                assert "gave up after 0.5s waiting for the migration lock" in message
                assert "held by" in message
                await lock.release()
        finally:
            await engine.dispose()
    # Once the lock is free, the same call goes through.
    result = await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=0.5)
    assert [m.version for m in result.applied] == ["1"]


async def test_up_to_date_does_not_wait_for_the_lock(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """Nothing pending: `up` returns without taking the lock (many app instances starting)."""
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    if dialect == "sqlite":
        return  # SQLite has no session lock to hold; the fast path is the same code
    url = to_sqlalchemy_url(db_url)
    holder = dialect_for(url)
    from schemactl.dialects._base import owned_engine

    engine = owned_engine(url)
    try:
        async with engine.connect() as conn:
            assert await session_lock(holder, await holder.driver(conn)).try_acquire()
            result = await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=0)
            assert result.applied == ()
    finally:
        await engine.dispose()
