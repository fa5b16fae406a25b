"""One CLI invocation: resolve its settings, run one API coroutine, print, map errors."""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer

from ._config import Config
from ._config import resolve as resolve_config
from ._error_document import error_document, error_fields
from ._errors import SchemactlError
from ._migrator import RESULT_WARNING
from ._password import PasswordSource, command_password
from ._redact import password_in, redact

T = TypeVar("T")


class Run:
    """One CLI invocation: its settings, its output mode, its error handling."""

    def __init__(
        self,
        *,
        url: str | None = None,
        migrations_dir: list[str] | None = None,
        migrations_table: str | None = None,
        models: str | None = None,
        exclude_tables: list[str] | None = None,
        enforce: bool | None = None,
        schema_file: str | None = None,
        dump_schema: bool | None = None,
        password_command: str | None = None,
        url_file: str | None = None,
        schemas: str | None = None,
        schemas_from: str | None = None,
        env_file: str | None = None,
        json_output: bool = False,
        verbose: bool = False,
    ) -> None:
        self.json = json_output
        self.verbose = verbose
        self.password: str | None = None
        self.password_source: PasswordSource | None = None
        self.color = _color_enabled()
        try:
            self.config: Config = resolve_config(
                url=url,
                migrations_dirs=migrations_dir,
                migrations_table=migrations_table,
                models=models,
                exclude_tables=exclude_tables,
                enforce=enforce,
                schema_file=schema_file,
                dump_schema=dump_schema,
                password_command=password_command,
                url_file=url_file,
                schemas=schemas,
                schemas_from=schemas_from,
                env_file=env_file,
            )
            self.password_source = (
                command_password(self.config.password_command)
                if self.config.password_command
                else None
            )
        except SchemactlError as exc:
            self.fail(exc)
        if self.config.url:
            self.password = password_in(self.config.url)
        logger = logging.getLogger("schemactl")
        if not any(getattr(h, "schemactl_cli", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            handler.schemactl_cli = True  # type: ignore[attr-defined]
            # a result's warnings are printed from the result (in colour, or in --json)
            handler.addFilter(lambda record: not getattr(record, RESULT_WARNING, False))
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)

    @property
    def url(self) -> str:
        try:
            return self.config.require_url()
        except SchemactlError as exc:
            self.fail(exc)

    def quiet(self) -> None:
        """--quiet: only warnings and errors on stderr (schemactl's INFO lines silenced)."""
        if not self.verbose:
            logging.getLogger("schemactl").setLevel(logging.WARNING)

    def call(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        import anyio

        if self.password_source is not None and _takes_password(function):
            # every command that connects gets the password command's source, from the flag,
            # the environment or pyproject alike
            kwargs.setdefault("password", self.password_source)

        async def invoke() -> T:
            return await function(*args, **kwargs)

        try:
            return anyio.run(invoke)
        except SchemactlError as exc:
            self.fail(exc)
        except KeyboardInterrupt:
            self.fail_line("interrupted", 130, "KeyboardInterrupt")
        except Exception as exc:
            if self.verbose:
                self.err(self.clean("".join(traceback.format_exception(exc))))
            message = f"internal error: {type(exc).__name__}: {exc}"
            if not self.verbose:
                message += " (run with --verbose for the traceback)"
            self.fail_line(message, 70, type(exc).__name__)

    def clean(self, text: str) -> str:
        produced = self.password_source.last if self.password_source is not None else None
        return redact(redact(text, self.password), produced)

    def fail(self, exc: SchemactlError) -> NoReturn:
        if self.verbose:
            self.err(self.clean("".join(traceback.format_exception(exc))))
        self.fail_line(str(exc), exc.exit_code, type(exc).__name__, error_fields(exc))

    def fail_line(
        self, message: str, code: int, kind: str, fields: dict[str, Any] | None = None
    ) -> NoReturn:
        message = self.clean(message)
        if self.json:
            self.emit(error_document(message, code, kind, fields))
        first, *rest = message.splitlines() or [""]
        self.err(f"error: {first}", color="red")
        for line in rest:
            self.err(f"       {line}")
        raise typer.Exit(code)

    def err(self, text: str, *, color: str | None = None) -> None:
        sys.stderr.write(self.paint(text, color) + "\n")

    def out(self, text: str, *, color: str | None = None) -> None:
        sys.stdout.write(self.paint(self.clean(text), color) + "\n")

    def emit(self, data: Any) -> None:
        sys.stdout.write(self.clean(json.dumps(data, indent=2, sort_keys=True)) + "\n")

    def paint(self, text: str, color: str | None) -> str:
        codes = {"red": "31", "green": "32", "yellow": "33", "dim": "2"}
        if not color or not self.color:
            return text
        return f"\033[{codes[color]}m{text}\033[0m"


def _takes_password(function: Callable[..., Any]) -> bool:
    try:
        return "password" in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def _color_enabled() -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty() and sys.stdout.isatty()
