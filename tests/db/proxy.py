"""A TCP proxy in front of a real database server that a test can cut and restore.

``cut()`` closes every proxied connection on both sides (the client and the server each see
the peer close the socket, as when a load balancer or NAT drops the flow) and stops listening,
so new connections are refused. ``restore()`` listens again on the same port.

``black_hole()`` makes the link go silent without closing anything: the proxy stops forwarding
in both directions, both sockets stay open, and the packets the client sends to the proxy are
dropped in the kernel. That last part matters: the kernel of a merely stalled proxy still
acknowledges data and answers TCP keepalive probes, which a real black hole (a firewall or NAT
that forgot the flow) does not. It needs CAP_NET_ADMIN: a ``blackhole`` route for the proxy's
own 127.x.y.z listening address (no other traffic uses it), removed when the proxy stops.
"""

from __future__ import annotations

import random
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Proxy:
    """Forwards 127.0.0.1:``port`` to ``host``:``target``."""

    def __init__(
        self, group: anyio.abc.TaskGroup, host: str, target: int, listen: str = "127.0.0.1"
    ) -> None:
        self.listen = listen
        self.port = free_port(listen)
        self.host = host
        self.target = target
        self.accepted = 0  # connections accepted since the proxy was created
        self._group = group
        self._scope: anyio.CancelScope | None = None
        self._stopped = anyio.Event()
        self.silent = False  # black-holed: nothing is forwarded any more
        self._route: list[str] | None = None

    def url(self, url: str) -> str:
        """A schemactl database URL for the proxied server, pointed at the proxy instead."""
        from schemactl._urls import to_sqlalchemy_url

        parsed = to_sqlalchemy_url(url).set(host=self.listen, port=self.port)
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

    def black_hole(self) -> None:
        """Stop forwarding, keep every socket open, drop the client's packets to the proxy."""
        assert self.listen != "127.0.0.1", "black holes need tcp_proxy(..., black_hole=True)"
        self.silent = True
        route = ["route", "add", "blackhole", f"{self.listen}/32", "table", "local"]
        subprocess.run(["ip", *route], check=True, capture_output=True)
        self._route = route

    def remove_black_hole(self) -> None:
        if self._route is not None:
            route = ["route", "del", *self._route[2:]]
            subprocess.run(["ip", *route], check=False, capture_output=True)
            self._route = None

    async def _serve(self, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        try:
            with anyio.CancelScope() as scope:
                listener = await anyio.create_tcp_listener(
                    local_host=self.listen, local_port=self.port
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
                group.start_soon(self._pipe, client, server, group.cancel_scope)
                group.start_soon(self._pipe, server, client, group.cancel_scope)

    async def _pipe(
        self, source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream, both: anyio.CancelScope
    ) -> None:
        await _pipe(source, sink, both, self)


async def _pipe(
    source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream, both: anyio.CancelScope, proxy: Proxy
) -> None:
    try:
        async for chunk in source:
            if proxy.silent:
                await anyio.sleep_forever()  # swallow it; the sockets stay open
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    finally:
        both.cancel()  # one side closed: close the other one too


@asynccontextmanager
async def tcp_proxy(url: str, *, black_hole: bool = False) -> AsyncIterator[Proxy]:
    """A listening Proxy to the server of a database URL; stopped (all closed) on exit. With
    ``black_hole``, it listens on an address of its own, which ``Proxy.black_hole`` can drop."""
    from schemactl._urls import to_sqlalchemy_url

    parsed = to_sqlalchemy_url(url)
    port = parsed.port or {"postgresql": 5432, "mysql": 3306}[parsed.get_backend_name()]
    async with anyio.create_task_group() as group:
        listen = "127.0.0.1"
        if black_hole:
            listen = f"127.77.{random.randrange(1, 255)}.{random.randrange(1, 255)}"
        proxy = Proxy(group, parsed.host or "127.0.0.1", port, listen)
        await proxy.restore()
        try:
            yield proxy
        finally:
            proxy.remove_black_hole()
            group.cancel_scope.cancel()
