"""SQLite has no lock across a run: each migration's write transaction is the lock. A
`transaction:false` section runs outside one, so the run marks it running first, in the write
transaction that finds it still to do and unmarked; another run that finds the mark waits for
that run while its process lives (up to --lock-timeout), then goes on without applying it
twice. A mark left by a run that died is refused at once, as before."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

import schemactl
from schemactl._tracking import TrackingTable
from tests.conftest import MigrationsDir

SCRIPT = Path(sys.executable).parent / "schemactl"
# a statement that keeps SQLite busy for a while, outside any transaction
SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
SLOW += "SELECT count(*) FROM c;"


def slow_then_table(migrations: MigrationsDir, rows: int) -> None:
    migrations.add(
        "1",
        "slow",
        f"{SLOW.format(n=rows)}\nCREATE TABLE t (id INTEGER);",
        up_options="transaction:false",
    )
    migrations.add("2", "u", "CREATE TABLE u (id INTEGER);")


def applied(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


def test_runs_started_together_all_succeed_and_apply_each_migration_once(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    slow_then_table(migrations, 3_000_000)
    db = tmp_path / "app.db"
    command = [str(SCRIPT), "up", "--url", f"sqlite:{db}", "-d", str(migrations.path)]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    outcomes = [(run.returncode, err) for run, err in zip(runs, errors, strict=True)]
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    assert sum("Applied 1_slow.sql" in err for _, err in outcomes) == 1
    assert applied(db) == ["1", "2"]


@pytest.mark.anyio
async def test_a_run_waits_for_the_live_run_that_marked_a_migration(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """The other run is this process (it lives): waited for. Once it has recorded the
    migration and cleared its mark, this run applies only the next one."""
    slow_then_table(migrations, 10)
    db = tmp_path / "app.db"
    url = f"sqlite:{db}"
    tracking = TrackingTable("schema_migrations", sqlite_dialect())
    await schemactl.create(url)
    with sqlite3.connect(db) as conn:
        conn.execute(tracking.create_sql())
        conn.execute(tracking.create_failures_sql())
        conn.execute(tracking.mark_running_sql("1", "up"))  # as a run of this process does

    async def the_other_run_finishes() -> None:
        await anyio.sleep(0.6)
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE t (id INTEGER)")
            conn.execute("INSERT INTO schema_migrations (version) VALUES ('1')")
            conn.execute("DELETE FROM schema_migrations_failures")

    started = time.monotonic()
    async with anyio.create_task_group() as group:
        group.start_soon(the_other_run_finishes)
        result = await schemactl.up(url, migrations_dir=str(migrations), lock_timeout=30)
    assert time.monotonic() - started >= 0.5  # it waited
    assert [m.version for m in result.applied] == ["2"]
    assert applied(db) == ["1", "2"]

    # still marked after the lock timeout: refused, saying it may still be running
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = '2'")
        conn.execute(tracking.mark_running_sql("2", "up"))
    with pytest.raises(schemactl.StateError, match="or is still running in another run"):
        await schemactl.up(url, migrations_dir=str(migrations), lock_timeout=0.5)


def test_a_mark_left_by_a_killed_run_is_refused_at_once(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    slow_then_table(migrations, 200_000_000)
    db = tmp_path / "app.db"
    command = [str(SCRIPT), "up", "--url", f"sqlite:{db}", "-d", str(migrations.path)]
    run = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until it has marked the slow migration running
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM schema_migrations_failures").fetchone()[0]:
                    break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    run.kill()
    run.wait()
    started = time.monotonic()
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 8, again.stderr
    assert "migration 1 (up) was interrupted while running" in again.stderr
    assert "still running" not in again.stderr
    assert time.monotonic() - started < 10  # not the 120 s lock timeout
