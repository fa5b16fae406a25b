"""A sweep for passwords in output: failing commands, every output mode, several spellings of
a password in the URL. No piece of the password may appear on stdout or stderr, and the
Python API's errors and log records must not hold it either.

PostgreSQL accepts any password (trust authentication), so SQL and missing-database failures
happen there with a password in the URL; MariaDB's root has no password, so a password makes
it fail authentication.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import schemactl
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir, drop_quietly, fresh_url

SCRIPT = Path(sys.executable).parent / "schemactl"
MODES = {
    "human": (),
    "json": ("--json",),
    "verbose": ("--verbose",),  # tracebacks, and the schemactl logger at DEBUG
}


@dataclass(frozen=True)
class Secret:
    written: str  # as it appears in the URL
    pieces: tuple[str, ...]  # distinctive parts: none may be shown, alone or together

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.written, unquote(self.written), *self.pieces)


SECRETS = {
    "plain": Secret("Pa55-w0rd.X", ("Pa55", "w0rd")),
    # '@', ':' and '/' percent-encoded, and a literal "%40" in the password (written "%2540")
    "encoded": Secret("Kq3%40Zt9%3AWm4%2FHx6%2540Jp2", ("Kq3", "Zt9", "Wm4", "Hx6", "Jp2")),
    # a raw '@' and ':' as users paste them (the host starts after the last '@')
    "raw-at-colon": Secret("Kq3@Zt9:Wm4%40Hx6", ("Kq3", "Zt9", "Wm4", "Hx6")),
    # a raw '/' (not valid in a URL's user info, yet SQLAlchemy reads it as part of the password)
    "raw-slash": Secret("Vb9Lm/Rt5Ny", ("Vb9Lm", "Rt5Ny")),
}
# For the API (the CLI gets its URL through a shell word or an environment variable, where a
# raw space is rarer): a raw space, and a raw space with a raw '@' and '/'.
API_SECRETS = {
    **SECRETS,
    "raw-space": Secret("Sp4ce Pa55", ("Sp4ce", "Pa55")),
    "raw-space-at-slash": Secret("Qz7 cr@t/Lw2", ("Qz7", "cr@t", "Lw2")),
}


def with_password(
    base: str, password: str, database: str | None, *, port: int | None = None
) -> str:
    parts = urlsplit(base)
    host = f"{parts.hostname}:{port or parts.port}"
    return f"{parts.scheme}://{parts.username}:{password}@{host}" + (
        f"/{database}" if database is not None else ""
    )


def with_query_password(
    base: str, password: str, database: str | None, *, port: int | None = None
) -> str:
    """The password as a query parameter (libpq's and asyncpg's ``?password=``); a raw '@'
    encoded, as SQLAlchemy's URL parser takes one in the query for the end of the user info."""
    parts = urlsplit(base)
    host = f"{parts.hostname}:{port or parts.port}"
    path = f"/{database}" if database is not None else ""
    return f"{parts.scheme}://{parts.username}@{host}{path}?password={password.replace('@', '%40')}"


class Context:
    """Databases and migrations for one test; drops what it created."""

    def __init__(self, tmp_path: Path, migrations: MigrationsDir) -> None:
        self.tmp_path = tmp_path
        self.migrations = migrations
        self.created: list[str] = []

    def fresh_postgres(self) -> str:
        """A name for a PostgreSQL database that does not exist yet; dropped afterwards."""
        url = fresh_url("postgresql", self.tmp_path)
        self.created.append(url)
        return url.rsplit("/", 1)[1]

    def close(self) -> None:
        for url in self.created:
            drop_quietly(url)


@dataclass(frozen=True)
class Scenario:
    args: Callable[[Context, str], tuple[str, ...]]  # (context, written password) -> argv
    code: int
    kind: str  # the error's type in --json
    prepare: Callable[[Context], None] = lambda context: None


def _failing_migration(context: Context) -> None:
    context.migrations.add(
        "20240101000000",
        "broken",
        "CREATE TABLE sct_secret (id INTEGER);\nSELECT * FROM sct_no_such_table;",
    )


