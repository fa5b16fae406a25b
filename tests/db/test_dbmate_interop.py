"""dbmate and schemactl share migration files and the ``schema_migrations`` table, both ways.

Each test runs the real dbmate binary (the npm package pinned in benchmarks/package.json, or
the one SCHEMACTL_DBMATE names) against the same fresh database as schemactl, on SQLite,
PostgreSQL and MariaDB: the npm build of dbmate includes its SQLite driver.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
BUNDLED_DBMATE = REPO / "benchmarks" / "node_modules" / ".bin" / "dbmate"
DBMATE_TIMEOUT = 60.0  # seconds for one dbmate command

V1, V2, V3, V4 = "20240101000001", "20240101000002", "20240101000003", "20240101000004"
TRACKING = "schema_migrations"


# -- finding and running dbmate ---------------------------------------------------------------


def require_dbmate() -> str:
    """The dbmate binary; fails the test in CI when there is none, skips it elsewhere."""
    configured = os.environ.get("SCHEMACTL_DBMATE")
    if configured:
        found = shutil.which(configured)
        if found is None:
            pytest.fail(f"SCHEMACTL_DBMATE={configured!r} is not an executable file")
        return found
    if os.access(BUNDLED_DBMATE, os.X_OK):
        return str(BUNDLED_DBMATE)
    reason = (
        f"dbmate not found at {BUNDLED_DBMATE}: run `npm install --prefix benchmarks` in "
        f"{REPO} (benchmarks/package.json pins dbmate), or set SCHEMACTL_DBMATE to a dbmate binary"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def dbmate_url(db_url: str) -> str:
    """The fixture's schemactl URL in the form dbmate takes."""
    scheme, _, rest = db_url.partition(":")
    if scheme == "sqlite":
        return db_url  # sqlite:/abs/path.db: the same form
    if scheme == "postgresql":
        return f"postgres:{rest}{'&' if '?' in rest else '?'}sslmode=disable"
    assert scheme == "mysql", db_url
    return db_url


