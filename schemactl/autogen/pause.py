"""Process-wide settings autogenerate changes while its own code runs, and only then: the
cyclic garbage collector paused, and a few warnings it expects ignored.

A compare builds and drops hundreds of thousands of linked objects; on a 500-table schema the
collector, running over and over meanwhile, costs a quarter of the compare. Alembic and
SQLAlchemy also warn of things autogenerate handles itself (see ``compare``). But both
settings are process-wide, and the host's other tasks run whenever the compare waits for the
database: they must find them as the host left them. So they are changed only while our code
runs, given back at every exit from it (each wait for the database, the end, an exception, a
cancellation), and a change the host makes meanwhile is kept.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Setting(Protocol):
    """A process-wide setting ours while our code runs: ``on`` when it starts or resumes,
    ``off`` when it ends or waits (each called again is a no-op)."""

    def on(self) -> None: ...
    def off(self) -> None: ...


class GcPaused:
    """The collector paused; the host's setting saved meanwhile (None: not paused)."""

    def __init__(self) -> None:
        self._host_enabled: bool | None = None

    def on(self) -> None:
        if self._host_enabled is None:
            self._host_enabled = gc.isenabled()
            gc.disable()

    def off(self) -> None:
        if self._host_enabled is not None:
            if self._host_enabled:
                gc.enable()
            self._host_enabled = None


class WarningsIgnored:
    """The host's warning filters with ours in front: a copy of the host's list while ours
    runs, the host's own list given back (as ``warnings.catch_warnings`` does) when it stops."""

    def __init__(self, *messages: str) -> None:
        self.messages = messages
        self._host: Any = None  # (warnings.filters' own type is private to typeshed)

    def on(self) -> None:
        if self._host is None:
            self._host = host = warnings.filters
            warnings.filters = list(host)
            for message in self.messages:
                warnings.filterwarnings("ignore", message)

    def off(self) -> None:
        if self._host is not None:
            warnings.filters = self._host
            self._host = None


@contextmanager
def while_ours_runs(*settings: Setting) -> Iterator[None]:
    """For code that does not await: no other task of the event loop runs meanwhile.

    >>> with while_ours_runs(GcPaused()):
    ...     sql = render(operations, dialect, hooks, facts, models, upgrade=True)
    """
    for setting in settings:
        setting.on()
    try:
        yield
    finally:
        for setting in reversed(settings):
            setting.off()


@contextmanager
def while_this_greenlet_runs(*settings: Setting) -> Iterator[None]:
    """For code inside ``AsyncConnection.run_sync``: the settings on while its greenlet runs.

    There, each wait for the database switches from this greenlet to the event loop's, which
    runs other tasks meanwhile. Greenlet's trace hook sees every switch: out of this greenlet
    the host's settings are back, into it ours are on again. The hook is the thread's, so the
    host's own trace function, if any, is called on as before, and restored after.

    >>> with while_this_greenlet_runs(GcPaused(), WarningsIgnored("Cannot correctly sort")):
    ...     produce_migrations(context, metadata)
    """
    import greenlet  # type: ignore[import-untyped]  # SQLAlchemy's asyncio dependency

    ours = greenlet.getcurrent()
    tracing = True

    def on() -> None:
        for setting in settings:
            setting.on()

    def off() -> None:
        for setting in reversed(settings):
            setting.off()

    def trace(event: str, args: tuple[Any, Any]) -> None:
        origin, target = args
        if tracing and target is ours:
            on()
        elif tracing and origin is ours:
            off()
        if previous is not None:
            previous(event, args)

    previous: Callable[[str, tuple[Any, Any]], None] | None = greenlet.settrace(trace)
    on()
    try:
        yield
    finally:
        off()
        tracing = False
        if greenlet.gettrace() is trace:
            greenlet.settrace(previous)
        # else someone set a trace function of their own meanwhile, which calls ours on:
        # leave theirs in place; ours only passes through now.
