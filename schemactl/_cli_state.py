"""The commands that look at or manage a database: status, show, resolve, create, drop, wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from . import _api
from ._api_fleet import status_many
from ._cli_app import app
from ._cli_fleet import refuse_fleet_flags, run_fleet
from ._cli_options import (
    ConcurrencyOption,
    DirOption,
    EnvFileOption,
    JsonOption,
    LinkTimeoutOption,
    LockTimeoutOption,
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
from ._options import DEFAULT_LINK_TIMEOUT, DEFAULT_LOCK_TIMEOUT
from ._results import (
    ShowResult,
    Status,
    plural,
    to_json,
)


@app.command()
def status(
    url: UrlOption = None,
    url_file: UrlFileOption = None,
    schemas: SchemasOption = None,
    schemas_from: SchemasFromOption = None,
    concurrency: ConcurrencyOption = None,
    shard: ShardOption = None,
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
    password_command: PasswordCommandOption = None,
) -> None:
    """Show applied and pending migrations, and files changed since applied."""
    run = Run(
        password_command=password_command,
        url=url,
        url_file=url_file,
        schemas=schemas,
        schemas_from=schemas_from,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    refuse_fleet_flags(run, concurrency, shard)
    options: dict[str, Any] = dict(
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        link_timeout=link_timeout,
        lock_timeout=lock_timeout,
    )
    if run.config.fleet:
        fleet = run_fleet(
            run, status_many, _status_words, concurrency=concurrency, shard=shard, **options
        )
        if exit_code and any(_unsettled(d.result) for d in fleet.databases if d.result):
            raise typer.Exit(1)
        return
    result: Status = run.call(_api.status, run.url, **options)
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
    if exit_code and _unsettled(result):
        raise typer.Exit(1)


def _unsettled(result: Status) -> bool:
    """Anything pending, drifted or failed: what `status --exit-code` exits 1 for."""
    return bool(result.pending or result.drifted or result.failed)


def _status_words(result: Status) -> str:
    words = f"{len(result.applied)} applied, {len(result.pending)} pending"
    if result.drifted:
        words += f", {len(result.drifted)} drifted"
    if result.failed:
        words += f", {len(result.failed)} failed"
    return words


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
    password_command: PasswordCommandOption = None,
) -> None:
    """Mark a migration that failed part-way as applied or rolled back, after fixing the
    database by hand (MySQL/MariaDB DDL, transaction:false sections)."""
    if applied == rolled_back:
        raise typer.BadParameter("give exactly one of --applied and --rolled-back")
    run = Run(
        password_command=password_command,
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


@app.command()
def baseline(
    version: Annotated[
        str,
        typer.Argument(metavar="VERSION", help="The last migration the database already has."),
    ],
    url: UrlOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Record the migrations up to VERSION as applied without running them: adopt a database
    that already has their changes (made by hand, or by another tool)."""
    run = Run(
        password_command=password_command,
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result = run.call(
        _api.baseline,
        run.url,
        version,
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
        password_command: PasswordCommandOption = None,
    ) -> None:
        run = Run(
            url=url,
            password_command=password_command,
            env_file=env_file,
            json_output=json_output,
            verbose=verbose,
        )
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
    migrated: Annotated[
        bool,
        typer.Option(
            "--migrated",
            help="Wait until the database exists and every migration is applied (without "
            "taking the migration lock): an app's readiness while a Job runs `up`.",
        ),
    ] = False,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="VERSION",
            help="Wait until this migration is applied (implies --migrated); on a replica, "
            "until it has replayed it.",
        ),
    ] = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Wait until the database server accepts connections (or, with --migrated, until the
    database is migrated).

    The database itself need not exist yet, so `wait` then `up` works on a fresh server.
    """
    run = Run(
        password_command=password_command,
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result = run.call(
        _api.wait,
        run.url,
        timeout=timeout,
        migrated=migrated,
        version=version,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
    )
    if run.json:
        run.emit(to_json(result))
    else:
        ready = f"{result.elapsed:.2f}s, {plural(result.attempts, 'attempt')}"
        what = "Database is migrated" if result.migrated else "Database server is ready"
        if version is not None:
            what = f"Migration {version} is applied"
        run.err(f"{what} ({ready})")
