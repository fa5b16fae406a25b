"""The command line: parse options, run one API coroutine, render its result, map errors.

Nothing here touches a database directly, and nothing heavy is imported at module level, so
`schemactl --help` stays fast.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from typing import Annotated

import typer
import typer.core

from . import _api
from ._cli_options import (
    AllowPendingOption,
    DdlLockTimeoutOption,
    DirOption,
    EnvFileOption,
    ExcludeTableOption,
    FailOnDriftOption,
    IncludeSchemasOption,
    JsonOption,
    LinkTimeoutOption,
    LockRetriesOption,
    LockStrategyOption,
    LockTimeoutOption,
    ModelsOption,
    SingleTxOption,
    StatementTimeoutOption,
    StrictOption,
    TableOption,
    UrlOption,
    VerboseOption,
    WaitOption,
    WaitTimeoutOption,
)
from ._cli_run import Run
from ._options import DEFAULT_LINK_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from ._results import (
    CheckResult,
    MigrateResult,
    NewResult,
    RedoResult,
    RollbackResult,
    ShowResult,
    Status,
    plural,
    to_json,
)
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
    allow_pending: AllowPendingOption = False,
    exclude_table: ExcludeTableOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write a new migration file: empty, or with --auto the SQL that brings the database to
    the models (and back). Without --auto it needs no database. The migrations directory is
    created if missing."""
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
        exclude_tables=exclude_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: NewResult = run.call(
        _api.new,
        title,
        migrations_dir=list(run.config.migrations_dirs),
        auto=auto,
        url=run.url if auto else None,
        models=run.config.models,
        migrations_table=run.config.migrations_table,
        include_schemas=include_schemas,
        dry_run=dry_run,
        allow_pending=allow_pending,
        exclude_tables=run.config.exclude_tables,
        exclude_schemas=run.config.exclude_schemas,
    )
    if run.json:
        _notes(run, result.notes)
        run.emit(to_json(result))
        return
    if auto:
        run.err(f"Compared the models with {result.database}")
    if auto and not result.changes:
        run.err("No differences between the models and the database: nothing written")
        return
    for change in result.changes:
        run.err(change.detail, color="red" if change.destructive else None)
    _notes(run, result.notes)
    if result.path is not None:
        run.out(f"Created {result.path}", color="green")
    else:
        run.out(result.content)


