"""The installed `schemactl` command, run the way a user runs it.

Every test starts the real program in a subprocess (the console script, or
`python -m schemactl`), with a temporary directory as its working directory and an
environment built from ours minus DATABASE_URL, SCHEMACTL_* and colour overrides, plus
NO_COLOR=1. Every run is checked for exit code and output; a run without --verbose must never
print a traceback, and a run with NO_COLOR must never print an ANSI escape code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import pytest

import schemactl
from tests.conftest import PG_BASE, MigrationsDir, drop_quietly, fresh_url, server

MYSQL = server("mysql")

SCRIPT = Path(sys.executable).parent / "schemactl"
MODULE = (sys.executable, "-m", "schemactl")
ANSI = "\x1b["
SECRET = "Sup3rS3cret"
COMMANDS = ("new", "up", "migrate", "rollback", "down", "status", "create", "drop", "wait")
# Variables that would make the output of a piped run depend on the caller's terminal.
TERMINAL_VARIABLES = (
    "FORCE_COLOR",
    "CLICOLOR_FORCE",
    "PY_COLORS",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "COLUMNS",
    "LINES",
    "TERMINAL_WIDTH",
)
ERROR_TYPES = {
    3: "ConfigurationError",
    4: "MigrationFileError",
    5: "DatabaseConnectionError",
    6: "MigrationFailedError",
    8: "StateError",
}


def clean_env(*, no_color: bool = True, **extra: str) -> dict[str, str]:
    """Our environment without anything that configures schemactl or colours its output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL"
        and (not key.startswith("SCHEMACTL_") or key == "SCHEMACTL_PLANS_DIR")  # (storage)
        and key not in TERMINAL_VARIABLES
        and key != "NO_COLOR"
    }
    if no_color:
        env["NO_COLOR"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True, repr=False)
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def __repr__(self) -> str:  # what pytest shows when an assertion about a run fails
        return (
            f"schemactl {' '.join(self.args)}  ->  exit {self.code}\n"
            f"--- stdout ---\n{self.out}--- stderr ---\n{self.err}--- end ---"
        )


def _check(result: Result, env: dict[str, str]) -> Result:
    if "--verbose" not in result.args and "-v" not in result.args:
        assert "Traceback" not in result.output, result
    if env.get("NO_COLOR"):
        assert ANSI not in result.output, result
    return result


