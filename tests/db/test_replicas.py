"""Replicas: a PostgreSQL hot standby streaming from a primary, both started by this module.
`status` and `wait --migrated` work on the standby and write nothing; `up`, `migrate`,
`rollback` and `resolve` refuse it before anything is attempted; `wait --version` waits
until the standby has replayed the migration (shown by pausing its WAL replay)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import asyncpg
import pymysql
import pytest

import schemactl
from tests.cli.test_cli import Cli, error_of
from tests.conftest import MigrationsDir
from tests.db.replication import Pair, ReadOnlyMariaDB

pytestmark = [pytest.mark.anyio, pytest.mark.own_server]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    started = Pair()
    try:
        yield started
    finally:
        started.stop()


@dataclass
class Replicated:
    """One database on the primary, and the same database as the standby sees it."""

    primary: str
    standby: str
    pair: Pair


async def sql(url: str, query: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def on_the_standby(url: str, query: str, expected: object) -> None:
    """Until ``query`` on the standby answers ``expected`` (replay is asynchronous)."""
    with anyio.fail_after(20):
        while True:
            try:
                if await sql(url, query) == expected:
                    return
            except asyncpg.InvalidCatalogNameError:  # the database not replayed yet
                pass
            await anyio.sleep(0.05)


@pytest.fixture
async def db(pair: Pair, request: pytest.FixtureRequest) -> AsyncIterator[Replicated]:
    assert pair.standby is not None
    name = f"replica_{request.node.name.replace('[', '_').strip(']')}"[:60].lower()
    await sql(f"{pair.primary.base_url}/postgres", f'CREATE DATABASE "{name}"')
    replicated = Replicated(
        f"{pair.primary.base_url}/{name}", f"{pair.standby.base_url}/{name}", pair
    )
    await on_the_standby(replicated.standby, "SELECT 1", 1)
    try:
        yield replicated
    finally:
        await sql(pair.standby.base_url + "/postgres", "SELECT pg_wal_replay_resume()")
        await sql(f"{pair.primary.base_url}/postgres", f'DROP DATABASE "{name}" WITH (FORCE)')


def two_migrations(migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")


def refused_writes(db: Replicated) -> list[str]:
    """The writes the standby refused, from its log ("ERROR:  cannot execute CREATE TABLE
    in a read-only transaction"; reads of a missing table are errors too, not these)."""
    assert db.pair.standby is not None
    lines = db.pair.standby.log.read_text().splitlines()
    return [line for line in lines if "ERROR:  cannot execute" in line]


async def test_status_works_on_the_standby(db: Replicated, migrations: MigrationsDir) -> None:
    """No tracking table yet anywhere: `status` on the standby reports everything pending
    (it creates nothing: the standby would refuse a write). After `up` on the primary and
    the replay, the standby's status shows both applied."""
    two_migrations(migrations)
    before = refused_writes(db)
    status = await schemactl.status(db.standby, migrations_dir=str(migrations))
    assert [m.applied for m in status.migrations] == [False, False]
    await schemactl.up(db.primary, migrations_dir=str(migrations))
    await schemactl.wait(db.standby, migrated=True, migrations_dir=str(migrations), timeout=20)
    status = await schemactl.status(db.standby, migrations_dir=str(migrations))
    assert [m.applied for m in status.migrations] == [True, True]
    assert refused_writes(db) == before


async def test_changes_are_refused_before_anything_is_attempted(
    db: Replicated, migrations: MigrationsDir
) -> None:
    """`up`, `migrate`, `rollback` and `resolve` on the standby: one ReadOnlyServerError
    each, and no statement of theirs reached the server (its log has no new refused write:
    one tried there would be "cannot execute ... in a read-only transaction")."""
    two_migrations(migrations)
    await schemactl.up(db.primary, migrations_dir=str(migrations), to="1")
    await schemactl.wait(db.standby, version="1", migrations_dir=str(migrations), timeout=20)
    before = refused_writes(db)
    calls = [
        schemactl.up(db.standby, migrations_dir=str(migrations)),
        schemactl.migrate(db.standby, migrations_dir=str(migrations)),
        schemactl.up(db.standby, migrations_dir=str(migrations), to="1"),  # nothing pending
        schemactl.rollback(db.standby, migrations_dir=str(migrations)),
        schemactl.resolve(db.standby, "2", applied=True, migrations_dir=str(migrations)),
    ]
    for call in calls:
        with pytest.raises(schemactl.ReadOnlyServerError) as caught:
            await call
        message = str(caught.value)
        assert "is a read-only standby (pg_is_in_recovery() is true)" in message
        assert "nothing was attempted" in message
        assert caught.value.exit_code == 8
    assert refused_writes(db) == before
    status = await schemactl.status(db.primary, migrations_dir=str(migrations))
    assert [m.applied for m in status.migrations] == [True, False]


async def test_up_on_the_standby_does_not_try_to_create_a_database(
    db: Replicated, migrations: MigrationsDir
) -> None:
    two_migrations(migrations)
    assert db.pair.standby is not None
    missing = f"{db.pair.standby.base_url}/replica_missing"
    before = refused_writes(db)
    with pytest.raises(schemactl.ReadOnlyServerError) as caught:
        await schemactl.up(missing, migrations_dir=str(migrations))
    assert str(caught.value).startswith("postgresql://127.0.0.1 is a read-only standby")
    assert refused_writes(db) == before


async def test_the_cli_refuses_in_one_line(
    db: Replicated, migrations: MigrationsDir, tmp_path: Path
) -> None:
    two_migrations(migrations)
    cli = Cli(tmp_path)
    calls = [("up", "--url", db.standby, "--migrations-dir", str(migrations))]
    calls += [("migrate", *calls[0][1:]), ("rollback", *calls[0][1:])]
    for result in await anyio.to_thread.run_sync(lambda: cli.many(*calls)):
        message = error_of(result, 8)
        assert "is a read-only standby" in message, result
    status = await anyio.to_thread.run_sync(
        lambda: cli("status", "--url", db.standby, "--migrations-dir", str(migrations))
    )
    assert status.code == 0, status
    assert "2_b.sql" in status.out, status


async def test_wait_for_a_version_waits_for_the_replay(
    db: Replicated, migrations: MigrationsDir
) -> None:
    """Replay paused on the standby, `up` on the primary applies 2: the wait for 2 on the
    standby goes on (the wait for 1 does not) until replay resumes, then ends."""
    two_migrations(migrations)
    await schemactl.up(db.primary, migrations_dir=str(migrations), to="1")
    await schemactl.wait(db.standby, version="1", migrations_dir=str(migrations), timeout=20)
    await sql(db.standby, "SELECT pg_wal_replay_pause()")
    await on_the_standby(db.standby, "SELECT pg_get_wal_replay_pause_state()", "paused")
    await schemactl.up(db.primary, migrations_dir=str(migrations))
    assert (await schemactl.status(db.primary, migrations_dir=str(migrations))).pending == ()

    one = await schemactl.wait(db.standby, version="1", migrations_dir=str(migrations), timeout=5)
    assert one.attempts == 1
    assert one.version == "1"
    assert one.migrated
    with pytest.raises(schemactl.WaitTimeoutError) as caught:
        await schemactl.wait(db.standby, migrated=True, migrations_dir=str(migrations), timeout=1)
    assert "1 pending migration (first: 2_b.sql)" in str(caught.value)

    finished: list[float] = []

    async def waiter() -> None:
        result = await schemactl.wait(
            db.standby, migrated=True, version="2", migrations_dir=str(migrations), timeout=30
        )
        assert result.version == "2"
        assert result.attempts > 1
        finished.append(time.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await anyio.sleep(2)
        assert not finished  # replay paused: the standby has not got 2 yet
        resumed = time.monotonic()
        await sql(db.standby, "SELECT pg_wal_replay_resume()")
    assert finished
    assert resumed < finished[0] < resumed + 5
    status = await schemactl.status(db.standby, migrations_dir=str(migrations))
    assert status.pending == ()


async def test_wait_for_a_version_no_file_has(db: Replicated, migrations: MigrationsDir) -> None:
    two_migrations(migrations)
    with pytest.raises(schemactl.ConfigurationError) as caught:
        await schemactl.wait(db.standby, version="3", migrations_dir=str(migrations), timeout=5)
    assert str(caught.value) == "--version 3: no migration file has that version"


async def test_wait_version_from_the_cli(
    db: Replicated, migrations: MigrationsDir, tmp_path: Path
) -> None:
    two_migrations(migrations)
    await schemactl.up(db.primary, migrations_dir=str(migrations), to="1")
    cli = Cli(tmp_path)
    args = ("wait", "--url", db.standby, "--migrations-dir", str(migrations), "--timeout", "20")
    ok = await anyio.to_thread.run_sync(lambda: cli(*args, "--version", "1"))
    assert ok.code == 0, ok
    assert "Migration 1 is applied" in ok.err, ok
    late = await anyio.to_thread.run_sync(lambda: cli(*args[:-1], "1", "--version", "2"))
    assert "was not migrated after 1s" in error_of(late, 5)


@pytest.fixture(scope="module")
def mariadb() -> Iterator[ReadOnlyMariaDB]:
    server = ReadOnlyMariaDB()
    try:
        yield server
    finally:
        server.stop()


def mariadb_sql(server: ReadOnlyMariaDB, *statements: str) -> list[tuple[object, ...]]:
    """Run ``statements`` as root (who writes despite read_only); the last one's rows."""
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", autocommit=True)
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return list(cursor.fetchall())
    finally:
        conn.close()


async def test_a_read_only_mariadb_is_refused(
    mariadb: ReadOnlyMariaDB, migrations: MigrationsDir
) -> None:
    """On a server with read_only ON, `status` works and `up`, `rollback` and `resolve` are
    refused, for root too (whose privileges pass read_only: writing would diverge a replica)
    and for a database that does not exist (it is not created). Once read_only is OFF the
    same `up` applies: the refusal follows the server, not the URL; ON again, an `up` with
    nothing pending is refused as well."""
    two_migrations(migrations)
    mariadb_sql(
        mariadb,
        "CREATE DATABASE replica_app",
        "CREATE USER app@'%'",
        "GRANT ALL ON replica_app.* TO app@'%'",
    )
    root, app = mariadb.url("root", "replica_app"), mariadb.url("app", "replica_app")
    for url in (root, app):
        status = await schemactl.status(url, migrations_dir=str(migrations))
        assert [m.applied for m in status.migrations] == [False, False]
    calls = [
        schemactl.up(root, migrations_dir=str(migrations)),
        schemactl.up(app, migrations_dir=str(migrations)),
        schemactl.up(mariadb.url("root", "replica_missing"), migrations_dir=str(migrations)),
        schemactl.rollback(root, migrations_dir=str(migrations)),
        schemactl.resolve(root, "1", applied=True, migrations_dir=str(migrations)),
    ]
    for call in calls:
        with pytest.raises(schemactl.ReadOnlyServerError) as caught:
            await call
        assert "is a read-only replica (@@read_only is ON)" in str(caught.value)
    assert mariadb_sql(mariadb, "SHOW TABLES FROM replica_app") == []
    assert mariadb_sql(mariadb, "SHOW DATABASES LIKE 'replica_missing'") == []

    mariadb_sql(mariadb, "SET GLOBAL read_only = OFF")
    try:
        result = await schemactl.up(app, migrations_dir=str(migrations))
        assert [m.version for m in result.applied] == ["1", "2"]
    finally:
        mariadb_sql(mariadb, "SET GLOBAL read_only = ON")
    with pytest.raises(schemactl.ReadOnlyServerError):  # nothing pending: refused all the same
        await schemactl.up(app, migrations_dir=str(migrations))
