"""The Typer application: its name, help, ``--version`` and completion. The commands are
registered on it by ``_cli_migrations`` and ``_cli_state``; ``cli`` runs it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import typer.core

from ._version import __version__

# Plain help and usage errors: Rich's boxes cost ~80 ms of start-up, and plain text is what
# scripts and logs want anyway.
typer.core.HAS_RICH = False

app = typer.Typer(
    name="schemactl",
    help="Async-first, dbmate-compatible database migrations for SQLAlchemy projects.",
    add_completion=True,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"schemactl {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Async-first, dbmate-compatible database migrations for SQLAlchemy projects."""
