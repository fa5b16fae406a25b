"""`--url-file` and `--schemas`: `up`, `migrate`, `rollback`, `status` and `plan` over a fleet
of databases, or of schemas in one (PostgreSQL's schema per tenant).

While the fleet runs, one line per database as it finishes (on stderr, with a progress bar
on a terminal); then a table of every database on stdout, or with --json one document:
``{"databases": [{"url", "ok", "error", "exit_code", "seconds", ...its result}], "ok": N,
"failed": M}``. The exit code is 0 when every database succeeded, else the exit code of the
first failed database in the list. schemactl's log lines ("Applying ...") are silenced
unless --verbose: forty databases' lines interleaved say nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from ._cli_progress import progress_bar, wanted
from ._cli_run import Run
from ._errors import ConfigurationError, SchemactlError
from ._fleet import DEFAULT_CONCURRENCY, FleetDatabase, FleetResult, parse_shard, read_url_file
from ._results import Progress, to_json

R = TypeVar("R")


def refuse_fleet_flags(
    run: Run, concurrency: int | None, shard: str | None, canary: int | None = None
) -> None:
    """--concurrency, --shard or --canary without a fleet: a mistake, said in one line."""
    given = [
        f
        for f, v in (("--concurrency", concurrency), ("--shard", shard), ("--canary", canary))
        if v is not None
    ]
    if not run.config.fleet and given:
        run.fail(ConfigurationError(f"{given[0]} applies to --url-file and --schemas"))


def refuse_in_fleet(run: Run, flag: str, given: object) -> None:
    """An option of one database (a plan's digest, a dry run) is refused in a fleet run."""
    if run.config.fleet and given:
        many = "--url-file" if run.config.url_file else "--schemas"
        run.fail(ConfigurationError(f"{flag} applies to one database: not with {many}"))


def fleet_urls(run: Run) -> list[str]:
    """The URL file's databases, or the one database of --url (its schemas are the fleet)."""
    if run.config.url_file is None:
        return [run.url]
    try:
        return read_url_file(run.config.url_file)
    except SchemactlError as exc:
        run.fail(exc)


def run_fleet(
    run: Run,
    function: Callable[..., Awaitable[FleetResult[R]]],
    describe: Callable[[R], str],
    *,
    concurrency: int | None,
    shard: str | None,
    quiet: bool = False,
    direction: str | None = None,
    **options: Any,
) -> FleetResult[R]:
    """Run a fleet coroutine (``up_many``, ...) on the URL file's databases (or the schemas
    of --schemas) and print it; exits non-zero (``typer.Exit``) when one failed.
    ``describe``: a result in a few words; ``direction`` ("up", "down"): the progress bar's,
    None for none."""
    urls = fleet_urls(run)
    try:
        part = None if shard is None else parse_shard(shard)
    except SchemactlError as exc:
        run.fail(exc)
    if not run.verbose:
        run.quiet()
    lines = not run.json and not quiet
    bar = direction is not None and wanted(json_output=run.json, quiet=quiet)
    with progress_bar(bar) as progress:
        finished = total = 0

        def on_start(count: int) -> None:
            nonlocal total
            total = count
            if progress is not None and direction is not None:
                progress(Progress(0, total, None, direction))

        def on_done(database: FleetDatabase[R]) -> None:
            nonlocal finished
            finished += 1
            if lines:
                _line(run, database, describe)
            if progress is not None and direction is not None:
                progress(Progress(finished, total, database.url, direction))

        if run.password_source is not None:  # --password-command: for every database
            options = {**options, "password": run.password_source}
        result: FleetResult[R] = run.call(
            function,
            urls,
            concurrency=concurrency or DEFAULT_CONCURRENCY,
            schemas=run.config.schemas,
            schemas_from=run.config.schemas_from,
            shard=part,
            on_start=on_start,
            on_done=on_done,
            **options,
        )
    if run.json:
        run.emit(fleet_document(result))
    elif result.databases:
        _table(run, result, describe)
    else:
        where = f"shard {shard}" if shard else "the list"
        run.err(f"{where} holds no database: nothing to do")
    if result.failed:
        raise typer.Exit(result.exit_code)
    return result


def fleet_document(result: FleetResult[Any]) -> dict[str, Any]:
    """The --json document of a fleet run: each database with its result's fields when ok."""
    databases = []
    for database in result.databases:
        entry = {
            "url": database.url,
            "schema": database.schema,
            "ok": database.ok,
            "error": database.error,
            "exit_code": database.exit_code,
            "seconds": round(database.seconds, 3),
            "skipped": database.skipped,
        }
        if database.ok:
            as_json = getattr(database.result, "as_json", None)  # a plan's own document
            entry = {**(as_json() if as_json else to_json(database.result)), **entry}
        databases.append(entry)
    return {"databases": databases, "ok": result.ok, "failed": result.failed}


def _line(run: Run, database: FleetDatabase[R], describe: Callable[[R], str]) -> None:
    if database.ok and database.result is not None:
        run.err(f"ok    {database.url}  {describe(database.result)}", color="green")
        for warning in getattr(database.result, "warnings", ()):
            run.err(f"warning: {database.url}: {warning}", color="yellow")
    elif database.skipped:
        run.err(f"SKIP  {database.url}  {database.error}", color="yellow")
    else:
        run.err(f"FAIL  {database.url}  {database.error} (exit {database.exit_code})", color="red")


def _table(run: Run, result: FleetResult[R], describe: Callable[[R], str]) -> None:
    width = max(len("DATABASE"), *(len(d.url) for d in result.databases))
    run.out(f"{'DATABASE':<{width}}  RESULT  DETAIL")
    for d in result.databases:
        if d.ok and d.result is not None:
            run.out(f"{d.url:<{width}}  ok      {describe(d.result)}")
        elif d.skipped:
            run.out(f"{d.url:<{width}}  SKIPPED {d.error}", color="yellow")
        else:
            run.out(f"{d.url:<{width}}  FAILED  {d.error} (exit {d.exit_code})", color="red")
    skipped = sum(1 for d in result.databases if d.skipped)
    failed = f"{result.failed - skipped} failed" + (f", {skipped} not run" if skipped else "")
    summary = f"{result.ok} ok, {failed}, {len(result.databases)} in all"
    run.out(summary, color="red" if result.failed else "green")