@dataclass
class Cli:
    """Runs schemactl in ``cwd`` as a user would."""

    cwd: Path
    env: dict[str, str] = field(default_factory=clean_env)

    def _command(self, args: Sequence[str], module: bool) -> list[str]:
        return [*(MODULE if module else (str(SCRIPT),)), *args]

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, module: bool = False
    ) -> Result:
        env = self.env if env is None else env
        done = subprocess.run(
            self._command(args, module),
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return _check(Result(tuple(args), done.returncode, done.stdout, done.stderr), env)

    def many(self, *calls: Sequence[str], env: dict[str, str] | None = None) -> list[Result]:
        """Independent runs, started together to save time."""
        env = self.env if env is None else env
        processes = [
            (
                tuple(args),
                subprocess.Popen(
                    self._command(args, False),
                    cwd=self.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for args in calls
        ]
        results = []
        for args, process in processes:
            out, err = process.communicate(timeout=120)
            results.append(_check(Result(args, process.returncode, out, err), env))
        return results


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def error_of(result: Result, code: int) -> str:
    """The message of a failed run: exactly one `error:` line on stderr, at most one
    continuation line after it, nothing on stdout. Continuation lines are joined with a
    newline, as in the --json message."""
    assert result.code == code, result
    assert result.out == "", result
    lines = result.err_lines
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert len(starts) == 1, result
    first, rest = lines[starts[0]], lines[starts[0] + 1 :]
    assert len(rest) <= 1, result
    assert all(line.startswith("       ") and line.strip() for line in rest), result
    return "\n".join([first.removeprefix("error: "), *(line.strip() for line in rest)])


def json_error_of(result: Result, code: int, kind: str | None = None) -> dict[str, Any]:
    """The error of a failed --json run: stdout is exactly one {"error": {...}} document."""
    assert result.code == code, result
    document = json.loads(result.out)  # one document: trailing data would raise
    assert isinstance(document, dict), result
    assert set(document) == {"error"}, result
    error = document["error"]
    migration = {"version", "file", "line", "statements_run"}  # a failed migration's own
    expected = {"code", "kind", "type", "message"}
    if error["type"] == "MigrationFailedError":
        expected |= migration
    if error["type"] == "PlanDigestError":  # the approved digest, the current one, what changed
        expected |= {"expected", "actual", "changes"}
    assert set(error) == expected, result
    assert error["code"] == code, result
    assert (
        error["kind"]
        == {
            2: "usage",
            3: "configuration",
            4: "migration-file",
            5: "connection",
            6: "statement",
            7: "lock-timeout",
            8: "state",
            9: "policy",
            70: "internal",
        }[code]
    ), result
    assert error["type"] == (kind or ERROR_TYPES[code]), result
    assert isinstance(error["message"], str), result
    assert error["message"], result
    return dict(error)


def status_document(result: Result, code: int = 0) -> dict[str, Any]:
    """`status --json`: one document with every migration and the counts."""
    assert result.code == code, result
    document = json.loads(result.out)
    assert isinstance(document, dict), result
    assert {"migrations", "pending", "applied", "drifted", "warnings"} <= set(document), result
    for entry in document["migrations"]:
        assert {"version", "name", "path", "applied", "applied_at", "checksum_ok"} <= set(entry)
    return dict(document)


def applied_flags(document: dict[str, Any]) -> list[bool]:
    return [bool(m["applied"]) for m in document["migrations"]]


def sqlite_tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows}
    finally:
        connection.close()


def up_in_process(url: str, migrations: MigrationsDir) -> None:
    """Set up state quickly through the API instead of another subprocess."""

    async def run() -> None:
        await schemactl.up(url, migrations_dir=str(migrations))

    anyio.run(run)


# -- help and version --------------------------------------------------------------------


@pytest.mark.parametrize("module", [False, True], ids=["console-script", "python-m"])
def test_version(cli: Cli, module: bool) -> None:
    assert SCRIPT.exists()
    result = cli("--version", module=module)
    assert result.code == 0, result
    assert result.out == f"schemactl {schemactl.__version__}\n"
    assert result.err == ""


@pytest.mark.parametrize(
    ("flag", "module"), [("--help", False), ("-h", True)], ids=["console-script", "python-m"]
)
def test_root_help(cli: Cli, flag: str, module: bool) -> None:
    result = cli(flag, module=module)
    assert result.code == 0, result
    assert "Usage:" in result.out
    assert "schemactl" in result.out
    for command in COMMANDS:
        assert re.search(rf"^\W*{command}\s", result.out, re.MULTILINE), command
    assert result.err == ""


def test_no_arguments_shows_help(cli: Cli) -> None:
    result = cli()
    assert result.code in (0, 2), result  # click >= 8.2 exits 2, like any usage error
    # On stdout or, as click >= 8.2 treats it as a usage error, on stderr.
    assert "Usage: schemactl [OPTIONS] COMMAND" in result.output
    assert "rollback" in result.output


def test_every_command_help(cli: Cli) -> None:
    results = cli.many(*((command, "--help") for command in COMMANDS))
    for command, result in zip(COMMANDS, results, strict=True):
        assert result.code == 0, result
        assert f"Usage: schemactl {command} [OPTIONS]" in result.out, result
        assert "--json" in result.out, result
        if command != "new":
            assert "--url" in result.out, result
        assert result.err == "", result


def test_command_help_short_flag(cli: Cli) -> None:
    result = cli("rollback", "-h", module=True)
    assert result.code == 0, result
    assert "Usage: python -m schemactl rollback [OPTIONS]" in result.out
    assert "--steps" in result.out
    assert "--to" in result.out


def test_help_shows_bracketed_env_and_default_notes(cli: Cli) -> None:
    """The help strings say "[env: DATABASE_URL]", "[default: .env]" and so on; Rich markup
    must not swallow them as tags."""
    status, rollback = cli.many(("status", "--help"), ("rollback", "--help"))
    assert status.code == 0, status
    assert rollback.code == 0, rollback
    status_text, rollback_text = (" ".join(r.out.split()) for r in (status, rollback))
    for text in (
        "env: DATABASE_URL",
        "env: SCHEMACTL_MIGRATIONS_DIR",
        "env: SCHEMACTL_MIGRATIONS_TABLE",
        "default: migrations",
        "default: schema_migrations",
        "default: .env",
    ):
        assert text in status_text, (text, status)
    assert "default: 1" in rollback_text, rollback


# -- new ---------------------------------------------------------------------------------


def test_new_writes_an_empty_migration(cli: Cli, tmp_path: Path) -> None:
    by_name = cli("new", "Add users table!")
    assert by_name.code == 0, by_name
    assert by_name.err == ""
    match = re.fullmatch(r"Created (migrations/\d{14}_add_users_table\.sql)\n", by_name.out)
    assert match, by_name
    lines = (tmp_path / match.group(1)).read_text(encoding="utf-8").splitlines()
    assert "-- migrate:up" in lines
    assert "-- migrate:down" in lines

    # Other directories: two files in one directory in the same second would share a version.
    by_message = cli("new", "--message", "Add posts", "--migrations-dir", "db/schema", module=True)
    assert by_message.code == 0, by_message
    assert re.fullmatch(r"Created db/schema/\d{14}_add_posts\.sql\n", by_message.out), by_message

    as_json = cli("new", "-m", "tags", "-d", "other", "--json")
    assert as_json.code == 0, as_json
    path = json.loads(as_json.out)["path"]
    assert re.fullmatch(r"other/\d{14}_tags\.sql", path), as_json
    assert (tmp_path / path).is_file()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("new",), "needs a name"),
        (("new", "one", "--message", "other"), "give the name once"),
        (("status", "--no-such-option"), "No such option"),
        (("frobnicate",), "No such command"),
    ],
    ids=["new-without-name", "new-two-names", "option", "command"],
)
def test_usage_errors_exit_2(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    result = cli(*args)
    assert result.code == 2, result
    assert result.out == "", result
    assert "Usage: schemactl" in result.err
    assert fragment in result.err, result
    assert not (tmp_path / "migrations").exists()
    assert not (tmp_path / "app.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rollback", "--steps", "0"), "steps must be 1 or more, not 0"),
        (("rollback", "--steps", "-2"), "steps must be 1 or more, not -2"),
        (("rollback", "--steps", "1", "--to", "0"), "not both"),
        (("rollback", "--to", "abc"), "--to takes a migration version (digits) or 0"),
        (("rollback", "--to", "\u0661\u0662"), "--to takes a migration version (digits) or 0"),
        (("up", "--lock-strategy", "foo"), "lock strategy must be auto, session or table"),
    ],
    ids=["steps-0", "steps-negative", "steps-and-to", "to-letters", "to-arabic", "strategy"],
)
def test_bad_option_values_share_exit_3(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args, "--url", "sqlite:app.db")
    assert message in error_of(result, 3)
    assert not (tmp_path / "app.db").exists()  # refused before anything was touched


