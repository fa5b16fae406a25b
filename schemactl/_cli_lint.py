"""`schemactl lint`: the safety analysis of migration files, offline or against a database.

Registered on the app at start-up, so nothing of the linter (its parsers, SQLAlchemy) is
imported here: the command imports it when it runs."""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from ._cli_app import app
from ._cli_fleet import refuse_fleet_flags, refuse_in_fleet, run_fleet
from ._cli_options import (
    ConcurrencyOption,
    DdlLockTimeoutOption,
    DirOption,
    EnvFileOption,
    JsonOption,
    PasswordCommandOption,
    SchemasFromOption,
    SchemasOption,
    ShardOption,
    TableOption,
    UrlFileOption,
    UrlOption,
    VerboseOption,
)
from ._cli_run import Run

if TYPE_CHECKING:
    from .lint.run import LintResult

T = TypeVar("T")


class Format(enum.StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class Dialect(enum.StrEnum):
    postgresql = "postgresql"
    mysql = "mysql"
    sqlite = "sqlite"


@app.command()
def lint(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FILES]...",
            help="Migration files or directories to lint offline [default: the migrations "
            "directory].",
            show_default=False,
        ),
    ] = None,
    url: UrlOption = None,
    url_file: UrlFileOption = None,
    schemas: SchemasOption = None,
    schemas_from: SchemasFromOption = None,
    concurrency: ConcurrencyOption = None,
    shard: ShardOption = None,
    all_files: Annotated[
        bool,
        typer.Option("--all", help="With a database: lint every file, not only the pending ones."),
    ] = False,
    dialect: Annotated[
        Dialect | None,
        typer.Option(
            "--dialect",
            help="Lint offline for this database (without --url).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Format,
        typer.Option("--format", "-f", help="Output: text, json, sarif (code scanning), github."),
    ] = Format.text,
    json_output: JsonOption = False,
    ddl_lock_timeout: DdlLockTimeoutOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Check migrations for locks, rewrites, lost data and broken clients; score their risk.

    Exit 0 when nothing blocks, 1 when an unapproved finding reaches the blocking severity
    ([tool.schemactl.lint] block, default error). With --url-file: every database of the
    file, a failed one's exit code first."""
    if json_output:
        output = Format.json
    run = Run(
        password_command=password_command,
        url=url,
        url_file=url_file,
        schemas=schemas,
        schemas_from=schemas_from,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=output is Format.json,
        verbose=verbose,
    )
    policy = _guarded(run, lambda: _policy(run))
    # a URL file from the environment or pyproject gives way to --dialect, as a URL does
    given = url_file is not None or bool(schemas or schemas_from)
    fleet = given or (dialect is None and run.config.fleet)
    if fleet:
        if dialect is not None or files:
            _usage(run, "a fleet is linted online: give no --dialect and no FILES with it")
        refuse_in_fleet(run, f"--format {output.value}", output in (Format.sarif, Format.github))
        _fleet(run, policy, all_files, ddl_lock_timeout, concurrency, shard)
        return
    refuse_fleet_flags(run, concurrency, shard)
    online = url is not None or (dialect is None and run.config.url is not None)
    if online and dialect is not None:
        _usage(run, "--dialect is for linting offline; with --url the database gives the dialect")
    if online and files:
        _usage(run, "FILES are linted offline: give --dialect instead of --url")
    if not online and dialect is None:
        _usage(run, "give --dialect postgresql|mysql|sqlite to lint offline, or --url")
    if not online and all_files:
        _usage(run, "--all needs --url (offline, every file is linted unless FILES are given)")
    if online:
        result = _online(run, policy, all_files, ddl_lock_timeout)
    else:
        assert dialect is not None
        result = _offline(run, policy, files or [], dialect.value)
    _print(run, result, output, online=online)
    if result.blocking:
        raise typer.Exit(1)


def _policy(run: Run) -> Any:
    from .lint.policy import Policy

    return run.config.lint_policy() or Policy()


def _offline(run: Run, policy: Any, files: list[Path], dialect: str) -> LintResult:
    from .lint.run import lint_files

    dirs = list(run.config.migrations_dirs)
    return _guarded(run, lambda: lint_files(files, dialect, policy, migrations_dirs=dirs))


def _online(run: Run, policy: Any, all_files: bool, ddl_lock_timeout: float | None) -> LintResult:
    from ._options import Options
    from .lint.run import lint_with_options

    options = _guarded(
        run,
        lambda: Options(
            migrations_dirs=tuple(Path(d) for d in run.config.migrations_dirs),
            migrations_table=run.config.migrations_table,
            ddl_lock_timeout=ddl_lock_timeout,
            password=run.password_source,  # --password-command: for each new connection
        ),
    )
    result: LintResult = run.call(lint_with_options, run.url, options, policy, all=all_files)
    return result


def _fleet(
    run: Run,
    policy: Any,
    all_files: bool,
    ddl_lock_timeout: float | None,
    concurrency: int | None,
    shard: str | None,
) -> None:
    """Every database of the URL file linted online: a line each, then the table or the
    fleet document with each database's schemactl.lint/1 document merged in; exit 1 when all
    were linted and one has a blocking finding."""
    from ._api_fleet import lint_many

    options: dict[str, Any] = dict(
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        policy=policy,
        all=all_files,
        ddl_lock_timeout=ddl_lock_timeout,
    )
    describe = functools.partial(_lint_words, all_files=all_files)
    fleet = run_fleet(run, lint_many, describe, concurrency=concurrency, shard=shard, **options)
    if any(d.result.blocking for d in fleet.databases if d.result is not None):
        raise typer.Exit(1)


def _lint_words(result: LintResult, *, all_files: bool) -> str:
    """A database's lint in a few words: "2 pending, 1 blocking (LK101), risk 42 MODERATE"."""
    count = len(result.migrations)
    words = [f"{count} {'linted' if all_files else 'pending'}"]
    blocking = result.blocking
    if blocking:
        rules = ", ".join(dict.fromkeys(f.rule for f in blocking))
        words.append(f"{len(blocking)} blocking ({rules})")
    elif result.findings:
        words.append(f"{len(result.findings)} finding{'s' * (len(result.findings) != 1)}")
    words.append(f"risk {result.risk.score} {result.risk.tier.value}")
    return ", ".join(words)


def _print(run: Run, result: LintResult, output: Format, *, online: bool) -> None:
    from .lint import report

    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if output is Format.json:
        text = report.as_json(result) + "\n"
    elif output is Format.sarif:
        from .lint.sarif import as_sarif

        text = as_sarif(result) + "\n"
    elif output is Format.github:
        text = report.as_github(result)
    else:
        text = report.as_text(result)
    # offline, the output holds nothing but the files' own text: no password to hide (and
    # redacting a 1,000-file report costs 70 ms)
    sys.stdout.write(run.clean(text) if online else text)


def _guarded(run: Run, function: Callable[[], T]) -> T:
    """``function()``, its SchemactlError as one line and its exit code (as ``Run.call``)."""
    from ._errors import SchemactlError

    try:
        return function()
    except SchemactlError as exc:
        run.fail(exc)
    except Exception as exc:
        message = f"internal error: {type(exc).__name__}: {exc}"
        run.fail_line(message + ("" if run.verbose else " (run with --verbose)"), 70, "Internal")


def _usage(run: Run, message: str) -> NoReturn:
    run.fail_line(message, 2, "UsageError")
