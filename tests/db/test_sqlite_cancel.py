"""Cancelling a run while SQLite executes a slow statement: the statement is interrupted at
once, not waited for (aiosqlite runs it in a thread a cancellation does not reach), and the
migration's transaction is rolled back.

The slow statement is a recursive CTE counting to two billion: minutes of CPU, one statement.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path
from subprocess import PIPE

import anyio
import pytest

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
    "SELECT count(*) FROM c"
)


def slow_migration(migrations: MigrationsDir) -> Path:
    return migrations.add(
        "1", "slow", f"CREATE TABLE slow (id INTEGER);\n{SLOW};", "DROP TABLE slow;"
    )


def database_state(url: str) -> tuple[list[str], list[str]]:
    """(tables, applied versions), read with the sqlite3 module, not schemactl."""
    path = url.removeprefix("sqlite:")
    with sqlite3.connect(path) as conn:
        tables = sorted(
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        versions = []
        if "schema_migrations" in tables:
            versions = sorted(
                str(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")
            )
    return tables, versions


@pytest.mark.parametrize("dialect", ["sqlite"])
async def test_cancelled_up_interrupts_the_running_statement(
    db_url: str, migrations: MigrationsDir
) -> None:
    slow_migration(migrations)
    journal = Path(db_url.removeprefix("sqlite:") + "-journal")
    cancelled_at = 0.0
    finished = False
    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:

            async def run_up() -> None:
                nonlocal finished
                with anyio.CancelScope() as scope:
                    cancel_scopes.append(scope)
                    await schemactl.up(db_url, migrations_dir=str(migrations))
                    finished = True

            cancel_scopes: list[anyio.CancelScope] = []
            group.start_soon(run_up)
            for _ in range(3000):  # until the migration's transaction has written
                if journal.exists():
                    break
                await anyio.sleep(0.01)
            await anyio.sleep(0.5)  # well inside the slow statement
            cancel_scopes[0].cancel()
            cancelled_at = time.monotonic()
    returned_after = time.monotonic() - cancelled_at
    print(f"[sqlite-cancel] up returned {returned_after:.2f}s after it was cancelled")
    assert not finished, "`up` finished before it was cancelled: the statement is not slow"
    assert returned_after < 2.0, f"cancelled `up` returned only {returned_after:.1f}s later"
    tables, versions = database_state(db_url)
    assert "slow" not in tables, "the cancelled migration's CREATE TABLE was committed"
    assert versions == []

    # the write lock is free and the connection state is sound: a fast migration applies
    (migrations.path / "1_slow.sql").write_text(
        "-- migrate:up\nCREATE TABLE slow (id INTEGER);\n-- migrate:down\nDROP TABLE slow;\n"
    )
    with anyio.fail_after(10):
        result = await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=1)
    assert [m.version for m in result.applied] == ["1"]
    assert database_state(db_url) == (["schema_migrations", "slow"], ["1"])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_ctrl_c_stops_up_at_once(
    db_url: str, dialect: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """SIGINT to `schemactl up` while a slow statement runs: exit 130 ("interrupted") within
    2 s on SQLite as on PostgreSQL, nothing applied."""
    sleep = SLOW if dialect == "sqlite" else "SELECT pg_sleep(30)"
    migrations.add("1", "slow", f"CREATE TABLE slow (id INTEGER);\n{sleep};", "DROP TABLE slow;")
    await schemactl.create(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    command = [sys.executable, "-m", "schemactl", "up", "--url", db_url, "-d", str(migrations)]
    async with await anyio.open_process(command, stderr=PIPE, env=env, cwd=tmp_path) as process:
        assert process.stderr is not None
        with anyio.fail_after(20):
            seen = b""
            while b"Applying 1_slow.sql" not in seen:  # the migration has begun
                seen += await process.stderr.receive()
        await anyio.sleep(0.5)  # inside the slow statement
        assert process.returncode is None, seen
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        with anyio.move_on_after(10):
            await process.wait()
        exited_after = time.monotonic() - sent
        if process.returncode is None:
            process.kill()
        rest = b""
        with anyio.move_on_after(1):
            async for chunk in process.stderr:
                rest += chunk
    print(f"[sqlite-cancel] {dialect}: exit {process.returncode} {exited_after:.2f}s after SIGINT")
    assert exited_after < 2.0, f"`up` exited {exited_after:.1f}s after SIGINT"
    assert process.returncode == 130, (seen + rest).decode()
    assert b"interrupted" in rest, rest.decode()
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.state) for m in status.migrations] == [("1", "pending")]