# -- the whole lifecycle on each database -------------------------------------------------


def test_lifecycle(cli: Cli, db_url: str, migrations: MigrationsDir) -> None:
    url = ("--url", db_url)
    new = cli("new", "Create users!")
    assert new.code == 0, new
    match = re.fullmatch(r"Created (migrations/(\d{14})_create_users\.sql)\n", new.out)
    assert match, new
    first, v1 = cli.cwd / match.group(1), match.group(2)
    first.write_text(
        "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));\n\n"
        "-- migrate:down\nDROP TABLE users;\n",
        encoding="utf-8",
    )
    second = migrations.add(
        "29990101000000", "posts", "CREATE TABLE posts (id INTEGER);", "DROP TABLE posts;"
    )
    third = migrations.add(
        "29990102000000", "tags", "CREATE TABLE tags (id INTEGER);", "DROP TABLE tags;"
    )
    names = [first.name, second.name, third.name]

    missing = cli("migrate", *url)
    assert "does not exist" in error_of(missing, 5)

    up = cli("up", *url)
    assert up.code == 0, up
    assert up.out == ""
    assert any(line.startswith("Created database") for line in up.err_lines), up
    assert "Applied 3 migrations" in up.err_lines, up
    for name in names:
        assert f"Applying {name}" in up.err_lines, up

    status = cli("status", "--exit-code", *url, module=True)
    assert status.code == 0, status
    assert status.out.splitlines() == [
        *(f"[X] {name}" for name in names),
        "",
        "Applied: 3",
        "Pending: 0",
    ], status

    back = cli("rollback", *url)
    assert back.code == 0, back
    assert f"Rolling back {third.name}" in back.err_lines, back
    assert "Rolled back 1 migration" in back.err_lines, back

    pending = cli("status", "--exit-code", *url)
    assert pending.code == 1, pending
    assert pending.out.splitlines() == [
        f"[X] {first.name}",
        f"[X] {second.name}",
        f"[ ] {third.name}",
        "",
        "Applied: 2",
        "Pending: 1",
    ], pending

    migrate = cli("migrate", *url)
    assert migrate.code == 0, migrate
    assert "Applied 1 migration" in migrate.err_lines, migrate
    assert f"Applying {third.name}" in migrate.err_lines, migrate
    again = cli("migrate", *url)
    assert again.code == 0, again
    assert "Nothing to apply: the database is up to date" in again.err_lines, again

    down = cli("down", "--steps", "2", *url)
    assert down.code == 0, down
    assert "Rolled back 2 migrations" in down.err_lines, down
    document = status_document(cli("status", "--json", "--exit-code", *url), code=1)
    assert [m["version"] for m in document["migrations"]] == [
        v1,
        "29990101000000",
        "29990102000000",
    ]
    assert [m["name"] for m in document["migrations"]] == ["create_users", "posts", "tags"]
    assert applied_flags(document) == [True, False, False]
    assert (document["applied"], document["pending"], document["drifted"]) == (1, 2, 0)
    applied, *rest = document["migrations"]
    assert applied["checksum_ok"] is True
    applied_at = dt.datetime.fromisoformat(applied["applied_at"])
    if applied_at.tzinfo is not None:
        applied_at = applied_at.astimezone(dt.UTC).replace(tzinfo=None)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # applied_at is UTC
    assert abs(now - applied_at) < dt.timedelta(minutes=10), applied
    assert all(m["applied_at"] is None and m["checksum_ok"] is None for m in rest)

    up_again = cli("up", *url)
    assert up_again.code == 0, up_again
    assert "Applied 2 migrations" in up_again.err_lines, up_again
    assert not any(line.startswith("Created database") for line in up_again.err_lines)

    to = cli("rollback", "--to", v1, "--json", *url)
    assert to.code == 0, to
    assert [m["version"] for m in json.loads(to.out)["rolled_back"]] == [
        "29990102000000",
        "29990101000000",
    ]
    everything = cli("rollback", "--to", "0", "--json", *url)
    assert everything.code == 0, everything
    assert [m["version"] for m in json.loads(everything.out)["rolled_back"]] == [v1]
    document = status_document(cli("status", "--json", *url, module=True))
    assert applied_flags(document) == [False, False, False]
    assert (document["applied"], document["pending"]) == (0, 3)

    drop = cli("drop", *url)
    assert drop.code == 0, drop
    assert "Dropped the database" in drop.err_lines, drop
    create = cli("create", *url)
    assert create.code == 0, create
    assert "Created the database" in create.err_lines, create
    create_again = cli("create", *url)
    assert create_again.code == 0, create_again
    assert "The database already exists" in create_again.err_lines, create_again


