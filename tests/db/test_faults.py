"""Faults injected for real: a SIGKILLed `schemactl up`, a dropped TCP connection, a cancelled
call. Afterwards nothing half-applied is recorded, and the migration lock is free again soon.

Everything is checked on a direct connection to the server, never through schemactl or the
proxy under test. The timings measured are printed (``pytest -s``) and are in the messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import DEVNULL, PIPE
from typing import Any

import anyio
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

import schemactl
from schemactl._urls import to_sqlalchemy_url
from schemactl.dialects import dialect_for
from schemactl.dialects._base import int64_key
from tests.conftest import MigrationsDir
from tests.db.proxy import Proxy, tcp_proxy

pytestmark = pytest.mark.anyio

TABLE = "schema_migrations"
# How long the migration lock may stay held once its holder is gone. MariaDB's SLEEP() looks
# at the client connection every 5 s (it then ends the session and its GET_LOCK); PostgreSQL
# notices at once with client_connection_check_interval, otherwise only when the statement
# ends and it writes to the socket.
LOCK_RELEASE_BOUND = {"postgresql": 3.0, "mysql": 7.0, "sqlite": 0.0}


def report(what: str) -> None:
    print(f"[faults] {what}")  # visible with pytest -s


# -- looking at the server directly ------------------------------------------------------------


@asynccontextmanager
async def direct(url: str, *, no_database: bool = False) -> AsyncIterator[AsyncConnection]:
    """One autocommit connection straight to the database (not through schemactl's code), or
    with ``no_database`` to the MariaDB server with no default database."""
    parsed = to_sqlalchemy_url(url)
    if no_database:
        parsed = parsed._replace(database=None)
    engine = create_async_engine(parsed, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


def database_name(url: str) -> str:
    return to_sqlalchemy_url(url).database or ""


def lock_key(url: str) -> str:
    return dialect_for(to_sqlalchemy_url(url)).lock_key(TABLE)


async def scalar(conn: AsyncConnection, sql: str, **params: Any) -> Any:
    return (await conn.execute(text(sql), params)).scalar()


async def applied_versions(conn: AsyncConnection) -> set[str]:
    if not await has_table(conn, TABLE):
        return set()
    return {str(row[0]) for row in await conn.execute(text(f"SELECT version FROM {TABLE}"))}


async def has_table(conn: AsyncConnection, name: str) -> bool:
    return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(name)))


async def lock_holder(conn: AsyncConnection, dialect: str, url: str) -> int | None:
    """The server session holding the migration lock of ``url``, or None."""
    if dialect == "postgresql":
        number = int64_key(lock_key(url)) & 0xFFFFFFFFFFFFFFFF
        holder = await scalar(
            conn,
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :classid AND objid = :objid",
            classid=number >> 32,
            objid=number & 0xFFFFFFFF,
        )
    elif dialect == "mysql":
        holder = await scalar(conn, "SELECT IS_USED_LOCK(:key)", key=lock_key(url))
    else:
        return None
    return None if holder is None else int(holder)


async def schemactl_sessions(conn: AsyncConnection, dialect: str, url: str) -> list[str]:
    """The server sessions other than ours on the database, as 'id state: query'."""
    if dialect == "postgresql":
        sql = (
            "SELECT pid || ' ' || coalesce(state, '') || ': ' || coalesce(query, '') "
            "FROM pg_stat_activity WHERE datname = :db AND application_name = 'schemactl'"
        )
    elif dialect == "mysql":
        sql = (
            "SELECT CONCAT(ID, ' ', COMMAND, ': ', COALESCE(INFO, '')) "
            "FROM information_schema.PROCESSLIST WHERE DB = :db AND ID <> CONNECTION_ID()"
        )
    else:
        return []
    return [str(row[0]) for row in await conn.execute(text(sql), {"db": database_name(url)})]


async def running(conn: AsyncConnection, dialect: str, url: str, statement: str) -> bool:
    """A schemactl session is executing ``statement`` (a prefix of it) right now."""
    if dialect == "postgresql":
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
            "AND application_name = 'schemactl' AND state = 'active' AND query LIKE :pattern"
        )
    else:
        sql = (
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = :db "
            "AND ID <> CONNECTION_ID() AND INFO LIKE :pattern"
        )
    count = await scalar(conn, sql, db=database_name(url), pattern=f"%{statement}%")
    return bool(count)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float) -> float | None:
    """Seconds until ``check()`` was true, or None if it still was not after ``timeout``."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started >= timeout:
            return None
        await anyio.sleep(0.05)


async def terminate_leftovers(conn: AsyncConnection, dialect: str, url: str) -> None:
    """Clean-up only: end schemactl sessions a test left behind on the server."""
    for session in await schemactl_sessions(conn, dialect, url):
        ident = int(session.split(" ", 1)[0])
        if dialect == "postgresql":
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ident})
        else:
            await conn.execute(text(f"KILL {ident}"))


