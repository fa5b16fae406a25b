"""A progress bar on stderr for `up`, `migrate` and `rollback` runs of several migrations,
drawn by Rich (which Typer brings), imported only when a terminal will show it.

Shown only when stderr is a terminal, and never with --json or --quiet: a log file, a CI job
or a pipe gets the plain lines it always got. While the bar is drawn, schemactl's log lines
("Applying ...", lock waits) print above it instead of through it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._results import Progress

Callback = Callable[["Progress"], None]


def wanted(*, json_output: bool, quiet: bool) -> bool:
    """Whether a run shows a progress bar: on a terminal, without --json or --quiet."""
    return not json_output and not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callback | None]:
    """A ``progress`` callback drawing a bar on stderr for as long as the block runs (None
    when not ``enabled``). A run of one migration draws none: its log lines say enough."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=Console(file=sys.stderr),
        transient=True,  # the summary line replaces it
    )
    task: Any = None
    handlers: list[logging.StreamHandler[Any]] = []

    def update(step: Progress) -> None:
        nonlocal task
        if step.total < 2:
            return
        if task is None:
            bar.start()  # (Rich now stands in for sys.stderr: writes print above the bar)
            handlers.extend(_redirect_log_lines(sys.stderr))
            verb = "Applying" if step.direction == "up" else "Rolling back"
            task = bar.add_task(verb, total=step.total, current="")
        bar.update(task, completed=step.done, current=step.current or "")

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()
            for handler in handlers:
                handler.setStream(sys.stderr)


def _redirect_log_lines(stream: Any) -> list[logging.StreamHandler[Any]]:
    """Point the CLI's log handler at ``stream`` (Rich's stand-in for stderr); the handlers
    moved, to be pointed back at stderr once the bar is gone."""
    moved = []
    for handler in logging.getLogger("schemactl").handlers:
        if getattr(handler, "schemactl_cli", False) and isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
            moved.append(handler)
    return moved