def test_read_only_commands_need_an_existing_database(
    cli: Cli, db_url: str, migrations: MigrationsDir
) -> None:
    """`drop` has nothing to do; `status` and `rollback` fail like `migrate` on a missing
    database, and do not create it (on SQLite, merely connecting creates an empty file)."""
    drop = cli("drop", "--url", db_url)
    assert drop.code == 0, drop
    assert "The database does not exist" in drop.err_lines, drop
    status, rollback = cli.many(("status", "--url", db_url), ("rollback", "--url", db_url))
    assert "does not exist" in error_of(status, 5)
    assert "does not exist" in error_of(rollback, 5)
    if db_url.startswith("sqlite:"):
        assert not Path(db_url.removeprefix("sqlite:")).exists()


DATABASE_MESSAGES = {
    "sqlite": "no such table: no_such_table",
    "postgresql": 'relation "no_such_table" does not exist',
    "mysql": "no_such_table' doesn't exist",
}


def test_sql_error_names_file_line_and_database_message(
    cli: Cli, db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("20240101000000", "fine", "CREATE TABLE fine (id INTEGER);", "DROP TABLE fine;")
    broken = migrations.add(
        "20240102000000",
        "broken",
        "CREATE TABLE half (id INTEGER);\n\nINSERT INTO no_such_table VALUES (1);",
        "DROP TABLE half;",
    )
    result = cli("up", "--url", db_url)
    message = error_of(result, 6)
    first, _, second = message.partition("\n")
    assert first.startswith(f"migrations/{broken.name}:4: "), result  # the INSERT's line
    assert DATABASE_MESSAGES[dialect] in first, result
    if dialect == "mysql":  # DDL committed implicitly
        assert second.startswith("statement 1 of 2 stays applied"), result
    else:
        assert second == "nothing of this migration was applied", result
    assert "Applied 1 migration" not in result.err_lines
    document = status_document(cli("status", "--json", "--url", db_url))
    assert applied_flags(document) == [True, False]


# -- options after the command, settings and their precedence -----------------------------


def test_common_options_after_the_command(cli: Cli, tmp_path: Path) -> None:
    one, two = MigrationsDir(tmp_path / "one"), MigrationsDir(tmp_path / "two")
    one.add("20240101000000", "first", "CREATE TABLE first (id INTEGER);", "DROP TABLE first;")
    two.add("20240102000000", "second", "CREATE TABLE second (id INTEGER);", "DROP TABLE second;")
    one.add("20240103000000", "third", "CREATE TABLE third (id INTEGER);", "DROP TABLE third;")
    (tmp_path / "two" / "README.md").write_text("not a migration\n", encoding="utf-8")  # silent
    (tmp_path / "two" / "notes.sql").write_text("-- not a migration\n", encoding="utf-8")
    dirs = ("-d", "one", "--migrations-dir", "two")
    url = ("--url", "sqlite:app.db")

    up = cli("up", *url, *dirs, "--migrations-table", "deploy_log", "--verbose", "--json")
    assert up.code == 0, up
    result = json.loads(up.out)
    assert [m["path"] for m in result["applied"]] == [
        "one/20240101000000_first.sql",
        "two/20240102000000_second.sql",
        "one/20240103000000_third.sql",
    ]
    assert result["created_database"] is True
    assert len(result["warnings"]) == 1
    assert "two/notes.sql" in result["warnings"][0]
    assert f"warning: {result['warnings'][0]}" in up.err_lines, up
    assert sqlite_tables(tmp_path / "app.db") == {"deploy_log", "first", "second", "third"}

    custom, default = cli.many(
        ("status", *url, *dirs, "--migrations-table", "deploy_log", "--json"),
        ("status", "--exit-code", *url, *dirs),
    )
    assert applied_flags(status_document(custom)) == [True, True, True]
    assert default.code == 1, default  # the default table does not exist: all pending
    assert default.out.splitlines()[-2:] == ["Applied: 0", "Pending: 3"], default

    (tmp_path / "deploy.env").write_text(
        "DATABASE_URL=sqlite:app.db\nSCHEMACTL_MIGRATIONS_TABLE=deploy_log\n", encoding="utf-8"
    )
    from_file = cli("status", *dirs, "--env-file", "deploy.env", "--exit-code")
    assert from_file.code == 0, from_file
    assert from_file.out.splitlines()[-2:] == ["Applied: 3", "Pending: 0"], from_file


def test_status_shows_changed_and_missing_files(cli: Cli, migrations: MigrationsDir) -> None:
    changed = migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);")
    gone = migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);")
    up = cli("up", "--url", "sqlite:app.db")
    assert up.code == 0, up
    changed.write_text(changed.read_text(encoding="utf-8") + "-- edited\n", encoding="utf-8")
    gone.unlink()
    human, as_json = cli.many(
        ("status", "--exit-code", "--url", "sqlite:app.db"),
        ("status", "--json", "--url", "sqlite:app.db"),
    )
    assert human.code == 1, human
    assert human.out.splitlines() == [
        f"[!] {changed.name}  (changed since it was applied)",
        "[?] 20240102000000 (file missing)",
        "",
        "Applied: 2",
        "Pending: 0",
        "Drifted: 2",
    ], human
    document = status_document(as_json)
    assert document["drifted"] == 2
    assert [(m["checksum_ok"], m["path"]) for m in document["migrations"]] == [
        (False, f"migrations/{changed.name}"),
        (None, None),
    ]


