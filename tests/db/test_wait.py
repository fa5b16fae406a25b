"""`wait`: ready means the server accepts and authenticates, even without the database."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest

import schemactl
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir, server

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def late_proxy(port: int, target: int, delay: float) -> AsyncIterator[None]:
    """After ``delay`` seconds, listen on ``port`` and forward every connection to ``target``."""

    async def pipe(source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream) -> None:
        try:
            async for chunk in source:
                await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            await sink.aclose()

    async def handle(client: anyio.abc.SocketStream) -> None:
        async with (
            client,
            await anyio.connect_tcp("127.0.0.1", target) as server,
            anyio.create_task_group() as group,
        ):
            group.start_soon(pipe, client, server)
            group.start_soon(pipe, server, client)

    async def serve() -> None:
        await anyio.sleep(delay)
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
        async with listener:
            await listener.serve(handle)

    async with anyio.create_task_group() as group:
        group.start_soon(serve)
        yield
        group.cancel_scope.cancel()


@asynccontextmanager
async def silent_server(port: int) -> AsyncIterator[None]:
    """Accepts connections and never says a word (a half-booted server, a black hole)."""

    async def handle(client: anyio.abc.SocketStream) -> None:
        async with client:
            await anyio.sleep(3600)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        yield
        group.cancel_scope.cancel()


@pytest.mark.parametrize("base", [PG_BASE, MYSQL_BASE])
async def test_ready_even_if_the_database_does_not_exist(base: str) -> None:
    result = await schemactl.wait(f"{base}/sct_never_created", timeout=5)
    assert result.attempts == 1


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_notices_a_server_coming_up_quickly(dialect: str) -> None:
    proxy_port = free_port()
    port = server(dialect).port
    assert port is not None
    base = PG_BASE if dialect == "postgresql" else MYSQL_BASE
    url = base.replace(f":{port}", f":{proxy_port}") + "/sct_wait"
    async with late_proxy(proxy_port, port, delay=1.5):
        started = time.monotonic()
        result = await schemactl.wait(url, timeout=10)
        elapsed = time.monotonic() - started
    assert result.attempts > 1
    assert 1.5 <= elapsed < 1.5 + 0.8  # noticed within about half a second


@pytest.mark.parametrize("base", [PG_BASE, MYSQL_BASE])
async def test_gives_up_on_time(base: str) -> None:
    port = free_port()  # nothing listens here
    url = base.rsplit(":", 1)[0] + f":{port}/sct_wait"
    started = time.monotonic()
    with pytest.raises(schemactl.WaitTimeoutError, match=r"not ready after 1s"):
        await schemactl.wait(url, timeout=1)
    assert 1.0 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize("base", [PG_BASE, MYSQL_BASE])
async def test_gives_up_on_time_against_a_silent_server(base: str) -> None:
    port = free_port()
    url = base.rsplit(":", 1)[0] + f":{port}/sct_wait"
    async with silent_server(port):
        started = time.monotonic()
        with pytest.raises(schemactl.WaitTimeoutError):
            await schemactl.wait(url, timeout=1)
        assert 1.0 <= time.monotonic() - started < 1.5


async def test_wrong_credentials_fail_at_once() -> None:
    url = MYSQL_BASE.replace("root@", "no_such_user:wrong@") + "/sct_wait"
    started = time.monotonic()
    with pytest.raises(schemactl.DatabaseConnectionError, match="Access denied") as caught:
        await schemactl.wait(url, timeout=30)
    assert time.monotonic() - started < 2
    assert "wrong" not in str(caught.value)
    assert not isinstance(caught.value, schemactl.WaitTimeoutError)


async def test_negative_timeout_is_refused() -> None:
    with pytest.raises(schemactl.ConfigurationError, match="zero or more"):
        await schemactl.wait(f"{PG_BASE}/sct_wait", timeout=-1)


async def test_wait_then_up_on_a_fresh_server(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    result = await schemactl.up(db_url, migrations_dir=str(migrations), wait=True, wait_timeout=5)
    assert result.created_database
    assert [m.version for m in result.applied] == ["1"]
