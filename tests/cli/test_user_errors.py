"""Every error a user can cause ends in one `error:` line with its documented exit code, and
with --json in one error document: never exit 70 ("internal error"), never a traceback.

Each case was found by trying it (issue 9, "Hardening"): settings of the wrong shape, a
models module that exits while imported, unreadable migrations (run as user `nobody`: root
reads anything), an SQLite database another process keeps locked, odd `.env` files, and a
database `up` would create while a migration file is broken (it must not be created).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

import schemactl
from tests.cli.test_cli import (
    Case,
    Cli,
    Result,
    _check,
    cli,  # noqa: F401
    error_of,
    json_error_of,
    up_in_process,
)
from tests.conftest import DIALECTS, MigrationsDir, drop_quietly, fresh_url

SQLITE = ("--url", "sqlite:app.db")
NOBODY = 65534


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def _directory(name: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / name).mkdir()

    return setup


def _models_module(body: str) -> Callable[[Path], None]:
    return _write("badmodels.py", f"import sys\n{body}\n")


CHECK = ("check", "--models", "badmodels", *SQLITE)

USER_ERRORS = [
    # [tool.schemactl] and [tool] of the wrong shape, values of the wrong type
    Case(
        "pyproject-tool-not-a-table",
        ("status",),
        3,
        ("pyproject.toml: [tool.schemactl] must be a table",),
        _write("pyproject.toml", "tool = 3\n"),
    ),
    Case(
        "pyproject-schemactl-not-a-table",
        ("status",),
        3,
        ("pyproject.toml: [tool.schemactl] must be a table",),
        _write("pyproject.toml", '[tool]\nschemactl = "x"\n'),
    ),
    Case(
        "pyproject-migrations-dir-a-number",
        ("status", *SQLITE),
        3,
        ("migrations_dir in [tool.schemactl] must be a string or a list",),
        _write("pyproject.toml", "[tool.schemactl]\nmigrations_dir = 3\n"),
    ),
    Case(
        "pyproject-exclude-tables-a-string",
        ("status", *SQLITE),
        3,
        ("exclude_tables in [tool.schemactl] must be a list",),
        _write("pyproject.toml", '[tool.schemactl]\nexclude_tables = "x"\n'),
    ),
    Case(
        "pyproject-migrations-table-a-number",
        ("status", *SQLITE),
        3,
        ("migrations_table in [tool.schemactl] must be a string",),
        _write("pyproject.toml", "[tool.schemactl]\nmigrations_table = 3\n"),
    ),
    Case(
        "pyproject-not-utf8",
        ("status", *SQLITE),
        3,
        ("cannot read", "pyproject.toml"),
        _write("pyproject.toml", b"[tool.schemactl]\nurl = '\xff'\n"),
    ),
    # a models module that exits, or raises, while it is imported
    Case(
        "models-sys-exit",
        CHECK,
        3,
        ("importing badmodels failed: SystemExit: 3",),
        _models_module("sys.exit(3)"),
        json_type="ModelsError",
    ),
    Case(
        "models-raise-systemexit",
        CHECK,
        3,
        ("importing badmodels failed: SystemExit",),
        _models_module("raise SystemExit"),
        json_type="ModelsError",
    ),
    Case(
        "models-keyboardinterrupt",
        CHECK,
        3,
        ("importing badmodels failed: KeyboardInterrupt",),
        _models_module("raise KeyboardInterrupt"),
        json_type="ModelsError",
    ),
    Case(
        "models-exception-of-two-lines",
        CHECK,
        3,
        ("importing badmodels failed: RuntimeError: boom",),
        _models_module("raise RuntimeError('boom\\nsecond line')"),
        json_type="ModelsError",
    ),
    # .env files with odd content
    Case(
        "env-not-utf8",
        ("status",),
        3,
        ("cannot read env file", ".env"),
        _write(".env", b"DATABASE_URL=sqlite:\xff.db\n"),
    ),
    Case("env-a-directory", ("status",), 3, ("cannot read env file", ".env"), _directory(".env")),
    Case(
        "env-file-option-a-directory",
        ("status", "--env-file", "conf"),
        3,
        ("cannot read env file", "conf"),
        _directory("conf"),
    ),
    Case(
        "env-bare-export",
        ("status",),
        3,
        (".env:2: expected KEY=VALUE",),
        _write(".env", "# settings\nexport\n"),
    ),
    Case(
        "env-nul-byte",
        ("status",),
        3,
        ("NUL",),
        _write(".env", "DATABASE_URL=sqlite:a\0b.db\n"),
    ),
    # the migrations path is a file, for every command that reads or writes it
    Case(
        "migrations-path-a-file-up",
        ("up", *SQLITE, "-d", "m.sql"),
        3,
        ("'m.sql' is not a directory",),
        _write("m.sql", "-- migrate:up\n"),
    ),
    Case(
        "migrations-path-a-file-new",
        ("new", "x", "-d", "m.sql"),
        3,
        ("'m.sql' is not a directory",),
        _write("m.sql", "-- migrate:up\n"),
    ),
    # a tracking table with a schema and no name
    Case(
        "migrations-table-dot-no-name",
        ("status", *SQLITE, "--migrations-table", "x."),
        3,
        ("the migrations table needs a name",),
    ),
]


@pytest.mark.parametrize("case", USER_ERRORS, ids=[case.id for case in USER_ERRORS])
def test_user_error(cli: Cli, tmp_path: Path, case: Case) -> None:  # noqa: F811
    """One `error:` line, the documented exit code, no traceback; --json: one document."""
    (tmp_path / "migrations").mkdir()
    if case.setup:
        case.setup(tmp_path)
    human, as_json = cli.many(case.args, (*case.args, "--json"))
    assert_one_error(human, as_json, case)


def assert_one_error(human: Result, as_json: Result, case: Case) -> None:
    message = error_of(human, case.code)
    error = json_error_of(as_json, case.code, case.json_type)
    for fragment in case.fragments:
        assert fragment in message, human
        assert fragment in error["message"], as_json
    assert error["message"] == message


# -- as a user who cannot read the files ----------------------------------------------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory user `nobody` can enter (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="usererrors_"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def become_nobody() -> None:
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def nobody_can_run(path: Path) -> bool:
    """Every directory above ``path`` is searchable by others, and ``path`` executable."""
    real = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in (real, *real.parents))


def interpreter_for_nobody() -> tuple[str, str]:
    """A Python of our version that `nobody` can run, and the PYTHONPATH giving it this
    checkout and our packages. A venv made from a pyenv Python under /root (mode 0700) is
    not runnable by `nobody`: then the system's Python of the same minor version is used."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys.executable), Path(f"/usr/bin/python{version}")]
    usable = next((c for c in candidates if c.exists() and nobody_can_run(c)), None)
    limit = None
    if os.geteuid() != 0:
        limit = "running a command as user nobody needs root"
    elif usable is None:
        limit = f"no Python {version} that user nobody can run: {candidates}"
    if limit is not None:
        if os.environ.get("CI"):  # CI runs as root with Debian's Python: there it must run
            pytest.fail(limit)
        pytest.skip(limit)
    assert usable is not None
    checkout = Path(schemactl.__file__).resolve().parents[1]
    packages = sysconfig.get_paths()["purelib"]
    return str(usable), os.pathsep.join([str(checkout), packages])


