"""`schemactl mcp`: serve the Model Context Protocol over stdio (``_mcp``), for agents."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ._cli_app import app
from ._cli_options import (
    DirOption,
    EnforceOption,
    EnvFileOption,
    ExcludeTableOption,
    ModelsOption,
    TableOption,
    UrlOption,
    VerboseOption,
)
from ._cli_run import Run
from ._cli_verify import DevUrlOption

INSTALL = "the MCP server needs the mcp package: pip install 'schemactl[mcp]'"


@app.command()
def mcp(
    url: UrlOption = None,
    dev_url: DevUrlOption = None,
    models: ModelsOption = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only", help="Offer no apply tool, and let new only show SQL (dry run)."
        ),
    ] = False,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    exclude_table: ExcludeTableOption = None,
    enforce: EnforceOption = None,
    env_file: EnvFileOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the Model Context Protocol on stdin/stdout for an AI agent: tools status, plan,
    lint, check, new, verify, and apply, which runs only a plan whose digest a person
    approved. The database is this command's (--url, DATABASE_URL, pyproject), never the
    agent's choice."""
    run = Run(
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        models=models,
        exclude_tables=exclude_table,
        enforce=enforce,
        env_file=env_file,
        verbose=verbose,
    )
    _ = run.url  # no database URL: one line and exit 3, before serving
    try:
        from ._mcp import ServerSettings, build_server
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types", "pydantic"):
            raise
        run.fail_line(INSTALL, 3, "ConfigurationError")
    # schemactl's lines go to stderr through the CLI's handler only, not again through the
    # handler the MCP SDK puts on the root logger
    logging.getLogger("schemactl").propagate = False
    settings = ServerSettings(run.config, dev_url=dev_url, read_only=read_only)
    try:
        build_server(settings).run("stdio")
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
