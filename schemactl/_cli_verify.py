"""The `verify` command: every migration applied, rolled back and applied again on a
throwaway database, and what its down section gets wrong."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ._cli_app import app
from ._cli_options import (
    DirOption,
    EnvFileOption,
    JsonOption,
    LinkTimeoutOption,
    PasswordCommandOption,
    TableOption,
    UrlOption,
    VerboseOption,
)
from ._cli_run import Run
from ._options import DEFAULT_LINK_TIMEOUT
from ._redact import password_in
from ._results import plural

DevUrlOption = Annotated[
    str | None,
    typer.Option(
        "--dev-url",
        metavar="URL",
        envvar="SCHEMACTL_DEV_URL",
        help="Make the throwaway database on this server instead of --url's. "
        "[env: SCHEMACTL_DEV_URL]",
        show_default=False,
        show_envvar=False,
    ),
]


@app.command()
def verify(
    url: UrlOption = None,
    dev_url: DevUrlOption = None,
    migrations_dir: DirOption = None,
    migrations_table: TableOption = None,
    link_timeout: LinkTimeoutOption = DEFAULT_LINK_TIMEOUT,
    env_file: EnvFileOption = None,
    json_output: JsonOption = False,
    verbose: VerboseOption = False,
    password_command: PasswordCommandOption = None,
) -> None:
    """Prove every migration's down section on a throwaway database (exit 1 when one is
    missing, fails, does not restore the schema or loses data, and is not approved)."""
    from ._verify import verify as verify_migrations
    from ._verify import verify_document

    run = Run(
        password_command=password_command,
        url=url,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        env_file=env_file,
        json_output=json_output,
        verbose=verbose,
    )
    if not verbose:  # every migration is applied twice and rolled back: not worth a line each
        logging.getLogger("schemactl").setLevel(logging.WARNING)
    target = run.config.url or dev_url or run.url  # (run.url: the "no URL" error)
    if dev_url and not run.password:
        run.password = password_in(dev_url)
    result = run.call(
        verify_migrations,
        target,
        migrations_dir=list(run.config.migrations_dirs),
        migrations_table=run.config.migrations_table,
        dev_url=dev_url,
        link_timeout=link_timeout,
    )
    for warning in result.warnings:
        run.err(f"warning: {warning}", color="yellow")
    if run.json:
        run.emit(verify_document(result))
    else:
        run.err(f"Verified on {result.database} (dropped again)", color="dim")
        for m in result.migrations:
            if not m.problems:
                run.out(f"ok    {m.path.name}", color="green")
                continue
            tag = "ok    " if m.ok else "FAIL  "
            approved = f"  (approved as irreversible: {m.approved})" if m.approved else ""
            run.out(f"{tag}{m.path.name}{approved}", color=None if m.ok else "red")
            for problem in m.problems:
                run.out(f"      {problem.kind}: {problem.detail}")
        failed = [m for m in result.migrations if not m.ok]
        total = plural(len(result.migrations), "migration")
        if failed:
            run.out(f"\n{len(failed)} of {total} cannot be rolled back safely", color="red")
        else:
            run.out(f"\n{total}: every down section restores the schema")
    if not result.ok:
        raise typer.Exit(1)