# -- 1. a SIGKILLed `schemactl up` ------------------------------------------------------------

# The slow statement of each database, and the migration around it. MariaDB commits DDL
# implicitly, so its sleep comes first: a kill during it must leave nothing at all.
SLEEP_30 = {
    "postgresql": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 2000000000) SELECT count(*) FROM c",
}
CREATE = "CREATE TABLE slow (id INTEGER);"


def slow_up(dialect: str, sleep: str) -> str:
    if dialect == "mysql":
        return f"{sleep};\n{CREATE}"
    return f"{CREATE}\n{sleep};"


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}


def cli(command: str, url: str, migrations: MigrationsDir, *extra: str) -> list[str]:
    """A `schemactl` command line with the URL and the migrations directory."""
    return [
        sys.executable,
        *("-m", "schemactl", command, "--url", url, "-d", str(migrations), *extra),
    ]


def up_command(url: str, migrations: MigrationsDir, *extra: str) -> list[str]:
    return cli("up", url, migrations, "--json", *extra)


async def start_and_kill(
    url: str, dialect: str, migrations: MigrationsDir, cwd: Path, conn: AsyncConnection, sleep: str
) -> float:
    """Start `schemactl up`, SIGKILL it once the slow statement runs; the time of the kill."""
    command = up_command(url, migrations, "--lock-timeout", "5")
    async with await anyio.open_process(
        command, stdout=DEVNULL, stderr=PIPE, env=cli_env(), cwd=cwd
    ) as process:
        try:

            async def is_running() -> bool:
                if process.returncode is not None:
                    assert process.stderr is not None
                    errors = b""
                    with contextlib.suppress(anyio.EndOfStream):
                        errors = await process.stderr.receive()
                    pytest.fail(f"`up` ended by itself ({process.returncode}): {errors!r}")
                if dialect == "sqlite":  # the migration's transaction has written
                    return Path(f"{database_name(url)}-journal").exists()
                return await running(conn, dialect, url, sleep)

            started = await wait_until(is_running, timeout=15)
            assert started is not None, "the slow migration never started"
            await anyio.sleep(1.0 if dialect == "sqlite" else 0.3)  # well inside it
            assert process.returncode is None
            process.kill()
            await process.wait()
            return time.monotonic()
        finally:
            if process.returncode is None:
                process.kill()