def run_as_nobody(cwd: Path, *args: str) -> Result:
    python, path = interpreter_for_nobody()
    command = [python, "-m", "schemactl", *args]
    env = Cli(cwd).env | {"HOME": str(cwd), "PYTHONPATH": path}
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=become_nobody,
    )
    return _check(Result(tuple(args), done.returncode, done.stdout, done.stderr), env)


def _applied_then(mode: int, target: str) -> Callable[[Path], None]:
    """One migration applied to app.db (writable by nobody), then ``target`` chmod-ed."""

    def setup(root: Path) -> None:
        migrations = MigrationsDir(root / "migrations")
        migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
        up_in_process(f"sqlite:{root / 'app.db'}", migrations)
        for path in (root, root / "migrations", root / "app.db"):
            os.chown(path, NOBODY, NOBODY)
        (root / target).chmod(mode)

    return setup


def _pending_then(mode: int, target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        MigrationsDir(root / "migrations").add("20240101000000", "one", "SELECT 1;", "SELECT 1;")
        os.chown(root, NOBODY, NOBODY)
        (root / target).chmod(mode)

    return setup


FILE = "migrations/20240101000000_one.sql"
UNREADABLE = [
    Case(
        "directory-unreadable-up",
        ("up", *SQLITE),
        3,
        ("cannot read migrations directory 'migrations'",),
        _pending_then(0o000, "migrations"),
    ),
    Case(
        "directory-not-searchable-status",
        ("status", *SQLITE),
        3,
        ("migrations",),
        _applied_then(0o644, "migrations"),
    ),
    Case(
        "file-unreadable-up",
        ("up", *SQLITE),
        4,
        (f"{FILE}: cannot be read: Permission denied",),
        _pending_then(0o000, FILE),
    ),
    Case(
        "applied-file-unreadable-status",
        ("status", *SQLITE),
        4,
        (f"{FILE}: cannot be read: Permission denied",),
        _applied_then(0o000, FILE),
    ),
    Case(
        "applied-file-unreadable-rollback",
        ("rollback", *SQLITE),
        4,
        (f"{FILE}: cannot be read: Permission denied",),
        _applied_then(0o000, FILE),
    ),
    Case(
        "env-file-unreadable",
        ("status",),
        3,
        ("cannot read env file", "Permission denied"),
        _write(".env", "DATABASE_URL=sqlite:app.db\n"),
    ),
]


@pytest.mark.parametrize("case", UNREADABLE, ids=[case.id for case in UNREADABLE])
def test_unreadable_files(shared_dir: Path, case: Case) -> None:
    assert case.setup is not None
    case.setup(shared_dir)
    if case.id == "env-file-unreadable":
        (shared_dir / ".env").chmod(0o000)
    human = run_as_nobody(shared_dir, *case.args)
    as_json = run_as_nobody(shared_dir, *case.args, "--json")
    assert_one_error(human, as_json, case)


# -- an SQLite database another process keeps locked ------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("up", "--lock-timeout", "1"),
        ("rollback", "--lock-timeout", "1"),
        ("status", "--lock-timeout", "1"),
    ],
    ids=["up", "rollback", "status"],
)
def test_sqlite_locked_by_another_process(cli: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:  # noqa: F811
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    up_in_process(f"sqlite:{tmp_path / 'app.db'}", migrations)
    migrations.add("20240101000001", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    holder = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        human, as_json = cli.many((*args, *SQLITE), (*args, *SQLITE, "--json"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = error_of(human, 7)
    assert json_error_of(as_json, 7, "LockTimeoutError")["message"] == message
    assert "locked" in message, human


# -- `up` checks every migration file before it creates the database -------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("CREATE TABLE t (id INTEGER);\n-- migrate:up\n", "statement before the first"),
        ("-- migrate:up\nCREATE TABLE t (id INTEGER);\nCOMMIT;\n", "COMMIT inside a"),
    ],
    ids=["parse-error", "transaction-control"],
)
def test_up_does_not_create_the_database_for_a_broken_file(
    cli: Cli,  # noqa: F811
    tmp_path: Path,
    dialect: str,
    content: str,
    fragment: str,
) -> None:
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add("20240101000000", "fine", "CREATE TABLE fine (id INTEGER);", "DROP TABLE fine;")
    (migrations.path / "20240101000001_broken.sql").write_text(content, encoding="utf-8")
    url = fresh_url(dialect, tmp_path)
    try:
        human, as_json = cli.many(("up", "--url", url), ("up", "--url", url, "--json"))
        message = error_of(human, 4)
        assert json_error_of(as_json, 4)["message"] == message
        assert "20240101000001_broken.sql:" in message, human
        assert fragment in message, human

        async def created_now() -> bool:
            return (await schemactl.create(url)).changed

        assert anyio.run(created_now), f"`up` left {url} created for a broken migration"
    finally:
        drop_quietly(url)
