"""A password produced for each new connection: cloud databases take short-lived tokens
(AWS RDS IAM, Google Cloud SQL, Azure Entra) that a command or a function makes.

The password reaches the driver through SQLAlchemy's ``do_connect`` event on the engines
schemactl owns (the run's engine, the maintenance engine of ``create`` and ``drop``, ``wait``'s
attempts): every new connection asks for a fresh one. It is never logged; the last one
produced is hidden from every message, as a URL's password is.

A shell command's standard output, stripped, is the password. Its standard error is not
captured: it reaches the terminal as the tool wrote it (``aws``/``gcloud``/``az`` explain
there why they cannot make a token), and a failing command is one line with its exit status,
without the command's text or output, either of which may hold a secret.
"""

from __future__ import annotations

import inspect
import subprocess
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError, DatabaseConnectionError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

# a str, or a function (plain or ``async def``) that returns one
Password = str | Callable[[], str] | Callable[[], Awaitable[str]]
COMMAND_TIMEOUT = 60.0  # `aws rds generate-db-auth-token` takes about a second


class PasswordSource:
    """Produces the password for one new connection and remembers the last one (to hide it)."""

    def __init__(self, produce: Callable[[], Awaitable[str]]) -> None:
        self._produce = produce
        self.last: str | None = None

    async def __call__(self) -> str:
        password = await self._produce()
        self.last = password
        return password

    def attach(self, engine: AsyncEngine) -> None:
        """Give every new connection of ``engine`` a password made for it.

        ``do_connect`` is synchronous, but SQLAlchemy's async drivers call it inside a
        greenlet of the awaiting task: ``await_only`` awaits the coroutine there."""
        from sqlalchemy import event
        from sqlalchemy.util import await_only

        def connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            cparams["password"] = await_only(self())

        event.listen(engine.sync_engine, "do_connect", connect)


def password_source(password: Password | PasswordSource | None) -> PasswordSource | None:
    """The ``password=`` argument of the public functions, checked before anything connects."""
    if password is None or isinstance(password, PasswordSource):
        return password
    if isinstance(password, str):
        if not password:
            raise ConfigurationError("password= is empty")
        fixed = password

        async def constant() -> str:
            return fixed

        return PasswordSource(constant)
    if not callable(password):
        raise ConfigurationError(
            f"password= takes a str or a function returning one, not {type(password).__name__}"
        )
    function = password

    async def call() -> str:
        value = function()
        if inspect.isawaitable(value):
            value = await value
        if not isinstance(value, str) or not value:
            shown = "an empty str" if value == "" else type(value).__name__
            raise ConfigurationError(f"the password= function returned {shown}, not a password")
        return value

    return PasswordSource(call)


def refuse_for_engine(target: object, password: object) -> None:
    """A host's own AsyncEngine authenticates as its owner set it up: schemactl adds no
    listener to an engine it does not own."""
    if password is not None and not isinstance(target, str):
        raise ConfigurationError(
            "password= is for a database URL: an AsyncEngine authenticates as its owner set it "
            '(a "do_connect" event listener on it can set the password)'
        )


def command_password(command: str) -> PasswordSource:
    """``--password-command``: run ``command`` in the shell for each new connection."""
    if not command.strip():
        raise ConfigurationError("the password command is empty")

    async def run() -> str:
        import anyio

        try:
            with anyio.fail_after(COMMAND_TIMEOUT):
                process = await anyio.run_process(
                    command, stdin=subprocess.DEVNULL, stderr=None, check=False
                )
        except TimeoutError:
            raise DatabaseConnectionError(
                f"the password command gave no password within {COMMAND_TIMEOUT:g}s"
            ) from None
        except OSError as exc:  # no shell, too many processes
            raise DatabaseConnectionError(
                f"cannot run the password command: {exc.strerror or exc}"
            ) from None
        if process.returncode != 0:
            raise DatabaseConnectionError(
                f"the password command failed with exit status {process.returncode} "
                "(its output is not shown: it may hold a secret)"
            )
        password = process.stdout.decode(errors="replace").strip()
        if not password:
            raise DatabaseConnectionError("the password command printed no password")
        return password

    return PasswordSource(run)
