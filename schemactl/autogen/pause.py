"""Pause the cyclic garbage collector while autogenerate's own code runs, and only then.

A compare builds and drops hundreds of thousands of linked objects; on a 500-table schema the
collector, running over and over meanwhile, costs a quarter of the compare. But the collector
is process-wide, and the host's other tasks run whenever the compare waits for the database:
they must find it as the host left it. So it is paused only while our code runs, given back
at every exit from it (each wait for the database, the end, an exception, a cancellation),
and a change the host makes meanwhile is kept.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _Pause:
    """The host's setting, saved while paused (None: not paused)."""

    def __init__(self) -> None:
        self._host_enabled: bool | None = None

    def pause(self) -> None:
        if self._host_enabled is None:
            self._host_enabled = gc.isenabled()
            gc.disable()

    def resume(self) -> None:
        if self._host_enabled is not None:
            if self._host_enabled:
                gc.enable()
            self._host_enabled = None


@contextmanager
def gc_paused() -> Iterator[None]:
    """For code that does not await: no other task of the event loop runs meanwhile.

    >>> with gc_paused():
    ...     sql = render(operations, dialect, hooks, facts, models, upgrade=True)
    """
    pause = _Pause()
    pause.pause()
    try:
        yield
    finally:
        pause.resume()


@contextmanager
def gc_paused_in_this_greenlet() -> Iterator[None]:
    """For code inside ``AsyncConnection.run_sync``: paused while its greenlet runs.

    There, each wait for the database switches from this greenlet to the event loop's, which
    runs other tasks meanwhile. Greenlet's trace hook sees every switch: out of this greenlet
    the host's setting is back, into it the collector pauses again. The hook is the thread's,
    so the host's own trace function, if any, is called on as before, and restored after.

    >>> with gc_paused_in_this_greenlet():
    ...     produce_migrations(context, metadata)
    """
    import greenlet  # type: ignore[import-untyped]  # SQLAlchemy's asyncio dependency

    ours = greenlet.getcurrent()
    pause = _Pause()
    tracing = True

    def trace(event: str, args: tuple[Any, Any]) -> None:
        origin, target = args
        if tracing and target is ours:
            pause.pause()
        elif tracing and origin is ours:
            pause.resume()
        if previous is not None:
            previous(event, args)

    previous: Callable[[str, tuple[Any, Any]], None] | None = greenlet.settrace(trace)
    pause.pause()
    try:
        yield
    finally:
        pause.resume()
        tracing = False
        if greenlet.gettrace() is trace:
            greenlet.settrace(previous)
        # else someone set a trace function of their own meanwhile, which calls ours on:
        # leave theirs in place; ours only passes through now.