@dataclass(frozen=True)
class Dbmate:
    url: str
    migrations: MigrationsDir
    cwd: Path

    async def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one dbmate command; never raises for a non-zero exit code."""
        command = [
            require_dbmate(),  # in CI, a missing binary fails the test here
            "--url",
            self.url,
            "--migrations-dir",
            str(self.migrations),
            "--no-dump-schema",
            *args,
        ]
        # Nothing from the environment may redirect dbmate (DATABASE_URL, DBMATE_*).
        env = {
            k: v
            for k, v in os.environ.items()
            if k != "DATABASE_URL" and not k.startswith("DBMATE")
        }
        with anyio.fail_after(DBMATE_TIMEOUT):
            done = await anyio.run_process(command, check=False, cwd=self.cwd, env=env)
        return subprocess.CompletedProcess(
            command, done.returncode, done.stdout.decode(), done.stderr.decode()
        )

    async def ok(self, *args: str) -> str:
        """Run a dbmate command that must succeed; its standard output."""
        done = await self.run(*args)
        assert done.returncode == 0, f"dbmate {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    async def status(self) -> tuple[dict[str, bool], int]:
        """`dbmate status --exit-code`: {file name: applied} and the exit code."""
        done = await self.run("status", "--exit-code")
        assert done.returncode in (0, 1), f"dbmate status failed:\n{done.stdout}{done.stderr}"
        files: dict[str, bool] = {}
        for line in done.stdout.splitlines():
            match = re.fullmatch(r"\[([ X])\] (\S+)", line.strip())
            if match:
                files[match.group(2)] = match.group(1) == "X"
        applied = sum(files.values())
        assert f"Applied: {applied}" in done.stdout, done.stdout
        assert f"Pending: {len(files) - applied}" in done.stdout, done.stdout
        return files, done.returncode


@pytest.fixture
def dbmate(db_url: str, migrations: MigrationsDir, tmp_path: Path) -> Dbmate:
    workdir = tmp_path / "cwd"  # no .env file here for dbmate to load
    workdir.mkdir()
    if not os.environ.get("CI"):
        require_dbmate()  # skip before doing any work
    return Dbmate(dbmate_url(db_url), migrations, workdir)


# -- looking at the database directly ---------------------------------------------------------


def sqlalchemy_url(db_url: str) -> str:
    scheme, _, rest = db_url.partition(":")
    if scheme == "sqlite":
        return f"sqlite+aiosqlite:///{rest}"
    return {"postgresql": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}[scheme] + ":" + rest


async def query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_async_engine(sqlalchemy_url(db_url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def tables(db_url: str, dialect: str) -> set[str]:
    sql = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema()",
        "mysql": "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
    }[dialect]
    return {str(row[0]) for row in await query(db_url, sql)}


async def tracking_columns(db_url: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [str(row[1]) for row in await query(db_url, f"PRAGMA table_info({TRACKING})")]
    schema = "current_schema()" if dialect == "postgresql" else "DATABASE()"
    sql = (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = {schema} AND table_name = '{TRACKING}' ORDER BY ordinal_position"
    )
    return [str(row[0]) for row in await query(db_url, sql)]


async def recorded(db_url: str) -> list[str]:
    return [str(row[0]) for row in await query(db_url, f"SELECT version FROM {TRACKING}")]


def add_table_migration(migrations: MigrationsDir, version: str, table: str) -> str:
    """A migration creating ``table``; returns its file name."""
    migrations.add(
        version,
        f"create_{table}",
        f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(50));",
        f"DROP TABLE {table};",
    )
    return f"{version}_create_{table}.sql"


# -- the tests --------------------------------------------------------------------------------


async def test_schemactl_continues_and_undoes_what_dbmate_started(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate
) -> None:
    f1 = add_table_migration(migrations, V1, "one")
    f2 = add_table_migration(migrations, V2, "two")
    out = await dbmate.ok("up")  # creates the database, applies the only two files
    assert f"Applied: {f1}" in out
    assert f"Applied: {f2}" in out
    assert await tracking_columns(db_url, dialect) == ["version"]

    f3 = add_table_migration(migrations, V3, "three")
    f4 = add_table_migration(migrations, V4, "four")
    result = await schemactl.migrate(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == [V3, V4]
    assert not result.created_database
    assert await tables(db_url, dialect) == {TRACKING, "one", "two", "three", "four"}
    assert await tracking_columns(db_url, dialect) == ["version", "checksum", "applied_at"]
    assert sorted(await recorded(db_url)) == [V1, V2, V3, V4]

    files, code = await dbmate.status()
    assert files == {f1: True, f2: True, f3: True, f4: True}
    assert code == 0

    out = await dbmate.ok("rollback")
    assert f"Rolled back: {f4}" in out
    assert await tables(db_url, dialect) == {TRACKING, "one", "two", "three"}
    out = await dbmate.ok("rollback")
    assert f"Rolled back: {f3}" in out
    assert await tables(db_url, dialect) == {TRACKING, "one", "two"}
    files, code = await dbmate.status()
    assert files == {f1: True, f2: True, f3: False, f4: False}
    assert code == 1

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied) for m in status.migrations] == [
        (V1, True),
        (V2, True),
        (V3, False),
        (V4, False),
    ]
    assert [m.checksum_ok for m in status.applied] == [None, None]  # dbmate stores no checksum

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations), steps=2)
    assert [m.version for m in back.rolled_back] == [V2, V1]
    assert await tables(db_url, dialect) == {TRACKING}
    assert await recorded(db_url) == []
    files, code = await dbmate.status()
    assert files == {f1: False, f2: False, f3: False, f4: False}
    assert code == 1


async def test_dbmate_continues_what_schemactl_started(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate
) -> None:
    f1 = add_table_migration(migrations, V1, "one")
    f2 = add_table_migration(migrations, V2, "two")
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert result.created_database
    assert [m.version for m in result.applied] == [V1, V2]

    files, code = await dbmate.status()
    assert files == {f1: True, f2: True}
    assert code == 0

    f3 = add_table_migration(migrations, V3, "three")
    files, code = await dbmate.status()
    assert files == {f1: True, f2: True, f3: False}
    assert code == 1
    out = await dbmate.ok("migrate")
    assert f"Applied: {f3}" in out
    assert f1 not in out
    assert f2 not in out  # dbmate read schemactl's rows and did not apply them again
    assert await tables(db_url, dialect) == {TRACKING, "one", "two", "three"}

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied) for m in status.migrations] == [
        (V1, True),
        (V2, True),
        (V3, True),
    ]
    assert [m.checksum_ok for m in status.migrations] == [True, True, None]
    assert [m.applied_at is not None for m in status.migrations] == [True, True, False]

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations), to="0")
    assert [m.version for m in back.rolled_back] == [V3, V2, V1]
    assert await tables(db_url, dialect) == {TRACKING}
    assert await recorded(db_url) == []
    files, code = await dbmate.status()
    assert files == {f1: False, f2: False, f3: False}
    assert code == 1


# CREATE/DROP INDEX CONCURRENTLY fail inside a transaction block on PostgreSQL, so they pass
# only if the tool really honours transaction:false. One statement per section: dbmate sends a
# whole section as one simple query, which PostgreSQL runs as one implicit transaction.
NO_TRANSACTION = {
    "postgresql": (
        "CREATE INDEX CONCURRENTLY items_name_idx ON items (name);",
        "DROP INDEX CONCURRENTLY items_name_idx;",
    ),
    "mysql": (
        "CREATE INDEX items_name_idx ON items (name);",
        "DROP INDEX items_name_idx ON items;",
    ),
    "sqlite": ("CREATE INDEX items_name_idx ON items (name);", "DROP INDEX items_name_idx;"),
}


async def indexes(db_url: str, dialect: str) -> set[str]:
    sql = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'",
        "postgresql": "SELECT indexname FROM pg_indexes "
        "WHERE schemaname = current_schema() AND tablename = 'items'",
        "mysql": "SELECT index_name FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = 'items'",
    }[dialect]
    return {str(row[0]) for row in await query(db_url, sql)}


async def test_transaction_false_is_accepted_by_both(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate
) -> None:
    f1 = add_table_migration(migrations, V1, "items")
    up, down = NO_TRANSACTION[dialect]
    path = migrations.add(
        V2,
        "index_items",
        up,
        down,
        up_options="transaction:false",
        down_options="transaction:false",
    )
    text_ = path.read_text()
    assert "-- migrate:up transaction:false\n" in text_
    assert "-- migrate:down transaction:false\n" in text_
    f2 = path.name

    out = await dbmate.ok("up")
    assert f"Applied: {f2}" in out
    assert "items_name_idx" in await indexes(db_url, dialect)

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied) for m in status.migrations] == [(V1, True), (V2, True)]

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in back.rolled_back] == [V2]
    assert "items_name_idx" not in await indexes(db_url, dialect)
    files, _ = await dbmate.status()
    assert files == {f1: True, f2: False}

    result = await schemactl.migrate(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == [V2]
    assert "items_name_idx" in await indexes(db_url, dialect)
    files, code = await dbmate.status()
    assert files == {f1: True, f2: True}
    assert code == 0

    out = await dbmate.ok("rollback")
    assert f"Rolled back: {f2}" in out
    assert "items_name_idx" not in await indexes(db_url, dialect)
    assert sorted(await recorded(db_url)) == [V1]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == [V2]


async def test_status_leaves_a_dbmate_table_alone(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate
) -> None:
    add_table_migration(migrations, V1, "one")
    await dbmate.ok("up")
    assert await tracking_columns(db_url, dialect) == ["version"]
    add_table_migration(migrations, V2, "two")  # pending: status must not prepare for it

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied) for m in status.migrations] == [(V1, True), (V2, False)]
    applied = status.migrations[0]
    assert applied.checksum_ok is None
    assert applied.applied_at is None

    assert await tracking_columns(db_url, dialect) == ["version"]
    assert await recorded(db_url) == [V1]
    assert await tables(db_url, dialect) == {TRACKING, "one"}


# -- versions of different lengths -------------------------------------------------------------
# dbmate orders versions as text, file names and `ORDER BY version DESC` alike, so "10" comes
# before "9": it applies 10_ then 9_, and `dbmate rollback` undoes 9_. A directory written for
# dbmate relies on that order. The order is the same on every database: SQLite shows it.


def add_out_of_numeric_order(migrations: MigrationsDir) -> None:
    """10_ creates a table that 9_ indexes: right in dbmate's order, wrong in numeric order."""
    migrations.add(
        "10",
        "create_things",
        "CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(50));",
        "DROP TABLE things;",
    )
    migrations.add(
        "9",
        "index_things",
        "CREATE INDEX things_name_idx ON things (name);",
        "DROP INDEX things_name_idx;",
    )


