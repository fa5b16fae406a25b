"""Tracking tables schemactl may not write, and the failures of its own statements: what the
user reads is true (an SQL failure is not a lost connection), and work goes on where it can.

Privileges are real: a PostgreSQL role and a MariaDB user of the test's own, with limited
grants, dropped afterwards. SQLite has no privileges; its cases here need none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import make_url

import schemactl
from schemactl._database import open_database
from schemactl._options import Options
from schemactl._session import open_session
from schemactl._tracking import EXTRA_COLUMNS, TrackingTable
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir
from tests.db.test_foreign_tables import columns, run_sql, tables

pytestmark = pytest.mark.anyio

DBMATE_TABLE = "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)"


@asynccontextmanager
async def limited_login(url: str, dialect: str, *grants: str) -> AsyncIterator[str]:
    """A login of its own on the test database with only ``grants`` ({user} and {db} are
    filled in); its URL."""
    user = f"wt_h1_{uuid.uuid4().hex[:10]}"
    db = make_url(to_sqlalchemy_url(url)).database
    if dialect == "postgresql":
        create = [f"CREATE ROLE {user} LOGIN"]
        setup = [f"GRANT CONNECT ON DATABASE {db} TO {user}"]
        setup += [g.format(user=user, db=db) for g in grants]
        base, teardown = PG_BASE, [f"DROP OWNED BY {user}", f"DROP ROLE {user}"]
    else:
        accounts = [f"'{user}'@'%'", f"'{user}'@'localhost'"]
        create = [f"CREATE USER {a}" for a in accounts]
        setup = [g.format(user=a, db=db) for g in grants for a in accounts]
        base, teardown = MYSQL_BASE, [f"DROP USER {a}" for a in accounts]
    await run_sql(url, *create)
    try:
        await run_sql(url, *setup)
        yield base.replace("//postgres@", f"//{user}@").replace("//root@", f"//{user}@") + f"/{db}"
    finally:
        await run_sql(url, *teardown)


# -- a dbmate-made table the role may not ALTER: work without the extra columns ------------


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_table_the_role_may_not_alter(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    await schemactl.create(db_url)
    await run_sql(  # dbmate applied 1 as the owner
        db_url,
        DBMATE_TABLE,
        "CREATE TABLE a (id INTEGER PRIMARY KEY)",
        "INSERT INTO schema_migrations (version) VALUES ('1')",
    )
    grants = {  # everything a migration needs, but not ALTER on the tracking table
        "postgresql": [
            "GRANT SELECT, INSERT, DELETE ON schema_migrations TO {user}",
            "GRANT CREATE ON SCHEMA public TO {user}",
        ],
        "mysql": ["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON `{db}`.* TO {user}"],
    }[dialect]
    async with limited_login(db_url, dialect, *grants) as url:
        result = await schemactl.up(url, migrations_dir=str(migrations))
        assert [m.version for m in result.applied] == ["2"]
        assert len(result.warnings) == 1
        assert "'schema_migrations' has no column checksum or applied_at" in result.warnings[0]
        assert "without checksums" in result.warnings[0]
        status = await schemactl.status(url, migrations_dir=str(migrations))
        assert [(m.version, m.applied, m.checksum_ok) for m in status.migrations] == [
            ("1", True, None),
            ("2", True, None),
        ]
        assert {"a", "b"} <= await tables(db_url)  # (before the role and its tables go)
    assert await columns(db_url) == ["version"]


async def test_read_only_postgresql_database(migrations: MigrationsDir) -> None:
    url = f"{PG_BASE}/wt_h1_{uuid.uuid4().hex[:10]}"
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    try:
        await schemactl.create(url)
        db = make_url(to_sqlalchemy_url(url)).database
        await run_sql(
            url,
            DBMATE_TABLE,
            "INSERT INTO schema_migrations (version) VALUES ('1')",
            f"ALTER DATABASE {db} SET default_transaction_read_only = on",
        )
        status = await schemactl.status(url, migrations_dir=str(migrations))  # reads only
        assert [m.applied for m in status.migrations] == [True, False]
        with pytest.raises(schemactl.MigrationFailedError) as caught:
            await schemactl.up(url, migrations_dir=str(migrations))
        first = str(caught.value).splitlines()[0]
        assert first.startswith(f"{migrations.path / '2_b.sql'}:2: ")
        assert "read-only transaction" in first
        assert "nothing of this migration was applied" in str(caught.value)
    finally:
        await schemactl.drop(url)


async def test_read_only_sqlite_file(tmp_path: Path, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    path = tmp_path / "wt_h1_ro.db"
    writable = f"sqlite:{path}"
    await schemactl.create(writable)
    await run_sql(writable, DBMATE_TABLE, "INSERT INTO schema_migrations (version) VALUES ('1')")
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    status = await schemactl.status(read_only, migrations_dir=str(migrations))
    assert [m.applied for m in status.migrations] == [True, False]
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(read_only, migrations_dir=str(migrations))
    assert str(caught.value).startswith(f"{migrations.path / '2_b.sql'}:2: ")
    assert "readonly database" in str(caught.value)
    assert await columns(writable) == ["version"]


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_no_select_on_the_tracking_table(db_url: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    await run_sql(db_url, DBMATE_TABLE)
    async with limited_login(db_url, "postgresql") as url:  # CONNECT only
        with pytest.raises(schemactl.StatementError) as caught:
            await schemactl.status(url, migrations_dir=str(migrations))
    message = str(caught.value)
    assert type(caught.value) is schemactl.StatementError  # exit 6, not a lost connection
    assert "\n" not in message
    assert "permission denied for table schema_migrations" in message


@pytest.mark.parametrize("dialect", ["mysql"])
async def test_no_select_on_the_tracking_table_mariadb(
    db_url: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    await run_sql(db_url, DBMATE_TABLE, "CREATE TABLE other (id INTEGER)")
    async with limited_login(db_url, "mysql", "GRANT SELECT ON `{db}`.other TO {user}") as url:
        with pytest.raises(schemactl.StatementError) as caught:
            await schemactl.status(url, migrations_dir=str(migrations))
    message = str(caught.value)
    assert type(caught.value) is schemactl.StatementError
    assert "\n" not in message
    assert "SELECT command denied" in message
    assert "schema_migrations" in message


# -- adding the columns is race-free --------------------------------------------------------


async def test_adding_a_column_another_run_just_added(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """Two runs read a dbmate-made table, both find the columns missing, both add them: the
    second one's ALTER meets columns that are there now, which is no failure."""
    await schemactl.create(db_url)
    await run_sql(db_url, DBMATE_TABLE)
    options = Options.build(migrations_dir=str(migrations))
    async with open_database(db_url, options) as db, open_session(db, options) as session:
        read = await session.tracking.read(session.conn)  # the stale read
        assert read is not None
        assert read.columns == {"version"}
        await session.runner.ensure_tracking_table()  # "the other run" adds them
        await session.runner._add_columns(list(EXTRA_COLUMNS))  # this run, from its read
        assert session.runner.warnings == []
        assert session.tracking.extra_columns == EXTRA_COLUMNS
    assert await columns(db_url) == ["version", "checksum", "applied_at"]


