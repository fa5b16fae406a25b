"""A TCP proxy in front of a real database server that a test can cut and restore.

``cut()`` closes every proxied connection on both sides (the client and the server each see
the peer close the socket, as when a load balancer or NAT drops the flow) and stops listening,
so new connections are refused. ``restore()`` listens again on the same port.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proxy:
    """Forwards 127.0.0.1:``port`` to ``host``:``target``."""

    def __init__(self, group: anyio.abc.TaskGroup, host: str, target: int) -> None:
        self.port = free_port()
        self.host = host
        self.target = target
        self.accepted = 0  # connections accepted since the proxy was created
        self._group = group
        self._scope: anyio.CancelScope | None = None
        self._stopped = anyio.Event()

    def url(self, url: str) -> str:
        """A schemactl database URL for the proxied server, pointed at the proxy instead."""
        from schemactl._urls import to_sqlalchemy_url

        parsed = to_sqlalchemy_url(url).set(host="127.0.0.1", port=self.port)
        return parsed.render_as_string(hide_password=False)

    async def restore(self) -> None:
        """Listen (again) on the same port."""
        assert self._scope is None, "the proxy is already listening"
        self._stopped = anyio.Event()
        self._scope = await self._group.start(self._serve)

    async def cut(self) -> None:
        """Close every connection, both sides, and stop listening; return once all are closed."""
        assert self._scope is not None, "the proxy is not listening"
        self._scope.cancel()
        await self._stopped.wait()
        self._scope = None

    async def _serve(self, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        try:
            with anyio.CancelScope() as scope:
                listener = await anyio.create_tcp_listener(
                    local_host="127.0.0.1", local_port=self.port
                )
                async with listener:
                    task_status.started(scope)
                    await listener.serve(self._handle)
        finally:
            self._stopped.set()

    async def _handle(self, client: anyio.abc.SocketStream) -> None:
        self.accepted += 1
        async with client:
            try:
                server = await anyio.connect_tcp(self.host, self.target)
            except OSError:
                return
            async with server, anyio.create_task_group() as group:
                group.start_soon(_pipe, client, server, group.cancel_scope)
                group.start_soon(_pipe, server, client, group.cancel_scope)


async def _pipe(
    source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream, both: anyio.CancelScope
) -> None:
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    finally:
        both.cancel()  # one side closed: close the other one too


@asynccontextmanager
async def tcp_proxy(url: str) -> AsyncIterator[Proxy]:
    """A listening Proxy to the server of a database URL; stopped (all closed) on exit."""
    from schemactl._urls import to_sqlalchemy_url

    parsed = to_sqlalchemy_url(url)
    port = parsed.port or {"postgresql": 5432, "mysql": 3306}[parsed.get_backend_name()]
    async with anyio.create_task_group() as group:
        proxy = Proxy(group, parsed.host or "127.0.0.1", port)
        await proxy.restore()
        try:
            yield proxy
        finally:
            group.cancel_scope.cancel()