async def test_killed_up_leaves_nothing_and_frees_the_lock(
    db_url: str, dialect: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    await schemactl.create(db_url)
    file = migrations.add("1", "slow", slow_up(dialect, SLEEP_30[dialect]), "DROP TABLE slow;")
    async with direct(db_url) as conn:
        try:
            killed_at = await start_and_kill(
                db_url, dialect, migrations, tmp_path, conn, SLEEP_30[dialect]
            )
            bound = LOCK_RELEASE_BOUND[dialect]
            released = await wait_until(
                lambda: _lock_free(conn, dialect, db_url), timeout=max(bound, 0.1)
            )
            measured = time.monotonic() - killed_at
            report(f"{dialect}: lock free {released}s after SIGKILL (bound {bound}s)")
            leftovers = await schemactl_sessions(conn, dialect, db_url)
            assert released is not None, (
                f"{dialect}: the migration lock was still held {measured:.1f}s after "
                f"`up` was SIGKILLed, by the orphaned server session {leftovers}"
            )
            gone = await wait_until(
                lambda: _no_sessions(conn, dialect, db_url), timeout=max(bound, 0.1)
            )
            assert gone is not None, f"orphaned sessions: {leftovers}"
        finally:
            await terminate_leftovers(conn, dialect, db_url)
        assert "1" not in await applied_versions(conn)
        assert not await has_table(conn, "slow")

    if dialect == "mysql":
        # Without transactional DDL the run cannot know what of the migration had run: it stays
        # marked as interrupted until resolved (here nothing had: the sleep comes first).
        await expect_interrupted(db_url, migrations)
        command = cli("resolve", db_url, migrations, "1", "--rolled-back", "--lock-timeout", "5")
        resolved = await run_cli(command, tmp_path)
        assert resolved.returncode == 0, resolved.stderr.decode()
    file.write_text(f"-- migrate:up\n{CREATE}\n-- migrate:down\nDROP TABLE slow;\n")
    result = await run_cli(up_command(db_url, migrations, "--lock-timeout", "5"), tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert [m["version"] for m in json.loads(result.stdout)["applied"]] == ["1"]


async def run_cli(command: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    with anyio.fail_after(20):
        return await anyio.run_process(command, check=False, env=cli_env(), cwd=cwd)


async def expect_interrupted(url: str, migrations: MigrationsDir) -> None:
    """MySQL: the migration the fault stopped is marked as interrupted, not applied."""
    status = await schemactl.status(url, migrations_dir=str(migrations))
    states = [(m.version, m.state, m.failure) for m in status.migrations]
    assert [state[:2] for state in states] == [("1", "failed")], states
    assert "interrupted" in (status.migrations[0].failure or ""), states


async def _lock_free(conn: AsyncConnection, dialect: str, url: str) -> bool:
    return await lock_holder(conn, dialect, url) is None


async def _no_sessions(conn: AsyncConnection, dialect: str, url: str) -> bool:
    return not await schemactl_sessions(conn, dialect, url)


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_killed_up_is_not_committed_later_by_its_orphaned_session(
    db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """PostgreSQL gets BEGIN, the script, the tracking INSERT and COMMIT in one simple query.
    Unless the server checks the client while a statement runs, the orphaned backend finishes
    the whole batch after the kill, COMMIT included: a run that was killed applies its
    migration anyway, when the slow statement ends (seconds or hours later)."""
    await schemactl.create(db_url)
    sleep = "SELECT pg_sleep(2)"
    migrations.add("1", "slow", slow_up("postgresql", sleep), "DROP TABLE slow;")
    async with direct(db_url) as conn:
        try:
            killed_at = await start_and_kill(
                db_url, "postgresql", migrations, tmp_path, conn, sleep
            )
            gone = await wait_until(lambda: _no_sessions(conn, "postgresql", db_url), timeout=5)
            report(
                f"postgresql: the killed run's session ended {time.monotonic() - killed_at:.2f}s "
                "after SIGKILL"
            )
            assert gone is not None
        finally:
            await terminate_leftovers(conn, "postgresql", db_url)
        versions = await applied_versions(conn)
        table = await has_table(conn, "slow")
    assert (versions, table) == (set(), False), (
        "the SIGKILLed run's migration was committed after the kill by its orphaned server "
        f"session: tracking rows {versions}, table 'slow' exists: {table}"
    )


# -- 2. a dropped connection ---------------------------------------------------------------------


class Problems:
    """Checks that go on after a failed one, so that one run of a test shows every problem."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.found.append(problem)

    def assert_none(self) -> None:
        assert not self.found, "\n".join(f"- {problem}" for problem in self.found)


async def up_and_cut(
    proxy: Proxy,
    url: str,
    migrations: MigrationsDir,
    lock_timeout: float,
    cut_when: Callable[[], Awaitable[None]],
) -> tuple[Exception | None, float]:
    """`up` through the proxy, cut once ``cut_when()`` returns: (the error, seconds from the
    cut until `up` returned)."""
    cut_at = 0.0

    async def cut() -> None:
        nonlocal cut_at
        await cut_when()
        await proxy.cut()
        cut_at = time.monotonic()

    error: Exception | None = None
    with anyio.fail_after(lock_timeout + 10):
        async with anyio.create_task_group() as group:
            group.start_soon(cut)
            try:
                await schemactl.up(
                    proxy.url(url), migrations_dir=str(migrations), lock_timeout=lock_timeout
                )
            except Exception as exc:
                error = exc
    assert cut_at, "the proxy was never cut"
    return error, time.monotonic() - cut_at


def describe(error: Exception | None) -> str:
    return "no error" if error is None else f"{type(error).__module__}.{error!r}"


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_connection_cut_during_a_migration(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    sleep = {"postgresql": "SELECT pg_sleep(2)", "mysql": "SELECT SLEEP(2)"}[dialect]
    migrations.add("1", "slow", slow_up(dialect, sleep), "DROP TABLE slow;")
    problems = Problems()
    async with direct(db_url) as conn, tcp_proxy(db_url) as proxy:

        async def while_running() -> None:
            started = await wait_until(lambda: running(conn, dialect, db_url, sleep), timeout=10)
            assert started is not None, "the migration never started"
            await anyio.sleep(0.5)

        try:
            error, failed_after = await up_and_cut(proxy, db_url, migrations, 5, while_running)
            report(f"{dialect}: cut during a migration: {failed_after:.2f}s later: {error}")
            problems.check(
                isinstance(error, schemactl.DatabaseConnectionError),
                f"expected DatabaseConnectionError (exit 5), got {describe(error)}",
            )
            problems.check("1_slow.sql" in str(error), "the error does not name 1_slow.sql")
            problems.check(failed_after < 2.0, f"the error came {failed_after:.1f}s after the cut")
            # The server may go on until the statement ends; once its session is gone:
            released = await wait_until(lambda: _lock_free(conn, dialect, db_url), timeout=5)
            gone = await wait_until(lambda: _no_sessions(conn, dialect, db_url), timeout=5)
            report(f"{dialect}: after the cut, lock free {released}s, session gone {gone}s later")
            assert released is not None, "the lock stayed held"
            assert gone is not None, "the server session stayed"
        finally:
            await terminate_leftovers(conn, dialect, db_url)
        versions = await applied_versions(conn)
        table = await has_table(conn, "slow")
        problems.check(
            (versions, table) == (set(), False),
            "the run failed on a lost connection, yet its server session went on and "
            f"committed the migration: tracking rows {versions}, table 'slow' exists: {table}",
        )

        if dialect == "mysql":
            await expect_interrupted(db_url, migrations)
            await schemactl.resolve(db_url, "1", applied=False, migrations_dir=str(migrations))
        await proxy.restore()
        with anyio.fail_after(15):
            result = await schemactl.up(
                proxy.url(db_url), migrations_dir=str(migrations), lock_timeout=5
            )
        applied = [m.version for m in result.applied]
        problems.check(applied == ["1"], f"the re-run applied {applied}, not ['1']")
        assert await has_table(conn, "slow")
        assert await applied_versions(conn) == {"1"}
    problems.assert_none()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_connection_cut_while_waiting_for_the_lock(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    migrations.add("1", "a", CREATE, "DROP TABLE slow;")
    problems = Problems()
    # MariaDB's named locks are server-wide: the holder stays off the database, so that the
    # sessions on the database are schemactl's.
    holding = direct(db_url, no_database=dialect == "mysql")
    async with direct(db_url) as conn, holding as holder, tcp_proxy(db_url) as proxy:
        if dialect == "postgresql":
            key: int | str = int64_key(lock_key(db_url))
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        else:
            key = lock_key(db_url)
            assert await scalar(holder, "SELECT GET_LOCK(:key, 0)", key=key) == 1

        async def while_waiting() -> None:
            connected = await wait_until(lambda: _accepted(proxy), timeout=10)
            assert connected is not None, "`up` never connected"
            await anyio.sleep(1.0)  # it polls the lock by now: it cannot get past it

        lock_timeout = 30.0
        error, failed_after = await up_and_cut(
            proxy, db_url, migrations, lock_timeout, while_waiting
        )
        report(f"{dialect}: cut while waiting for the lock: {failed_after:.2f}s later: {error!r}")
        problems.check(
            failed_after < 2.0, f"`up` returned {failed_after:.1f}s after the cut, not at once"
        )
        gone = await wait_until(lambda: _no_sessions(conn, dialect, db_url), timeout=5)
        report(f"{dialect}: its server session gone {gone}s after that")
        left = await schemactl_sessions(conn, dialect, db_url)
        problems.check(gone is not None, f"the server session of the cut run stayed: {left}")
        problems.check(
            isinstance(error, schemactl.DatabaseConnectionError),
            f"expected DatabaseConnectionError (exit 5), got {describe(error)}",
        )

        if dialect == "postgresql":
            await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        else:
            await holder.execute(text("SELECT RELEASE_LOCK(:key)"), {"key": key})
        await proxy.restore()
        with anyio.fail_after(15):
            result = await schemactl.up(
                proxy.url(db_url), migrations_dir=str(migrations), lock_timeout=5
            )
        assert [m.version for m in result.applied] == ["1"]
    problems.assert_none()


async def _accepted(proxy: Proxy) -> bool:
    return proxy.accepted > 0


# -- 3. cancellation -----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_cancelled_up_leaves_no_running_statement_and_no_lock(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    sleep = "SELECT pg_sleep(20)"
    migrations.add("1", "slow", slow_up(dialect, sleep), "DROP TABLE slow;")
    async with direct(db_url) as conn:
        seen: float | None = None

        async def watch() -> None:
            nonlocal seen
            seen = await wait_until(lambda: running(conn, dialect, db_url, sleep), timeout=5)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(watch)
                started = time.monotonic()
                with pytest.raises(TimeoutError), anyio.fail_after(1.0):
                    await schemactl.up(db_url, migrations_dir=str(migrations))
                returned_after = time.monotonic() - started
            assert seen is not None, "the slow statement never ran"
            cancelled_at = time.monotonic()
            stopped = await wait_until(
                lambda: _not_running(conn, dialect, db_url, sleep), timeout=2
            )
            released = await wait_until(lambda: _lock_free(conn, dialect, db_url), timeout=2)
            gone = await wait_until(lambda: _no_sessions(conn, dialect, db_url), timeout=2)
            sessions = await schemactl_sessions(conn, dialect, db_url)
            report(
                f"postgresql: cancelled `up` returned {returned_after:.2f}s after the start "
                f"(deadline 1s); statement stopped after {stopped}s, lock free after "
                f"{released}s, sessions gone after {gone}s "
                f"({time.monotonic() - cancelled_at:.2f}s): {sessions}"
            )
            assert returned_after < 2.0
            assert stopped is not None, f"still running: {sessions}"
            assert released is not None, f"lock still held: {sessions}"
            assert gone is not None, f"sessions left open: {sessions}"
        finally:
            await terminate_leftovers(conn, dialect, db_url)
        assert "1" not in await applied_versions(conn)
        assert not await has_table(conn, "slow")


async def _not_running(conn: AsyncConnection, dialect: str, url: str, statement: str) -> bool:
    return not await running(conn, dialect, url, statement)