def test_url_precedence(cli: Cli, tmp_path: Path) -> None:
    """--url beats DATABASE_URL beats .env beats [tool.schemactl] url."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:from_pyproject.db"\n', encoding="utf-8"
    )
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:from_dotenv.db\n", encoding="utf-8")
    environment = clean_env(DATABASE_URL="sqlite:from_environment.db")

    def created_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
        result = cli("create", *args, env=env)
        assert result.code == 0, result
        assert "Created the database" in result.err_lines, result
        names = {path.name for path in tmp_path.glob("*.db")}
        for name in names:
            (tmp_path / name).unlink()
        return names

    assert created_by("--url", "sqlite:from_flag.db", env=environment) == {"from_flag.db"}
    # A real environment variable wins over .env: .env never overrides it.
    assert created_by(env=environment) == {"from_environment.db"}
    assert created_by() == {"from_dotenv.db"}
    (tmp_path / "other.env").write_text("DATABASE_URL=sqlite:from_other.db\n", encoding="utf-8")
    assert created_by("--env-file", "other.env") == {"from_other.db"}
    (tmp_path / ".env").unlink()
    assert created_by() == {"from_pyproject.db"}


def test_migrations_settings_from_pyproject_and_environment(cli: Cli, tmp_path: Path) -> None:
    MigrationsDir(tmp_path / "one").add("20240101000000", "a", "CREATE TABLE a (id INTEGER);")
    MigrationsDir(tmp_path / "two").add("20240102000000", "b", "CREATE TABLE b (id INTEGER);")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:app.db"\nmigrations_dir = ["one", "two"]\n'
        'migrations_table = "from_pyproject"\n',
        encoding="utf-8",
    )
    up = cli("up")
    assert up.code == 0, up
    assert "Applied 2 migrations" in up.err_lines, up
    assert sqlite_tables(tmp_path / "app.db") == {"a", "b", "from_pyproject"}

    env = clean_env(
        SCHEMACTL_MIGRATIONS_DIR=f"two{os.pathsep}one", SCHEMACTL_MIGRATIONS_TABLE="from_env"
    )
    status = cli("status", "--json", env=env)
    document = status_document(status)
    assert [m["path"] for m in document["migrations"]] == [
        "one/20240101000000_a.sql",
        "two/20240102000000_b.sql",
    ]
    assert document["pending"] == 2  # the environment's table, not pyproject's


def test_dotenv_syntax(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# local settings\n\nexport DATABASE_URL='sqlite:quoted.db'\nOTHER=x # comment\n",
        encoding="utf-8",
    )
    result = cli("create")
    assert result.code == 0, result
    assert (tmp_path / "quoted.db").exists()


def test_dotenv_quoted_value_with_trailing_comment(cli: Cli, tmp_path: Path) -> None:
    """KEY="value"  # comment is common dotenv syntax: the value is what is in the quotes."""
    (tmp_path / ".env").write_text(
        'DATABASE_URL="sqlite:app.db"  # local development\n', encoding="utf-8"
    )
    result = cli("create")
    assert result.code == 0, result
    assert (tmp_path / "app.db").exists()


def test_sqlite_url_without_a_path_is_rejected(cli: Cli, migrations: MigrationsDir) -> None:
    """`sqlite:` with nothing after it (say DATABASE_URL=sqlite:$DB_FILE with DB_FILE unset)
    must not "apply" migrations to a throwaway in-memory database and report success."""
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);")
    result = cli("up", "--url", "sqlite:")
    assert "sqlite" in error_of(result, 3).lower()


def test_no_url_anywhere(cli: Cli, migrations: MigrationsDir) -> None:
    human, as_json = cli.many(("status",), ("status", "--json"))
    message = error_of(human, 3)
    assert len(human.err_lines) == 1, human
    assert "--url" in message
    assert "DATABASE_URL" in message
    assert json_error_of(as_json, 3)["message"] == message


# -- bad input -----------------------------------------------------------------------------


def _malformed_file(root: Path) -> None:
    (MigrationsDir(root / "migrations").path / "20240101000000_broken.sql").write_text(
        "-- a comment is fine here\nCREATE TABLE t (id INTEGER);\n-- migrate:up\nSELECT 1;\n",
        encoding="utf-8",
    )


def _file_instead_of_directory(root: Path) -> None:
    (root / "migrations.sql").write_text("-- migrate:up\n", encoding="utf-8")


def _empty_database(root: Path) -> None:
    sqlite3.connect(root / "app.db").close()


