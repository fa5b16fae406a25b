"""Ctrl-C (SIGINT) to `schemactl up` on MySQL/MariaDB while a statement runs ends as on
PostgreSQL and SQLite: exit 130 with "interrupted" within two seconds, not when the
statement would have ended. DDL cannot be rolled back there: the migration is recorded as
interrupted, and the server-side statement and the session's named lock end at once
(schemactl ends its session from a second connection) instead of running on for a client
that is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from subprocess import PIPE

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import schemactl
from schemactl import StateError
from tests.conftest import MYSQL_BASE, MigrationsDir

pytestmark = pytest.mark.anyio

SLEEP = "SELECT SLEEP(30)"


async def sleeping_sessions() -> int:
    """Sessions on the server running the migration's SLEEP, whoever they belong to."""
    engine = create_async_engine(
        f"{MYSQL_BASE.replace('mysql://', 'mysql+aiomysql://')}/", poolclass=NullPool
    )
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = :sql"),
                {"sql": SLEEP},
            )
            return int(rows.scalar_one())
    finally:
        await engine.dispose()


async def interrupt_up(db_url: str, migrations: MigrationsDir, cwd: Path) -> tuple[int, float, str]:
    """Start `schemactl up`, SIGINT it inside the slow statement: (exit code, seconds from
    the signal to the exit, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    command = [sys.executable, "-m", "schemactl", "up", "--url", db_url, "-d", str(migrations)]
    async with await anyio.open_process(command, stderr=PIPE, env=env, cwd=cwd) as process:
        assert process.stderr is not None
        seen = b""
        with anyio.fail_after(20):
            while b"Applying 1_slow.sql" not in seen:  # the migration has begun
                seen += await process.stderr.receive()
            for _ in range(200):  # until the server runs the SLEEP
                if await sleeping_sessions():
                    break
                await anyio.sleep(0.05)
        assert process.returncode is None, seen
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        with anyio.move_on_after(15):
            await process.wait()
        exited_after = time.monotonic() - sent
        if process.returncode is None:
            process.kill()
            await process.wait()
        with anyio.move_on_after(1):
            async for chunk in process.stderr:
                seen += chunk
    assert process.returncode is not None
    return process.returncode, exited_after, seen.decode()


@pytest.mark.parametrize("dialect", ["mysql"])
async def test_ctrl_c_on_mysql_stops_at_once_and_records_the_interruption(
    db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    migrations.add("1", "slow", f"CREATE TABLE slow (id INTEGER);\n{SLEEP};", "DROP TABLE slow;")
    await schemactl.create(db_url)

    code, exited_after, stderr = await interrupt_up(db_url, migrations, tmp_path)
    print(f"[interrupts] mysql: exit {code} {exited_after:.2f}s after SIGINT")
    assert code == 130, stderr
    assert stderr.rstrip().endswith("interrupted"), stderr
    assert "Traceback" not in stderr, stderr
    assert exited_after < 2.0, f"`up` exited {exited_after:.1f}s after SIGINT"

    # the server is not left running the dead client's statement
    assert await sleeping_sessions() == 0
    # DDL ran and cannot be undone: recorded as interrupted, refused until resolved
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.state) for m in status.migrations] == [("1", "failed")]
    # the migration lock was freed with the session: the refusal comes at once, not a
    # lock timeout after a second
    with anyio.fail_after(5), pytest.raises(StateError, match="resolve"):
        await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=1)
