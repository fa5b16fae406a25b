"""`schemactl plan`: what `up` would do, changing nothing; and the printing `rollback
--dry-run` shares with it.

Registered on the app at start-up; nothing of the linter or of SQLAlchemy is imported here
until the command runs."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import _api
from ._api_fleet import plan_many
from ._cli_app import app
from ._cli_fleet import refuse_fleet_flags, refuse_in_fleet, run_fleet
from ._cli_options import (
    ConcurrencyOption,
    DdlLockTimeoutOption,
    DirOption,
    EnvFileOption,
    JsonOption,
    LinkTimeoutOption,
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
from ._options import DEFAULT_LINK_TIMEOUT

if TYPE_CHECKING:
    from .lint.policy import Policy
    from .planner.model import PlanResult


class Format(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help="Output: text, json (schemactl.plan/1), markdown (a review brief)."
    ),
]
PreflightOption = Annotated[
    bool,
    typer.Option(
        "--preflight",
        help="Run the pre-flight checks (read-only, each bounded by --statement-timeout) and "
        "report their counts.",
    ),
]
CheckTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Stop a pre-flight check that runs (or waits for a lock) longer than this; it is "
        "reported as timed out.",
        show_default=False,
    ),
]


@app.command()
def plan(
    url: UrlOption = None,
    url_file: UrlFileOption = None,
    schemas: SchemasOption = None,
    schemas_from: SchemasFromOption = None,
    concurrency: ConcurrencyOption = None,
    shard: ShardOption = None,
    preflight: PreflightOption = False,
    statement_timeout: CheckTimeoutOption = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="VERSION", help="Plan `up --to VERSION`: the pending ones up to it."
        ),
    ] = None,
    output: FormatOption = Format.text,
    json_output: JsonOption = False,
    ddl_lock_timeout: DdlLockTimeoutOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Show what `up` would do, changing nothing: each pending migration's statements, locks,
    findings, risk, table sizes, what its down would lose, and pre-flight checks.

    Ends with the decision (pass, review, block) and the plan's digest; `up --plan-digest`
    applies exactly that plan. Exit 0 for pass and review, 1 for block."""
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
    refuse_fleet_flags(run, concurrency, shard)
    options: dict[str, Any] = dict(
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        preflight=preflight,
        statement_timeout=statement_timeout,
        policy=lint_policy(run),
        to=to,
        ddl_lock_timeout=ddl_lock_timeout,
        link_timeout=link_timeout,
    )
    if run.config.fleet:
        refuse_in_fleet(run, "--format markdown", output is Format.markdown)
        fleet = run_fleet(
            run, plan_many, _plan_words, concurrency=concurrency, shard=shard, **options
        )
        if any(d.result.decision == "block" for d in fleet.databases if d.result):
            raise typer.Exit(1)
        return
    result: PlanResult = run.call(_api.plan, run.url, **options)
    print_plan(run, result, output)


def _plan_words(result: PlanResult) -> str:
    count = len(result.migrations)
    return f"{count} pending, decision {result.decision}, {result.digest}"


def lint_policy(run: Run) -> Policy:
    """[tool.schemactl.lint], or the defaults."""
    from ._errors import SchemactlError
    from .lint.policy import Policy

    try:
        return run.config.lint_policy() or Policy()
    except SchemactlError as exc:
        run.fail(exc)


def print_plan(run: Run, result: PlanResult, output: Format) -> None:
    """The plan on stdout, its warnings on stderr; exit 1 when its decision is block."""
    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if output is Format.json:
        run.emit(result.as_json())
    elif output is Format.markdown:
        run.out(result.markdown().rstrip("\n"))
    else:
        run.out(result.text().rstrip("\n"))
    if result.decision == "block":
        raise typer.Exit(1)