def _up_failing_sql(context: Context, password: str) -> tuple[str, ...]:
    database = context.fresh_postgres()
    return ("up", "--url", with_password(PG_BASE, password, database))


SCENARIOS = {
    "up-failing-sql": Scenario(_up_failing_sql, 6, "MigrationFailedError", _failing_migration),
    "status-missing-database": Scenario(
        lambda c, p: ("status", "--url", with_password(PG_BASE, p, "sct_secret_no_such_db")),
        5,
        "DatabaseConnectionError",
    ),
    "migrate-unreachable": Scenario(
        lambda c, p: ("migrate", "--url", with_password(PG_BASE, p, "x", port=1)),
        5,
        "DatabaseConnectionError",
    ),
    "wait-timeout": Scenario(
        lambda c, p: ("wait", "--timeout", "0.5", "--url", with_password(PG_BASE, p, "x", port=1)),
        5,
        "WaitTimeoutError",
    ),
    "create-bad-credentials": Scenario(
        lambda c, p: ("create", "--url", with_password(MYSQL_BASE, p, "sct_secret_db")),
        5,
        "DatabaseConnectionError",
    ),
    "drop-bad-credentials": Scenario(
        lambda c, p: ("drop", "--url", with_password(MYSQL_BASE, p, "sct_secret_db")),
        5,
        "DatabaseConnectionError",
    ),
    "url-without-database": Scenario(
        lambda c, p: ("status", "--url", with_password(PG_BASE, p, None)),
        3,
        "ConfigurationError",
    ),
    "query-url-without-database": Scenario(
        lambda c, p: ("status", "--url", with_query_password(PG_BASE, p, None)),
        3,
        "ConfigurationError",
    ),
    "query-migrate-unreachable": Scenario(
        lambda c, p: ("migrate", "--url", with_query_password(PG_BASE, p, "x", port=1)),
        5,
        "DatabaseConnectionError",
    ),
}


@pytest.fixture
def context(tmp_path: Path, migrations: MigrationsDir) -> Iterator[Context]:
    ctx = Context(tmp_path, migrations)
    yield ctx
    ctx.close()


def clean_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith("SCHEMACTL_")
    }
    env["NO_COLOR"] = "1"
    return env


@dataclass(frozen=True)
class Run:
    mode: str
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return (
            f"[{self.mode}] schemactl {' '.join(self.args)} -> exit {self.code}\n"
            f"--- stdout ---\n{self.out}--- stderr ---\n{self.err}--- end ---"
        )


def run_modes(context: Context, scenario: Scenario, password: str) -> list[Run]:
    """The scenario in every output mode, at the same time (each with its own arguments)."""
    started = []
    for mode, flags in MODES.items():
        args = (*scenario.args(context, password), *flags)
        process = subprocess.Popen(
            [str(SCRIPT), *args],
            cwd=context.tmp_path,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append((mode, args, process))
    runs = []
    for mode, args, process in started:
        out, err = process.communicate(timeout=120)
        runs.append(Run(mode, args, process.returncode, out, err))
    return runs


@pytest.mark.parametrize("secret", list(SECRETS.values()), ids=list(SECRETS))
@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_cli_never_shows_the_password(context: Context, scenario: Scenario, secret: Secret) -> None:
    scenario.prepare(context)
    for run in run_modes(context, scenario, secret.written):
        # the command failed the way the scenario means, so its error output is what we check
        assert run.code == scenario.code, run
        if "--json" in run.args:
            error = json.loads(run.out)["error"]
            assert error["type"] == scenario.kind, run
            assert error["code"] == scenario.code, run
        else:
            assert run.out == "", run
        assert "error: " in run.err, run
        assert ("Traceback" in run.err) == ("--verbose" in run.args), run
        for form in secret.forms:
            assert form not in run.out, (form, run)
            assert form not in run.err, (form, run)


# -- the Python API ---------------------------------------------------------------------------


def schemactl_errors(exc: BaseException) -> list[schemactl.SchemactlError]:
    """``exc`` and every schemactl error in its __cause__/__context__ chain."""
    found: list[schemactl.SchemactlError] = []
    todo: list[BaseException | None] = [exc]
    seen: list[BaseException] = []
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, schemactl.SchemactlError):
            found.append(item)
        todo += [item.__cause__, item.__context__]
    return found


