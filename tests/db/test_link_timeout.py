"""A link that goes silent mid-migration (packets dropped, no reset) ends the run with exit 5
within about --link-timeout, while a statement slower than that bound on a healthy link is
left alone: TCP keepalives fail only when the peer's kernel stops answering.

The black hole is real (tests/db/proxy.py: the proxy stops forwarding, keeps its sockets
open, and the client's packets to it are dropped in the kernel), which needs CAP_NET_ADMIN.
The state is then read on a direct connection, never through the proxy.
"""

from __future__ import annotations

import os
import shutil
import time

import anyio
import pytest

import schemactl
from tests.conftest import MigrationsDir
from tests.db.proxy import tcp_proxy
from tests.db.test_faults import (
    applied_versions,
    direct,
    expect_interrupted,
    has_table,
    running,
    terminate_leftovers,
    wait_until,
)

pytestmark = pytest.mark.anyio

SLEEP = {"postgresql": "SELECT pg_sleep({})", "mysql": "SELECT SLEEP({})"}
needs_net_admin = pytest.mark.skipif(  # (in CI they must run: there a missing tool fails them)
    not os.environ.get("CI") and (os.geteuid() != 0 or shutil.which("ip") is None),
    reason="dropping packets (a blackhole route) needs root and iproute2",
)


def slow_then_more(dialect: str, seconds: int) -> str:
    sleep = SLEEP[dialect].format(seconds)
    return f"{sleep};\nCREATE TABLE slow (id INTEGER);\nCREATE TABLE after (id INTEGER);"


@needs_net_admin
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_black_holed_link_ends_with_exit_5(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    migrations.add("1", "slow", slow_then_more(dialect, 1), "DROP TABLE after;\nDROP TABLE slow;")
    sleep = SLEEP[dialect].format(1)
    async with direct(db_url) as conn, tcp_proxy(db_url, black_hole=True) as proxy:
        holed_at = 0.0

        async def black_hole_mid_migration() -> None:
            nonlocal holed_at
            started = await wait_until(lambda: running(conn, dialect, db_url, sleep), timeout=10)
            assert started is not None, "the migration never started"
            proxy.black_hole()
            holed_at = time.monotonic()

        error: Exception | None = None
        try:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    group.start_soon(black_hole_mid_migration)
                    try:
                        await schemactl.up(
                            proxy.url(db_url),
                            migrations_dir=str(migrations),
                            lock_timeout=5,
                            link_timeout=2,
                        )
                    except Exception as exc:
                        error = exc
            failed_after = time.monotonic() - holed_at
            print(f"[link-timeout] {dialect}: {failed_after:.2f}s after the black hole: {error}")
            assert holed_at, "the link was never black-holed"
            assert isinstance(error, schemactl.DatabaseConnectionError), repr(error)
            message = str(error)
            assert message.count("\n") == 0, message
            assert "lost the connection to" in message, message
            assert "1_slow.sql" in message, message
            # (A remote black hole ends with ETIMEDOUT, worded "no reply for 2 s"; this local
            # blackhole route makes the kernel record EINVAL for the probes it discards.)
            assert failed_after < 6.0, f"the error came {failed_after:.1f}s after the black hole"
        finally:
            proxy.remove_black_hole()
            await anyio.sleep(1.5)  # (the server finishes what it had received)
            await terminate_leftovers(conn, dialect, db_url)

        # The state is truthful, read straight from the server.
        versions = await applied_versions(conn)
        tables = (await has_table(conn, "slow"), await has_table(conn, "after"))
    if dialect == "mysql":
        # One statement at a time: after the sleep nothing more reached the server, and the
        # migration stays marked as interrupted until resolved.
        assert (versions, tables) == (set(), (False, False))
        await expect_interrupted(db_url, migrations)
    else:
        # BEGIN, the script, the tracking row and COMMIT went in one round trip before the
        # link died: the server commits all of it or (had it noticed) none, never a part.
        assert tables[0] == tables[1], tables
        assert (versions == {"1"}) == tables[0], (versions, tables)
        status = await schemactl.status(db_url, migrations_dir=str(migrations))
        assert [m.applied for m in status.migrations] == [versions == {"1"}]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_statement_longer_than_the_bound_on_a_healthy_link(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """The bound is on silence at the TCP level, not on how long a statement runs."""
    await schemactl.create(db_url)
    migrations.add("1", "slow", slow_then_more(dialect, 4), "DROP TABLE after;\nDROP TABLE slow;")
    async with tcp_proxy(db_url) as proxy:
        started = time.monotonic()
        with anyio.fail_after(30):
            result = await schemactl.up(
                proxy.url(db_url), migrations_dir=str(migrations), link_timeout=2
            )
        took = time.monotonic() - started
    print(f"[link-timeout] {dialect}: a 4 s statement with link_timeout=2 applied in {took:.1f}s")
    assert [m.version for m in result.applied] == ["1"]
    assert took >= 4.0
    async with direct(db_url) as conn:
        assert await applied_versions(conn) == {"1"}


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
async def test_link_timeout_must_be_finite_and_positive(value: float) -> None:
    with pytest.raises(schemactl.ConfigurationError, match="link timeout must be more than 0"):
        await schemactl.up("sqlite:unused.db", link_timeout=value)
