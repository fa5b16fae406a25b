"""The commands that write or run migrations: new, check, up, migrate, rollback (down), redo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from . import _api, _api_fleet
from ._cli_app import app
from ._cli_fleet import refuse_fleet_flags, refuse_in_fleet, run_fleet
from ._cli_options import (
    AllowOption,
    AllowPendingOption,
    CanaryOption,
    ConcurrencyOption,
    DdlLockTimeoutOption,
    DirOption,
    DumpSchemaOption,
    EnforceOption,
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
    PasswordCommandOption,
    QuietOption,
    SchemaFileOption,
    SchemasFromOption,
    SchemasOption,
    ShardOption,
    SingleTxOption,
    StatementTimeoutOption,
    StrictOption,
    TableOption,
    UrlFileOption,
    UrlOption,
    VerboseOption,
    WaitOption,
    WaitTimeoutOption,
)
from ._cli_progress import progress_bar, wanted
from ._cli_run import Run
from ._options import DEFAULT_LINK_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from ._results import (
    CheckResult,
    MigrateResult,
    NewFile,
    NewResult,
    RedoResult,
    RollbackResult,
    plural,
    to_json,
)

if TYPE_CHECKING:
    from .lint.policy import Policy


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
        bool, typer.Option("--dry-run", help="Show the file's SQL, write no file.")
    ] = False,
    include_schemas: IncludeSchemasOption = False,
    allow_pending: AllowPendingOption = False,
    exclude_table: ExcludeTableOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
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
        password_command=password_command,
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
    for finding in result.findings:
        run.err(f"lint: {finding}", color="yellow")
    files: tuple[NewFile | NewResult, ...] = result.files or (result,)
    if result.path is not None:
        for file in files:
            run.out(f"Created {file.path}", color="green")
        return
    for number, file in enumerate(files, start=1):
        if len(files) > 1:
            run.out(f"-- file {number} of {len(files)}")
        run.out(file.content)


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
    password_command: PasswordCommandOption = None,
) -> None:
    """Exit 0 when the database matches the models, 1 with the differences when not.

    Refuses (exit 8) while the database lacks migrations of the migrations directory."""
    run = Run(
        password_command=password_command,
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
        url_file: UrlFileOption = None,
        schemas: SchemasOption = None,
        schemas_from: SchemasFromOption = None,
        concurrency: ConcurrencyOption = None,
        shard: ShardOption = None,
        canary: CanaryOption = None,
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
        enforce: EnforceOption = None,
        allow: AllowOption = None,
        plan_digest: Annotated[
            str | None,
            typer.Option(
                "--plan-digest",
                metavar="sha256:HEX",
                help="Apply only if what would run is still exactly the plan with this digest "
                "(`schemactl plan` prints it); otherwise exit 8 naming what changed.",
                show_default=False,
            ),
        ] = None,
        to: Annotated[
            str | None,
            typer.Option(
                "--to",
                metavar="VERSION",
                help="Apply the pending migrations up to and including this version.",
            ),
        ] = None,
        dump_schema: DumpSchemaOption = None,
        schema_file: SchemaFileOption = None,
        env_file: EnvFileOption = None,
        json_output: JsonOption = False,
        quiet: QuietOption = False,
        verbose: VerboseOption = False,
        password_command: PasswordCommandOption = None,
    ) -> None:
        from ._cli_dump import dump_after, with_dump

        run = Run(
            password_command=password_command,
            url=url,
            url_file=url_file,
            schemas=schemas,
            schemas_from=schemas_from,
            migrations_dir=migrations_dir,
            migrations_table=migrations_table,
            enforce=enforce,
            schema_file=schema_file,
            dump_schema=dump_schema,
            env_file=env_file,
            json_output=json_output,
            verbose=verbose,
        )
        if quiet:
            run.quiet()
        refuse_fleet_flags(run, concurrency, shard, canary)
        options = dict(
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
            policy=_policy(run, allow or []),
        )
        if run.config.fleet:
            refuse_in_fleet(run, "--plan-digest", plan_digest)
            many = _api_fleet.up_many if create else _api_fleet.migrate_many
            run_fleet(
                run, many, _applied_words, concurrency=concurrency, shard=shard, quiet=quiet,
                direction="up", canary=canary or 0, **options,
            )  # fmt: skip
            return
        with progress_bar(wanted(json_output=json_output, quiet=quiet)) as progress:
            result: MigrateResult = run.call(
                _api.up if create else _api.migrate,
                run.url,
                plan_digest=plan_digest,
                progress=progress,
                **options,
            )
        for warning in result.warnings:
            run.err(f"warning: {warning}", color="yellow")
        count = len(result.applied)
        if not run.json and not quiet:
            run.err(
                f"Applied {plural(count, 'migration')}"
                if count
                else "Nothing to apply: the database is up to date",
                color="green",
            )
        dumped = dump_after(run, bool(count))
        if run.json:
            run.emit(with_dump(to_json(result), dumped))

    return command


def _applied_words(result: MigrateResult) -> str:
    return f"applied {plural(len(result.applied), 'migration')}"


def _rolled_back_words(result: RollbackResult) -> str:
    return f"rolled back {plural(len(result.rolled_back), 'migration')}"


app.command("up", help="Create the database if missing, then apply pending migrations.")(
    _migrate_command(create=True)
)
app.command("migrate", help="Apply pending migrations to an existing database.")(
    _migrate_command(create=False)
)


def _policy(run: Run, allow: list[str]) -> Policy:
    """The lint policy of `up` and `migrate`: [tool.schemactl.lint] (none: the defaults, the
    blocking findings then warnings), with the rules --allow lets through."""
    import dataclasses

    from ._errors import SchemactlError
    from .lint.policy import Policy

    try:
        policy = run.config.lint_policy() or Policy()
        return dataclasses.replace(policy, allow=frozenset(allow)) if allow else policy
    except SchemactlError as exc:  # a rule that does not exist, in pyproject or --allow
        run.fail(exc)


def _rollback(
    url: UrlOption = None,
    url_file: UrlFileOption = None,
    schemas: SchemasOption = None,
    schemas_from: SchemasFromOption = None,
    concurrency: ConcurrencyOption = None,
    shard: ShardOption = None,
    canary: CanaryOption = None,
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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Change nothing: print the plan of the rollback (the down sections, their "
            "locks and findings, what each loses); exit 1 when its decision is block.",
        ),
    ] = False,
    dump_schema: DumpSchemaOption = None,
    schema_file: SchemaFileOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    from ._cli_dump import dump_after, with_dump

    run = Run(
        password_command=password_command,
        url=url,
        url_file=url_file,
        schemas=schemas,
        schemas_from=schemas_from,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        schema_file=schema_file,
        dump_schema=dump_schema,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    if quiet:
        run.quiet()
    refuse_fleet_flags(run, concurrency, shard, canary)
    refuse_in_fleet(run, "--dry-run", dry_run)
    if dry_run:
        _rollback_plan(run, steps, to, ddl_lock_timeout, link_timeout)
        return
    options = dict(
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
    if run.config.fleet:
        run_fleet(
            run, _api_fleet.rollback_many, _rolled_back_words, concurrency=concurrency,
            shard=shard, quiet=quiet, direction="down", canary=canary or 0, **options,
        )  # fmt: skip
        return
    with progress_bar(wanted(json_output=json_output, quiet=quiet)) as progress:
        result: RollbackResult = run.call(_api.rollback, run.url, progress=progress, **options)
    count = len(result.rolled_back)
    if not run.json and not quiet:
        run.err(f"Rolled back {plural(count, 'migration')}", color="green")
    dumped = dump_after(run, bool(count))
    if run.json:
        run.emit(with_dump(to_json(result), dumped))


def _rollback_plan(
    run: Run, steps: int | None, to: str | None, ddl_lock_timeout: float | None, link_timeout: float
) -> None:
    from ._cli_plan import Format, lint_policy, print_plan

    result = run.call(
        _api.plan,
        run.url,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        policy=lint_policy(run),
        rollback=True,
        steps=steps,
        to=to,
        ddl_lock_timeout=ddl_lock_timeout,
        link_timeout=link_timeout,
    )
    print_plan(run, result, Format.json if run.json else Format.text)


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
    dump_schema: DumpSchemaOption = None,
    schema_file: SchemaFileOption = None,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Roll back the last migration (or --steps N) and apply it again."""
    from ._cli_dump import dump_after, with_dump

    run = Run(
        password_command=password_command,
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        schema_file=schema_file,
        dump_schema=dump_schema,
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
    back, again = len(result.rolled_back), len(result.applied)
    if not run.json:
        run.err(
            f"Rolled back {plural(back, 'migration')}, applied {plural(again, 'migration')}",
            color="green",
        )
    dumped = dump_after(run, bool(back or again))
    if run.json:
        run.emit(with_dump(to_json(result), dumped))
