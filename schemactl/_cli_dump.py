"""The commands of the schema file: dump and load; and the dump `up`, `migrate`, `rollback`
and `redo` write after changing the schema, when asked (``--dump-schema``, ``dump_schema``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import _api
from ._cli_app import app
from ._cli_options import (
    EnvFileOption,
    JsonOption,
    LinkTimeoutOption,
    PasswordCommandOption,
    SchemaFileOption,
    TableOption,
    UrlOption,
    VerboseOption,
)
from ._cli_run import Run
from ._errors import SchemactlError
from ._options import DEFAULT_LINK_TIMEOUT
from ._results import DumpResult, LoadResult, plural, to_json


@app.command()
def dump(
    url: UrlOption = None,
    schema_file: SchemaFileOption = None,
    builtin: Annotated[
        bool,
        typer.Option(
            "--builtin",
            help="Dump through schemactl's own connection, even when pg_dump, mariadb-dump "
            "or sqlite3 is on PATH.",
        ),
    ] = False,
    migrations_table: TableOption = None,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Write the database's schema, then its applied migrations, to the schema file."""
    run = Run(
        password_command=password_command,
        url=url,
        migrations_table=migrations_table,
        schema_file=schema_file,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: DumpResult = run.call(
        _api.dump,
        run.url,
        schema_file=run.config.schema_file,
        builtin=builtin,
        migrations_table=run.config.migrations_table,
        link_timeout=link_timeout,
    )
    if run.json:
        run.emit(to_json(result))
    else:
        run.err(_dumped(result), color="green")


@app.command()
def load(
    url: UrlOption = None,
    schema_file: SchemaFileOption = None,
    migrations_table: TableOption = None,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Apply the schema file to an empty database (created if missing) in one go."""
    run = Run(
        password_command=password_command,
        url=url,
        migrations_table=migrations_table,
        schema_file=schema_file,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    result: LoadResult = run.call(
        _api.load,
        run.url,
        schema_file=run.config.schema_file,
        migrations_table=run.config.migrations_table,
        link_timeout=link_timeout,
    )
    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if run.json:
        run.emit(to_json(result))
        return
    recorded = plural(len(result.versions), "migration")
    run.err(f"Loaded {result.path} into {result.database} ({recorded} applied)", color="green")


def _dumped(result: DumpResult) -> str:
    how = "built-in dump" if result.tool == "builtin" else result.tool
    if not result.changed:
        return f"{result.path} is up to date ({how})"
    return f"Wrote {result.path} ({how}, {plural(len(result.versions), 'migration')} applied)"


def dump_after(run: Run, changed: bool) -> DumpResult | None:
    """The schema file written after a command changed the schema, when dump_schema is on;
    None otherwise (nothing changed: the file is not touched). A failure names what did
    happen: the migrations stay applied (or rolled back)."""
    if not (changed and run.config.dump_schema):
        return None

    async def dump_or_say_why() -> DumpResult:
        try:
            return await _api.dump(
                run.url,
                schema_file=run.config.schema_file,
                migrations_table=run.config.migrations_table,
                password=run.password_source,
            )
        except SchemactlError as exc:
            exc.args = (f"the schema changed, but writing {run.config.schema_file} failed: {exc}",)
            raise

    result: DumpResult = run.call(dump_or_say_why)
    if not run.json:
        run.err(_dumped(result))
    return result


def with_dump(data: Any, dumped: DumpResult | None) -> Any:
    """A command's JSON document, with the schema file it wrote (``schema_dump``; absent
    when it wrote none)."""
    if isinstance(data, dict) and dumped is not None:
        data["schema_dump"] = to_json(dumped)
    return data
