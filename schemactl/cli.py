"""The command line: parse options, run one API coroutine, render its result, map errors.

Nothing here touches a database directly, and nothing heavy is imported at module level, so
`schemactl --help` stays fast.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import unquote, urlsplit

import typer
import typer.core

from . import _api
from ._config import Config
from ._config import resolve as resolve_config
from ._errors import SchemactlError
from ._results import MigrateResult, RollbackResult, Status, to_json
from ._urls import redact
from ._version import __version__

T = TypeVar("T")

# Plain help and usage errors: Rich's boxes cost ~80 ms of start-up, and plain text is what
# scripts and logs want anyway.
typer.core.HAS_RICH = False

app = typer.Typer(
    name="schemactl",
    help="Async-first, dbmate-compatible database migrations for SQLAlchemy projects.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", "-u", metavar="URL", help="Database URL. [env: DATABASE_URL]", show_default=False
    ),
]
DirOption = Annotated[
    list[str] | None,
    typer.Option(
        "--migrations-dir",
        "-d",
        metavar="DIR",
        help="Migrations directory; repeat for several. [env: SCHEMACTL_MIGRATIONS_DIR] "
        "[default: migrations]",
        show_default=False,
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option(
        "--migrations-table",
        metavar="NAME",
        help="Tracking table. [env: SCHEMACTL_MIGRATIONS_TABLE] [default: schema_migrations]",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show tracebacks and more detail.")
]
EnvFileOption = Annotated[
    str | None,
    typer.Option(
        "--env-file",
        metavar="FILE",
        help="Read variables from this file [default: .env].",
        show_default=False,
    ),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="Seconds to wait for another run's migration lock.",
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for the database server to accept connections first.")
]
WaitTimeoutOption = Annotated[
    float, typer.Option("--wait-timeout", metavar="SECONDS", help="Seconds --wait waits at most.")
]
DdlLockTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--ddl-lock-timeout",
        metavar="SECONDS",
        help="Fail a statement that waits longer than this for a table lock another session "
        "holds (PostgreSQL lock_timeout, MySQL lock_wait_timeout, SQLite busy timeout).",
        show_default=False,
    ),
]
StatementTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Stop a statement that runs longer than this (PostgreSQL, MariaDB).",
        show_default=False,
    ),
]
LockRetriesOption = Annotated[
    int,
    typer.Option(
        "--lock-retries",
        metavar="N",
        min=0,
        help="Retry a migration that timed out waiting for a table lock, N times, with backoff.",
    ),
]
LockStrategyOption = Annotated[
    str,
    typer.Option(
        "--lock-strategy",
        metavar="auto|session|table",
        help="The migration lock: a session lock (PostgreSQL advisory, MySQL GET_LOCK), or "
        "a lease row, for poolers in transaction mode; auto picks table for ?pgbouncer=true.",
    ),
]
SingleTxOption = Annotated[
    bool,
    typer.Option(
        "--single-transaction",
        help="Apply all pending migrations in one transaction (PostgreSQL, SQLite).",
    ),
]


class Run:
    """One CLI invocation: its settings, its output mode, its error handling."""

    def __init__(
        self,
        *,
        url: str | None = None,
        migrations_dir: list[str] | None = None,
        migrations_table: str | None = None,
        models: str | None = None,
        env_file: str | None = None,
        json_output: bool = False,
        verbose: bool = False,
    ) -> None:
        self.json = json_output
        self.verbose = verbose
        self.password: str | None = None
        self.color = _color_enabled()
        try:
            self.config: Config = resolve_config(
                url=url,
                migrations_dirs=migrations_dir,
                migrations_table=migrations_table,
                models=models,
                env_file=env_file,
            )
        except SchemactlError as exc:
            self.fail(exc)
        if self.config.url:
            try:
                self.password = urlsplit(self.config.url).password
            except ValueError:
                self.password = None
            if self.password is None and "@" in self.config.url:
                # a raw '/' in the password hides it from urlsplit: take it by hand
                userinfo = self.config.url.partition("://")[2].rpartition("@")[0]
                self.password = userinfo.partition(":")[2] or None
        logger = logging.getLogger("schemactl")
        if not any(getattr(h, "schemactl_cli", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            handler.schemactl_cli = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)

    @property
    def url(self) -> str:
        try:
            return self.config.require_url()
        except SchemactlError as exc:
            self.fail(exc)

    def call(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        import anyio

        async def invoke() -> T:
            return await function(*args, **kwargs)

        try:
            return anyio.run(invoke)
        except SchemactlError as exc:
            self.fail(exc)
        except KeyboardInterrupt:
            self.err("interrupted", color="red")
            raise typer.Exit(130) from None
        except Exception as exc:
            if self.verbose:
                self.err(self.clean("".join(traceback.format_exception(exc))))
            message = f"internal error: {type(exc).__name__}: {exc}"
            if not self.verbose:
                message += " (run with --verbose for the traceback)"
            self.fail_line(message, 70, type(exc).__name__)

    def clean(self, text: str) -> str:
        text = redact(text, self.password)
        return redact(text, unquote(self.password)) if self.password else text

    def fail(self, exc: SchemactlError) -> NoReturn:
        if self.verbose:
            self.err(self.clean("".join(traceback.format_exception(exc))))
        self.fail_line(str(exc), exc.exit_code, type(exc).__name__)

    def fail_line(self, message: str, code: int, kind: str) -> NoReturn:
        message = self.clean(message)
        if self.json:
            self.emit({"error": {"type": kind, "message": message, "exit_code": code}})
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


def _color_enabled() -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty() and sys.stdout.isatty()


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


ModelsOption = Annotated[
    str | None,
    typer.Option(
        "--models",
        metavar="MODULE[:ATTR]",
        help="SQLAlchemy models: app.models, app/models.py, app.models:Base. "
        "[env: SCHEMACTL_MODELS]",
        show_default=False,
    ),
]
IncludeSchemasOption = Annotated[
    bool,
    typer.Option("--include-schemas", help="Compare every schema, not only the models' schemas."),
]


@app.command()
def new(
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="What the migration does.")
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", metavar="NAME", help="Same as NAME.", show_default=False),
    ] = None,
    auto: Annotated[
        bool, typer.Option("--auto", help="Generate the SQL from the models' differences.")
    ] = False,
    models: ModelsOption = None,
    url: UrlOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --auto: show the SQL, write no file.")
    ] = False,
    include_schemas: IncludeSchemasOption = False,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write a new migration file: empty, or with --auto the SQL that brings the database to
    the models (and back). Without --auto it needs no database."""
    if name and message and name != message:
        raise typer.BadParameter("give the name once, as NAME or as --message")
    title = name or message
    if not title:
        raise typer.BadParameter("a migration needs a name: schemactl new add_users_table")
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        models=models,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result = run.call(
        _api.new,
        title,
        migrations_dir=list(run.config.migrations_dirs),
        auto=auto,
        url=run.url if auto else None,
        models=run.config.models,
        migrations_table=run.config.migrations_table,
        include_schemas=include_schemas,
        dry_run=dry_run,
    )
    if run.json:
        run.emit(to_json(result))
        return
    if auto and not result.changes:
        run.err("No differences between the models and the database: nothing written")
        return
    for change in result.changes:
        run.err(change.detail, color="red" if change.destructive else None)
    if result.path is not None:
        run.out(f"Created {result.path}", color="green")
    else:
        run.out(f"-- migrate:up\n{result.up_sql}\n-- migrate:down\n{result.down_sql}")