@pytest.mark.parametrize("dialect", ["sqlite"])
async def test_rollback_undoes_what_dbmate_applied_last(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate
) -> None:
    add_out_of_numeric_order(migrations)
    out = await dbmate.ok("up")
    assert out.index("Applying: 10_create_things.sql") < out.index("Applying: 9_index_things.sql")

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    # `dbmate rollback` here would undo 9_, the migration it applied last.
    assert [m.version for m in back.rolled_back] == ["9"]
    assert await recorded(db_url) == ["10"]
    assert await tables(db_url, dialect) == {TRACKING, "things"}


@pytest.mark.parametrize("dialect", ["sqlite"])
async def test_pending_migrations_apply_in_dbmate_order(
    db_url: str, dialect: str, migrations: MigrationsDir, dbmate: Dbmate, tmp_path: Path
) -> None:
    add_out_of_numeric_order(migrations)
    reference = Dbmate(f"sqlite:{tmp_path / 'reference.db'}", migrations, dbmate.cwd)
    out = await reference.ok("up")  # the same directory works with dbmate
    assert out.index("Applying: 10_create_things.sql") < out.index("Applying: 9_index_things.sql")

    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == ["10", "9"]
    files, code = await dbmate.status()
    assert files == {"10_create_things.sql": True, "9_index_things.sql": True}
    assert code == 0