def _one_applied(root: Path) -> None:
    migrations = MigrationsDir(root / "migrations")
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    up_in_process(f"sqlite:{root / 'app.db'}", migrations)


def _applied_file_deleted(root: Path) -> None:
    _one_applied(root)
    (root / "migrations" / "20240101000000_one.sql").unlink()


def _applied_without_down(root: Path) -> None:
    migrations = MigrationsDir(root / "migrations")
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", down=None)
    up_in_process(f"sqlite:{root / 'app.db'}", migrations)


def _duplicate_versions(root: Path) -> None:
    MigrationsDir(root / "one").add("20240101000000", "a", "SELECT 1;")
    MigrationsDir(root / "two").add("20240101000000", "b", "SELECT 1;")


def _bad_env_file(root: Path) -> None:
    (root / ".env").write_text("DATABASE_URL sqlite:app.db\n", encoding="utf-8")


def _unknown_pyproject_key(root: Path) -> None:
    (root / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:app.db"\ndatabase = "x"\n', encoding="utf-8"
    )


SQLITE = ("--url", "sqlite:app.db")


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    fragments: tuple[str, ...]
    setup: Callable[[Path], None] | None = None
    json_type: str | None = None  # when more precise than ERROR_TYPES[code]
    stable: bool = True  # the same message in both runs


BAD_INPUT = [
    Case(
        "malformed-file",
        ("up", *SQLITE),
        4,
        ("migrations/20240101000000_broken.sql:2:", "statement before the first"),
        _malformed_file,
    ),
    Case("url-without-scheme", ("status", "--url", "app.db"), 3, ("cannot parse", "database URL")),
    Case(
        "unparseable-url",
        ("status", "--url", "postgres://postgres@127.0.0.1:notaport/x"),
        3,
        ("cannot parse", "database URL"),
    ),
    Case(
        "unsupported-scheme",
        ("status", "--url", "oracle://scott@127.0.0.1/orcl"),
        3,
        ("unsupported database URL scheme 'oracle'",),
    ),
    Case(
        "unreachable-host",
        ("status", "--url", "postgres://postgres@127.0.0.1:1/x"),
        5,
        ("cannot connect to postgresql://127.0.0.1/x",),
    ),
    Case(
        "wrong-credentials",
        ("status", "--url", f"mysql://nouser:badpw@{MYSQL.hostname}:{MYSQL.port}/x"),
        5,
        (f"cannot connect to mysql://{MYSQL.hostname}/x", "Access denied"),
    ),
    Case(
        "missing-migrations-dir",
        ("status", *SQLITE, "-d", "nowhere"),
        3,
        ("migrations directory 'nowhere' does not exist",),
    ),
    Case(
        "migrations-path-is-a-file",
        ("status", *SQLITE, "-d", "migrations.sql"),
        3,
        ("'migrations.sql' is not a directory",),
        _file_instead_of_directory,
    ),
    Case(
        "duplicate-version",
        ("status", *SQLITE, "-d", "one", "-d", "two"),
        4,
        ("same version 20240101000000",),
        _duplicate_versions,
    ),
    Case(
        "nothing-to-roll-back",
        ("rollback", *SQLITE),
        8,
        ("nothing to roll back",),
        _empty_database,
    ),
    Case(
        "rollback-to-unknown-version",
        ("rollback", "--to", "20991231000000", *SQLITE),
        8,
        ("--to 20991231000000", "no applied migration has that version"),
        _one_applied,
    ),
    Case(
        "rollback-to-not-a-version",
        ("rollback", "--to", "latest", *SQLITE),
        3,
        ("--to", "'latest'"),
        _one_applied,
    ),
    Case(
        "rollback-file-missing",
        ("rollback", *SQLITE),
        4,
        ("cannot roll back 20240101000000", "file is missing"),
        _applied_file_deleted,
    ),
    Case(
        "rollback-without-down-section",
        ("rollback", *SQLITE),
        4,
        ("20240101000000_one.sql", "no '-- migrate:down' section"),
        _applied_without_down,
    ),
    Case("negative-wait-timeout", ("wait", "--timeout", "-1", *SQLITE), 3, ("timeout", "-1")),
    Case(
        "negative-lock-timeout",
        ("migrate", "--lock-timeout", "-1", *SQLITE),
        3,
        ("lock timeout", "-1"),
        _empty_database,
    ),
    Case(
        "wait-times-out",
        ("wait", "--timeout", "0.5", "--url", "postgres://postgres@127.0.0.1:1/x"),
        5,
        ("postgresql://127.0.0.1/x was not ready after 0.5s",),
        json_type="WaitTimeoutError",
        stable=False,  # the number of attempts varies
    ),
    Case("missing-env-file", ("status", "--env-file", "nope.env"), 3, ("nope.env", "not exist")),
    Case("bad-env-file", ("status",), 3, (".env:1: expected KEY=VALUE",), _bad_env_file),
    Case(
        "unknown-pyproject-key",
        ("status",),
        3,
        ("unknown key(s) in [tool.schemactl]: database",),
        _unknown_pyproject_key,
    ),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[case.id for case in BAD_INPUT])