@app.command()
def check(
    url: UrlOption = None,
    models: ModelsOption = None,
    include_schemas: IncludeSchemasOption = False,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Exit 0 when the database matches the models, 1 with the differences when not."""
    run = Run(
        url=url,
        migrations_table=migrations_table,
        models=models,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result = run.call(
        _api.check,
        run.url,
        models=run.config.models,
        migrations_table=run.config.migrations_table,
        include_schemas=include_schemas,
    )
    if run.json:
        run.emit(to_json(result))
    elif result.clean:
        run.err("The database matches the models", color="green")
    else:
        run.out(f"The database differs from the models in {len(result.changes)} ways:")
        for change in result.changes:
            run.out(f"  {change.detail}", color="red" if change.destructive else None)
    if not result.clean:
        raise typer.Exit(1)


def _migrate_command(create: bool) -> Callable[..., None]:
    def command(
        url: UrlOption = None,
        migrations_dir: DirOption = None,
        migrations_table: TableOption = None,
        single_transaction: SingleTxOption = False,
        lock_timeout: LockTimeoutOption = _api.DEFAULT_LOCK_TIMEOUT,
        wait: WaitOption = False,
        wait_timeout: WaitTimeoutOption = _api.DEFAULT_WAIT_TIMEOUT,
        ddl_lock_timeout: DdlLockTimeoutOption = None,
        statement_timeout: StatementTimeoutOption = None,
        lock_retries: LockRetriesOption = 0,
        lock_strategy: LockStrategyOption = "auto",
        env_file: EnvFileOption = None,
        json_output: JsonOption = False,
        verbose: VerboseOption = False,
    ) -> None:
        run = Run(
            url=url,
            migrations_dir=migrations_dir,
            migrations_table=migrations_table,
            env_file=env_file,
            json_output=json_output,
            verbose=verbose,
        )
        result: MigrateResult = run.call(
            _api.up if create else _api.migrate,
            run.url,
            migrations_dir=list(run.config.migrations_dirs),
            migrations_table=run.config.migrations_table,
            single_transaction=single_transaction,
            lock_timeout=lock_timeout,
            wait=wait,
            wait_timeout=wait_timeout,
            ddl_lock_timeout=ddl_lock_timeout,
            statement_timeout=statement_timeout,
            lock_retries=lock_retries,
            lock_strategy=lock_strategy,
        )
        for warning in result.warnings:
            run.err(f"warning: {warning}", color="yellow")
        if run.json:
            run.emit(to_json(result))
            return
        count = len(result.applied)
        run.err(
            f"Applied {count} migration{'s' if count != 1 else ''}"
            if count
            else "Nothing to apply: the database is up to date",
            color="green",
        )

    return command


app.command("up", help="Create the database if missing, then apply pending migrations.")(
    _migrate_command(create=True)
)
app.command("migrate", help="Apply pending migrations to an existing database.")(
    _migrate_command(create=False)
)


def _rollback(
    url: UrlOption = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", "-s", min=1, metavar="N", help="How many to roll back [default: 1]."
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="VERSION",
            help="Roll back everything applied after VERSION (0: everything).",
        ),
    ] = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    lock_timeout: LockTimeoutOption = _api.DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: DdlLockTimeoutOption = None,
    statement_timeout: StatementTimeoutOption = None,
    lock_retries: LockRetriesOption = 0,
    lock_strategy: LockStrategyOption = "auto",
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    if steps is not None and to is not None:
        raise typer.BadParameter("give --steps or --to, not both")
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: RollbackResult = run.call(
        _api.rollback,
        run.url,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        steps=steps,
        to=to,
        lock_timeout=lock_timeout,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        lock_retries=lock_retries,
        lock_strategy=lock_strategy,
    )
    if run.json:
        run.emit(to_json(result))
    else:
        count = len(result.rolled_back)
        run.err(f"Rolled back {count} migration{'s' if count != 1 else ''}", color="green")


app.command("rollback", help="Roll back the last migration (or --steps N, or --to VERSION).")(
    _rollback
)
app.command("down", help="Alias of rollback.")(_rollback)


@app.command()
def status(
    url: UrlOption = None,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when anything is pending or has drifted."),
    ] = False,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Show applied and pending migrations, and files changed since applied."""
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: Status = run.call(
        _api.status,
        run.url,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
    )
    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if run.json:
        run.emit(to_json(result))
    else:
        for m in result.migrations:
            label = m.path.name if m.path else f"{m.version} (file missing)"
            if m.state == "failed":
                run.out(f"[F] {label}  ({m.failure})", color="red")
            elif not m.applied:
                run.out(f"[ ] {label}")
            elif m.file_missing:
                run.out(f"[?] {label}", color="red")
            elif m.checksum_ok is False:
                run.out(f"[!] {label}  (changed since it was applied)", color="red")
            else:
                run.out(f"[X] {label}", color="green")
        run.out("")
        run.out(f"Applied: {len(result.applied)}")
        run.out(f"Pending: {len(result.pending)}")
        if result.drifted:
            run.out(f"Drifted: {len(result.drifted)}", color="red")
        if result.failed:
            run.out(f"Failed: {len(result.failed)} (see `schemactl resolve`)", color="red")
    if exit_code and (result.pending or result.drifted):
        raise typer.Exit(1)


@app.command()
def resolve(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The failed migration.")],
    applied: Annotated[
        bool, typer.Option("--applied", help="You completed it by hand: record it as applied.")
    ] = False,
    rolled_back: Annotated[
        bool,
        typer.Option("--rolled-back", help="You undid what had run: record it as not applied."),
    ] = False,
    url: UrlOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    lock_timeout: LockTimeoutOption = _api.DEFAULT_LOCK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Mark a migration that failed part-way as applied or rolled back, after fixing the
    database by hand (MySQL/MariaDB DDL, transaction:false sections)."""
    if applied == rolled_back:
        raise typer.BadParameter("give exactly one of --applied and --rolled-back")
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result = run.call(
        _api.resolve,
        run.url,
        version,
        applied=applied,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        lock_timeout=lock_timeout,
    )
    if run.json:
        run.emit(to_json(result))


def _database_command(action: str) -> Callable[..., None]:
    def command(
        url: UrlOption = None,
        env_file: EnvFileOption = None,
        json_output: JsonOption = False,
        verbose: VerboseOption = False,
    ) -> None:
        run = Run(url=url, env_file=env_file, json_output=json_output, verbose=verbose)
        result = run.call(_api.create if action == "create" else _api.drop, run.url)
        if run.json:
            run.emit(to_json(result))
        elif action == "create":
            run.err("Created the database" if result.changed else "The database already exists")
        else:
            run.err("Dropped the database" if result.changed else "The database does not exist")

    return command


app.command("create", help="Create the database.")(_database_command("create"))
app.command("drop", help="Drop the database (disconnects other sessions on PostgreSQL).")(
    _database_command("drop")
)


@app.command()
def wait(
    url: UrlOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Seconds to wait at most.")
    ] = 60.0,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Wait until the database server accepts connections.

    The database itself need not exist yet, so `wait` then `up` works on a fresh server.
    """
    run = Run(url=url, env_file=env_file, json_output=json_output, verbose=verbose)
    result = run.call(_api.wait, run.url, timeout=timeout)
    if run.json:
        run.emit(to_json(result))
    else:
        run.err(f"Database server is ready ({result.elapsed:.2f}s, {result.attempts} attempts)")


def main() -> None:
    """The `schemactl` console script."""
    try:
        app()
    finally:
        # Nothing is left to free: spare the interpreter's final garbage collection over every
        # object a large autogenerate built (0.3 s on a 500-table schema).
        gc.freeze()