@app.command()
def check(
    url: UrlOption = None,
    models: ModelsOption = None,
    include_schemas: IncludeSchemasOption = False,
    allow_pending: AllowPendingOption = False,
    exclude_table: ExcludeTableOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Exit 0 when the database matches the models, 1 with the differences when not.

    Refuses (exit 8) while the database lacks migrations of the migrations directory."""
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        models=models,
        exclude_tables=exclude_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: CheckResult = run.call(
        _api.check,
        run.url,
        models=run.config.models,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        include_schemas=include_schemas,
        allow_pending=allow_pending,
        exclude_tables=run.config.exclude_tables,
        exclude_schemas=run.config.exclude_schemas,
    )
    if run.json:
        run.emit(to_json(result))
    elif result.clean:
        run.err(f"The database {result.database} matches the models", color="green")
    else:
        count = len(result.changes)
        run.out(
            f"The database {result.database} differs from the models in {count} "
            f"way{'s' if count != 1 else ''}:"
        )
        for change in result.changes:
            run.out(f"  {change.detail}", color="red" if change.destructive else None)
    _notes(run, result.notes)
    if not result.clean:
        raise typer.Exit(1)


def _notes(run: Run, notes: tuple[str, ...]) -> None:
    """What the migration's ``-- WARNING:`` comments say, on stderr: data loss, renames."""
    for note in notes:
        run.err(f"warning: {note}", color="yellow")


def _migrate_command(create: bool) -> Callable[..., None]:
    def command(
        url: UrlOption = None,
        migrations_dir: DirOption = None,
        migrations_table: TableOption = None,
        single_transaction: SingleTxOption = False,
        lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
        wait: WaitOption = False,
        wait_timeout: WaitTimeoutOption = DEFAULT_WAIT_TIMEOUT,
        ddl_lock_timeout: DdlLockTimeoutOption = None,
        statement_timeout: StatementTimeoutOption = None,
        lock_retries: LockRetriesOption = 0,
        lock_strategy: LockStrategyOption = "auto",
        link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
        strict: StrictOption = False,
        fail_on_drift: FailOnDriftOption = False,
        to: Annotated[
            str | None,
            typer.Option(
                "--to",
                metavar="VERSION",
                help="Apply the pending migrations up to and including this version.",
            ),
        ] = None,
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
            link_timeout=link_timeout,
            strict=strict or run.config.strict,
            fail_on_drift=fail_on_drift or run.config.fail_on_drift,
            to=to,
        )
        for warning in result.warnings:
            run.err(f"warning: {warning}", color="yellow")
        if run.json:
            run.emit(to_json(result))
            return
        count = len(result.applied)
        run.err(
            f"Applied {plural(count, 'migration')}"
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
        typer.Option("--steps", "-s", metavar="N", help="How many to roll back [default: 1]."),
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
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: DdlLockTimeoutOption = None,
    statement_timeout: StatementTimeoutOption = None,
    lock_retries: LockRetriesOption = 0,
    lock_strategy: LockStrategyOption = "auto",
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
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
        link_timeout=link_timeout,
    )
    if run.json:
        run.emit(to_json(result))
    else:
        count = len(result.rolled_back)
        run.err(f"Rolled back {plural(count, 'migration')}", color="green")


app.command("rollback", help="Roll back the last migration (or --steps N, or --to VERSION).")(
    _rollback
)
app.command("down", help="Alias of rollback.")(_rollback)


@app.command()
def redo(
    url: UrlOption = None,
    steps: Annotated[int, typer.Option("--steps", "-s", metavar="N", help="How many to redo.")] = 1,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: DdlLockTimeoutOption = None,
    statement_timeout: StatementTimeoutOption = None,
    lock_retries: LockRetriesOption = 0,
    lock_strategy: LockStrategyOption = "auto",
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Roll back the last migration (or --steps N) and apply it again."""
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: RedoResult = run.call(
        _api.redo,
        run.url,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        steps=steps,
        lock_timeout=lock_timeout,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        lock_retries=lock_retries,
        lock_strategy=lock_strategy,
        link_timeout=link_timeout,
    )
    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if run.json:
        run.emit(to_json(result))
        return
    back, again = len(result.rolled_back), len(result.applied)
    run.err(
        f"Rolled back {plural(back, 'migration')}, applied {plural(again, 'migration')}",
        color="green",
    )


@app.command()
def status(
    url: UrlOption = None,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when anything is pending, has drifted or failed."),
    ] = False,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            metavar="SECONDS",
            help="Seconds to wait for a database another process has locked (SQLite).",
        ),
    ] = DEFAULT_LOCK_TIMEOUT,
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
        link_timeout=link_timeout,
        lock_timeout=lock_timeout,
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
                late = "  (out of order: older than an applied migration)" if m.out_of_order else ""
                run.out(f"[ ] {label}{late}")
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
    if exit_code and (result.pending or result.drifted or result.failed):
        raise typer.Exit(1)


@app.command()
def show(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The migration's version.")],
    down: Annotated[bool, typer.Option("--down", help="The down section, not the up.")] = False,
    migrations_dir: DirOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Print a migration's up (or --down) SQL as it would run; reads no database."""
    run = Run(
        url=None,
        migrations_dir=migrations_dir,
        migrations_table=None,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: ShowResult = run.call(
        _api.show, version, migrations_dir=list(run.config.migrations_dirs), down=down
    )
    if run.json:
        run.emit(to_json(result))
        return
    how = "in a transaction" if result.transaction else "outside a transaction"
    run.out(f"-- {result.path}:{result.line}: the {result.direction} section, {how}")
    run.out(result.sql.rstrip("\n"))


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
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
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
        link_timeout=link_timeout,
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
        ready = f"{result.elapsed:.2f}s, {plural(result.attempts, 'attempt')}"
        run.err(f"Database server is ready ({ready})")


def main() -> None:
    """The `schemactl` console script."""
    try:
        if "--json" in sys.argv[1:]:
            sys.exit(_run_for_json())
        app()
    finally:
        # Nothing is left to free: spare the interpreter's final garbage collection over every
        # object a large autogenerate built (0.3 s on a 500-table schema).
        gc.freeze()


def _run_for_json() -> int:
    """With --json a usage error (an unknown option, a missing argument) is JSON on stdout
    too, like every other error, besides the usual line on stderr; exit 2."""
    try:
        code = app(standalone_mode=False)
    except Exception as exc:
        # Click's UsageError, which Typer vendors without exporting it: known by its shape
        if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
            raise
        message = str(exc.format_message()).splitlines()[0]
        error = {"type": "UsageError", "message": message, "exit_code": 2}
        sys.stdout.write(json.dumps({"error": error}, indent=2, sort_keys=True) + "\n")
        sys.stderr.write(f"error: {message}\n")
        return 2
    return code if isinstance(code, int) else 0