def test_bad_input(cli: Cli, tmp_path: Path, case: Case) -> None:
    """One `error:` line (plus at most one more), the documented exit code, no traceback;
    with --json the same message as one JSON document on stdout."""
    (tmp_path / "migrations").mkdir()
    if case.setup:
        case.setup(tmp_path)
    human, as_json = cli.many(case.args, (*case.args, "--json"))
    message = error_of(human, case.code)
    error = json_error_of(as_json, case.code, case.json_type)
    for fragment in case.fragments:
        assert fragment in message, human
        assert fragment in error["message"], as_json
    if case.stable:
        assert error["message"] == message


def test_wait_for_a_server_whose_database_does_not_exist_yet(cli: Cli) -> None:
    url = ("--url", f"{PG_BASE}/sct_not_created_yet")
    human, as_json = cli.many(("wait", "--timeout", "10", *url), ("wait", *url, "--json"))
    assert human.code == 0, human
    assert re.fullmatch(r"Database server is ready \(\d+\.\d\ds, 1 attempt\)\n", human.err), human
    assert as_json.code == 0, as_json
    assert json.loads(as_json.out)["attempts"] == 1


def test_verbose_shows_the_traceback(cli: Cli, migrations: MigrationsDir) -> None:
    result = cli("status", "--verbose", "--url", "postgres://postgres@127.0.0.1:1/x")
    assert result.code == 5, result
    assert "Traceback (most recent call last)" in result.err
    assert result.err_lines[-1].startswith("error: cannot connect to postgresql://127.0.0.1/x")


# -- secrets -------------------------------------------------------------------------------


SECRET_CASES = [
    ("migrate", "--url", f"postgres://postgres:{SECRET}@127.0.0.1:1/x"),
    ("migrate", "--url", f"mysql://root:{SECRET}@{MYSQL.hostname}:{MYSQL.port}/missing_db"),
    ("status", "--url", f"postgres://postgres:{SECRET}@127.0.0.1:notaport/x"),
    ("status", "--url", f"oracle://scott:{SECRET}@127.0.0.1/orcl"),
]


@pytest.mark.parametrize(
    "args", SECRET_CASES, ids=["unreachable", "auth-failure", "unparseable", "unsupported"]
)
def test_password_is_never_shown(
    cli: Cli, migrations: MigrationsDir, args: tuple[str, ...]
) -> None:
    human, as_json, verbose = cli.many(args, (*args, "--json"), (*args, "--verbose"))
    code = human.code
    assert code in (3, 5), human
    message = error_of(human, code)
    assert json_error_of(as_json, code)["message"] == message
    assert verbose.code == code, verbose
    assert "Traceback" in verbose.err, verbose
    for result in (human, as_json, verbose):
        assert SECRET not in result.output, result


