"""In an application nothing is printed: warnings are logged at WARNING, waits at INFO, on the
``schemactl`` logger; the CLI prints each warning once."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import schemactl
from tests.conftest import PG_BASE, MigrationsDir
from tests.db.test_lock import other_holder

pytestmark = pytest.mark.anyio


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "schemactl" and r.levelno == level]


async def test_warnings_are_logged_at_warning(
    db_url: str, migrations: MigrationsDir, caplog: pytest.LogCaptureFixture
) -> None:
    migrations.add("9", "nine", "CREATE TABLE nine (id INTEGER);", "DROP TABLE nine;")
    migrations.add("10", "ten", "CREATE TABLE ten (id INTEGER);", "DROP TABLE ten;")
    caplog.set_level(logging.INFO, logger="schemactl")
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert len(result.warnings) == 1
    assert records(caplog, logging.WARNING) == list(result.warnings)
    caplog.clear()
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert records(caplog, logging.WARNING) == list(status.warnings)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_waiting_for_the_migration_lock_is_logged_with_its_holder(
    db_url: str, dialect: str, migrations: MigrationsDir, caplog: pytest.LogCaptureFixture
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.create(db_url)
    caplog.set_level(logging.INFO, logger="schemactl")
    async with other_holder(db_url, "session") as lock:

        async def release_soon() -> None:
            await anyio.sleep(0.5)
            await lock.release()

        async with anyio.create_task_group() as group:
            group.start_soon(release_soon)
            result = await schemactl.up(db_url, migrations_dir=str(migrations), lock_timeout=20)
    assert [m.version for m in result.applied] == ["1"]
    waits = [m for m in records(caplog, logging.INFO) if m.startswith("Waiting")]
    assert len(waits) == 1, waits
    assert waits[0].startswith("Waiting up to 20s for the migration lock of ")
    assert "held by" in waits[0]


async def test_waiting_for_the_server_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="schemactl")
    url = PG_BASE.rsplit(":", 1)[0] + ":1/sct_nowhere"  # nothing listens on port 1
    with pytest.raises(schemactl.WaitTimeoutError):
        await schemactl.wait(url, timeout=0.5)
    waits = [m for m in records(caplog, logging.INFO) if m.startswith("Waiting")]
    assert len(waits) == 1, waits
    assert waits[0].startswith("Waiting up to 0.5s for postgresql://")


def test_the_cli_prints_each_warning_once(tmp_path: Path, migrations: MigrationsDir) -> None:
    migrations.add("9", "nine", "CREATE TABLE nine (id INTEGER);", "DROP TABLE nine;")
    migrations.add("10", "ten", "CREATE TABLE ten (id INTEGER);", "DROP TABLE ten;")
    done = subprocess.run(
        [sys.executable, "-m", "schemactl", "up", "--url", f"sqlite:{tmp_path / 'app.db'}",
         "-d", str(migrations)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "different lengths" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("warning: ")