def test_parallel_runs_on_a_dbmate_table(
    db_url: str, dialect: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """Six `up` runs at once on a table dbmate made: each may find the columns missing and
    add them (SQLite and MySQL have no IF NOT EXISTS there); every run succeeds."""
    import anyio

    for i in range(1, 4):
        migrations.add(str(i), f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", f"DROP TABLE t{i};")

    async def prepare() -> None:
        await schemactl.create(db_url)
        await run_sql(db_url, DBMATE_TABLE)

    anyio.run(prepare)
    command = [sys.executable, "-m", "schemactl", "up", "--url", db_url, "-d", str(migrations)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    processes = [
        subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
        for _ in range(6)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert "warning" not in stderr, stderr
    assert anyio.run(columns, db_url) == ["version", "checksum", "applied_at"]


# -- the failure of one of schemactl's own statements is not a lost connection ---------------


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_no_create_privilege_for_the_failures_table(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    # transaction:false sections (and every section on MariaDB) are marked in
    # schema_migrations_failures first; creating it is refused
    migrations.add("1", "t", "INSERT INTO t (id) VALUES (1);", "", up_options="transaction:false")
    await schemactl.up(db_url, migrations_dir=str(migrations.path.parent / "empty"))
    await run_sql(db_url, "CREATE TABLE t (id INTEGER)")
    grants = {
        "postgresql": [
            "GRANT SELECT, INSERT, DELETE ON schema_migrations TO {user}",
            "GRANT SELECT, INSERT ON t TO {user}",
        ],
        # (MariaDB grants on a table that does not exist yet only database-wide)
        "mysql": ["GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.* TO {user}"],
    }[dialect]
    async with limited_login(db_url, dialect, *grants) as url:
        with pytest.raises(schemactl.MigrationFailedError) as caught:
            await schemactl.up(url, migrations_dir=str(migrations))
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{migrations.path / '1_t.sql'}: cannot mark it as running in ")
    assert "'schema_migrations_failures'" in lines[0]
    assert ("permission denied" if dialect == "postgresql" else "CREATE command denied") in (
        lines[0]
    )
    assert lines[1] == "no statement of this migration had run; it is not recorded as applied"
    assert caught.value.version == "1"
    assert await run_sql(db_url, "SELECT count(*) FROM t") == [[(0,)]]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["pending"]


@pytest.mark.parametrize("dialect", ["mysql"])  # elsewhere the insert is in the transaction
async def test_tracking_insert_refused_on_mariadb(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    await schemactl.up(db_url, migrations_dir=str(migrations.path.parent / "empty"))
    failures = TrackingTable("schema_migrations", mysql.dialect()).create_failures_sql()
    await run_sql(db_url, failures)  # to grant on it: MariaDB refuses grants on no table
    grants = [
        "GRANT CREATE, DROP ON `{db}`.* TO {user}",
        "GRANT SELECT, DELETE ON `{db}`.schema_migrations TO {user}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.schema_migrations_failures TO {user}",
    ]
    async with limited_login(db_url, "mysql", *grants) as url:
        with pytest.raises(schemactl.MigrationFailedError) as caught:
            await schemactl.up(url, migrations_dir=str(migrations))
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(
        f"{migrations.path / '1_a.sql'}: it ran, but recording it in 'schema_migrations' "
        "failed: (1142) INSERT command denied"
    )
    assert lines[1].startswith("statement 1 of 1 stays applied")
    assert "schemactl resolve 1" in lines[1]
    assert "a" in await tables(db_url)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["failed"]


async def test_migration_that_drops_the_tracking_table(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """The tracking row cannot be written: an SQL failure naming the migration (SQLite used
    to report it as a lost connection), and what stays is said truly."""
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add("2", "oops", "DROP TABLE schema_migrations;", "")
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert caught.value.version == "2"
    message = str(caught.value)
    assert message.startswith(str(migrations.path / "2_oops.sql"))
    present = await tables(db_url)
    if dialect == "mysql":
        assert "it ran, but recording it in 'schema_migrations' failed" in message
        assert "statement 1 of 1 stays applied" in message
        assert "schema_migrations" not in present
    else:
        assert message.splitlines()[-1].startswith("nothing of this migration was applied")
        assert "schema_migrations" in present


# -- MariaDB: what stays of a transactional section that failed --------------------------


@pytest.mark.parametrize("dialect", ["mysql"])  # implicit commits: MySQL/MariaDB
async def test_mariadb_dml_without_ddl_rolls_back(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    migrations.add(
        "2",
        "rows",
        "INSERT INTO t (id) VALUES (1);\nINSERT INTO t (id) VALUES (2);\nSELECT * FROM missing;",
        "",
    )
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    outcome = str(caught.value).splitlines()[1]
    assert outcome.startswith("statements 1-2 of 3 had run and were rolled back")
    assert "nothing of this migration stays" in outcome
    assert await run_sql(db_url, "SELECT count(*) FROM t") == [[(0,)]]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["applied", "pending"]  # no failure mark


@pytest.mark.parametrize("dialect", ["mysql"])
async def test_mariadb_ddl_stays_dml_after_it_rolls_back(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1",
        "a",
        "CREATE TABLE a (id INTEGER);\nINSERT INTO a (id) VALUES (1);\nSELECT * FROM missing;",
        "",
    )
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    outcome = str(caught.value).splitlines()[1]
    assert outcome.startswith("statement 1 of 3 stays applied (DDL commits implicitly")
    assert "; statement 2 was rolled back;" in outcome
    assert await run_sql(db_url, "SELECT count(*) FROM a") == [[(0,)]]  # the table, no row
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["failed"]
    assert "failed at line 4 with 1 statement(s) applied" in (status.migrations[0].failure or "")