ApiCall = Callable[[Context, str], Awaitable[object]]


async def _api_up(context: Context, password: str) -> object:
    database = context.fresh_postgres()
    url = with_password(PG_BASE, password, database)
    return await schemactl.up(url, migrations_dir=str(context.migrations))


async def _api_status_missing(context: Context, password: str) -> object:
    url = with_password(PG_BASE, password, "sct_secret_no_such_db")
    return await schemactl.status(url, migrations_dir=str(context.migrations))


async def _api_migrate_unreachable(context: Context, password: str) -> object:
    url = with_password(PG_BASE, password, "x", port=1)
    return await schemactl.migrate(url, migrations_dir=str(context.migrations))


async def _api_wait(context: Context, password: str) -> object:
    return await schemactl.wait(with_password(PG_BASE, password, "x", port=1), timeout=0.5)


async def _api_create(context: Context, password: str) -> object:
    return await schemactl.create(with_password(MYSQL_BASE, password, "sct_secret_db"))


async def _api_drop(context: Context, password: str) -> object:
    return await schemactl.drop(with_password(MYSQL_BASE, password, "sct_secret_db"))


async def _api_no_database(context: Context, password: str) -> object:
    url = with_password(PG_BASE, password, None)
    return await schemactl.status(url, migrations_dir=str(context.migrations))


async def _api_query_no_database(context: Context, password: str) -> object:
    url = with_query_password(PG_BASE, password, None)
    return await schemactl.status(url, migrations_dir=str(context.migrations))


async def _api_query_unreachable(context: Context, password: str) -> object:
    url = with_query_password(PG_BASE, password, "x", port=1)
    return await schemactl.migrate(url, migrations_dir=str(context.migrations))


API_CASES: dict[str, tuple[ApiCall, type[schemactl.SchemactlError]]] = {
    "up-failing-sql": (_api_up, schemactl.MigrationFailedError),
    "status-missing-database": (_api_status_missing, schemactl.DatabaseConnectionError),
    "migrate-unreachable": (_api_migrate_unreachable, schemactl.DatabaseConnectionError),
    "wait-timeout": (_api_wait, schemactl.WaitTimeoutError),
    "create-bad-credentials": (_api_create, schemactl.DatabaseConnectionError),
    "drop-bad-credentials": (_api_drop, schemactl.DatabaseConnectionError),
    "url-without-database": (_api_no_database, schemactl.ConfigurationError),
    "query-url-without-database": (_api_query_no_database, schemactl.ConfigurationError),
    "query-migrate-unreachable": (_api_query_unreachable, schemactl.DatabaseConnectionError),
}


@pytest.mark.anyio
@pytest.mark.parametrize("secret", list(API_SECRETS.values()), ids=list(API_SECRETS))
@pytest.mark.parametrize("case", list(API_CASES.values()), ids=list(API_CASES))
async def test_api_errors_and_debug_logs_never_hold_the_password(
    context: Context,
    caplog: pytest.LogCaptureFixture,
    case: tuple[ApiCall, type[schemactl.SchemactlError]],
    secret: Secret,
) -> None:
    call, expected = case
    _failing_migration(context)
    caplog.set_level(logging.DEBUG, logger="schemactl")
    with pytest.raises(expected) as info:
        await call(context, secret.written)
    errors = schemactl_errors(info.value)
    assert errors, "no schemactl error in the chain"
    formatter = logging.Formatter("%(message)s")
    logged = [formatter.format(record) for record in caplog.records]
    for form in secret.forms:
        for error in errors:
            assert form not in str(error), (form, str(error))
            assert form not in repr(error), (form, repr(error))
        for line in logged:
            assert form not in line, (form, line)