@pytest.fixture
def pg_url_with_password(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database URL with a password, which trust auth ignores."""
    url = fresh_url("postgresql", tmp_path)
    parts = urlsplit(url)
    netloc = f"{parts.username}:{SECRET}@{parts.hostname}:{parts.port or 5432}"
    yield urlunsplit(parts._replace(netloc=netloc))
    drop_quietly(url)


def test_password_is_never_shown_when_sql_fails(
    cli: Cli, migrations: MigrationsDir, pg_url_with_password: str
) -> None:
    migrations.add("20240101000000", "broken", "SELECT * FROM no_such_table;")
    args = ("up", "--url", pg_url_with_password)
    human = cli(*args)  # creates the database; the other two then race only for the lock
    as_json, verbose = cli.many((*args, "--json"), (*args, "--verbose"))
    message = error_of(human, 6)
    assert message.startswith("migrations/20240101000000_broken.sql:2: "), human
    assert json_error_of(as_json, 6)["message"] == message
    assert verbose.code == 6, verbose
    assert "Traceback" in verbose.err, verbose
    for result in (human, as_json, verbose):
        assert SECRET not in result.output, result


def test_password_with_unencoded_at_sign_is_never_shown(
    cli: Cli, migrations: MigrationsDir
) -> None:
    """Passwords with a raw "@" are common; no part of one may be printed (dbmate, like Go's
    net/url, splits user info from the host at the last "@")."""
    url = "postgres://postgres:Sup3r@S3cret@127.0.0.1:1/x"
    human, as_json = cli.many(("migrate", "--url", url), ("migrate", "--url", url, "--json"))
    for result in (human, as_json):
        assert result.code in (3, 5), result
        assert "Sup3r" not in result.output, result
        assert "S3cret" not in result.output, result


def test_password_that_is_a_common_word_does_not_mangle_messages(
    cli: Cli, migrations: MigrationsDir
) -> None:
    """postgres:postgres is the most common development URL: hiding the password must not
    turn the scheme in a message into "***ql"."""
    result = cli("status", "--url", "postgres://postgres:postgres@127.0.0.1:1/x")
    message = error_of(result, 5)
    assert message.startswith("cannot connect to postgresql://127.0.0.1/x: "), result


# -- colour --------------------------------------------------------------------------------


def test_no_ansi_codes_when_piped(cli: Cli, migrations: MigrationsDir) -> None:
    """Without NO_COLOR, on a colour-capable TERM, piped output still has no escape codes."""
    env = clean_env(no_color=False, TERM="xterm-256color")
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);")
    up = cli("up", *SQLITE, env=env)
    assert up.code == 0, up
    results = [
        up,
        *cli.many(
            ("status", *SQLITE),
            ("status", "-d", "nowhere", *SQLITE),
            ("--help",),
            ("rollback", "--steps", "0"),
            env=env,
        ),
    ]
    assert [r.code for r in results] == [0, 0, 3, 0, 3], results
    for result in results:
        assert ANSI not in result.output, result


def _run_on_terminal(cwd: Path, args: Sequence[str], env: dict[str, str]) -> tuple[int, str]:
    import pty

    main, child = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(SCRIPT), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=child,
            stderr=child,
        )
    finally:
        os.close(child)
    output = b""
    try:
        while chunk := os.read(main, 4096):
            output += chunk
    except OSError:  # EIO: the child closed the terminal
        pass
    finally:
        os.close(main)
    return process.wait(timeout=60), output.decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color_on_a_terminal(tmp_path: Path) -> None:
    args = ("status", "-d", "nowhere", *SQLITE)
    colored = _run_on_terminal(tmp_path, args, clean_env(no_color=False, TERM="xterm"))
    plain = _run_on_terminal(tmp_path, args, clean_env(TERM="xterm"))
    assert colored[0] == plain[0] == 3
    assert ANSI in colored[1]  # a terminal gets colour...
    assert ANSI not in plain[1]  # ...unless NO_COLOR says otherwise
    assert plain[1].strip() == "error: migrations directory 'nowhere' does not exist"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("status", "--json", "--bogus"), "No such option: --bogus"),
        (("new", "--json"), "a migration needs a name"),
        (("up", "--json", "--lock-timeout", "soon"), "'soon' is not a valid float"),
    ],
)
def test_usage_errors_with_json_are_json_too(
    cli: Cli, args: tuple[str, ...], fragment: str
) -> None:
    result = cli(*args)
    error = json_error_of(result, 2, "UsageError")
    assert fragment in error["message"]
    assert result.err_lines == [f"error: {error['message']}"]


def test_json_errors_carry_what_the_error_knows(cli: Cli, migrations: MigrationsDir) -> None:
    migrations.add(
        "20240101000000",
        "broken",
        "CREATE TABLE t (id INTEGER);\nSELECT * FROM no_such_table;",
        "DROP TABLE t;",
        up_options="transaction:false",
    )
    result = cli("up", "--json", "--url", "sqlite:app.db")
    error = json_error_of(result, 6, "MigrationFailedError")
    assert error["version"] == "20240101000000"
    assert error["file"] == "migrations/20240101000000_broken.sql"  # as the message names it
    assert error["message"].startswith(f"{error['file']}:{error['line']}: ")
    assert error["line"] == 3
    assert error["statements_run"] == 1


def test_the_readme_shows_the_status_document_as_it_is(cli: Cli, migrations: MigrationsDir) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    sample = json.loads(readme.split("```json\n", 1)[1].split("```", 1)[0])
    migrations.add("20250101000000", "create_users", "CREATE TABLE users (id INTEGER);")
    assert cli("up", "--url", "sqlite:app.db").code == 0
    document = status_document(cli("status", "--json", "--url", "sqlite:app.db"))
    assert set(document) == set(sample)
    assert set(document["migrations"][0]) == set(sample["migrations"][0])


def test_shell_completion(cli: Cli) -> None:
    script = cli("--show-completion", "bash")
    assert script.code == 0, script
    assert "_SCHEMACTL_COMPLETE=complete_bash" in script.out
    env = {**cli.env, "_SCHEMACTL_COMPLETE": "complete_bash", "COMP_WORDS": "schemactl sta"}
    completed = cli(env={**env, "COMP_CWORD": "1"})
    assert completed.out.split() == ["status"], completed


def test_up_json_counts_the_migrations(cli: Cli, migrations: MigrationsDir) -> None:
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    first = json.loads(cli("up", "--json", "--url", "sqlite:app.db").out)
    assert (len(first["applied"]), first["total"], first["pending"]) == (2, 2, 0)
    assert first["created_database"] is True
    migrations.add("20240103000000", "three", "CREATE TABLE t3 (id INTEGER);", "DROP TABLE t3;")
    second = json.loads(cli("up", "--json", "--url", "sqlite:app.db").out)
    assert (len(second["applied"]), second["total"], second["pending"]) == (1, 3, 0)
    assert second["created_database"] is False


def test_show_prints_a_section_as_it_would_run(cli: Cli, migrations: MigrationsDir) -> None:
    migrations.add(
        "20240101000000",
        "users",
        "\nCREATE TABLE users (id INTEGER);",
        "DROP TABLE users;",
        down_options="transaction:false",
    )
    up = cli("show", "20240101000000")
    assert up.code == 0, up
    assert up.out == (
        "-- migrations/20240101000000_users.sql:3: the up section, in a transaction\n"
        "CREATE TABLE users (id INTEGER);\n"
    )
    down = json.loads(cli("show", "20240101000000", "--down", "--json").out)
    assert (down["direction"], down["transaction"], down["sql"]) == (
        "down",
        False,
        "DROP TABLE users;\n",
    )
    assert "no migration file has version 1" in error_of(cli("show", "1"), 3)
