"""Every command an agent would call has --json: stdout is then exactly one JSON document,
on success and on failure, with the exit code of the run without --json.

Each command runs twice here on SQLite, once succeeding and once failing the way a user
makes it fail; the failure is an ``{"error": {"code", "kind", "type", "message"}}`` document
(checked by ``json_error_of``). Errors Click raises before a command runs (an unknown option,
``lint --format json``'s bad value) and Ctrl-C are documents too.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import SCRIPT, Cli, Result, json_error_of
from tests.cli.test_cli import cli as cli
from tests.cli.test_cli import up_in_process as up_with_api
from tests.conftest import MigrationsDir

URL = ("--url", "sqlite:app.db")
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("t", metadata, sa.Column("id", sa.Integer))
sa.Table("u", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def _files(root: Path) -> None:
    migrations = MigrationsDir(root / "migrations")
    migrations.add("001", "t", "CREATE TABLE t (id int);", "DROP TABLE t;")


def _empty_database(root: Path) -> None:
    _files(root)
    sqlite3.connect(root / "app.db").close()


def _applied(root: Path) -> None:
    _files(root)
    up_with_api(f"sqlite:{root / 'app.db'}", MigrationsDir(root / "migrations"))


def _applied_with_models(root: Path) -> None:
    _applied(root)
    (root / "models.py").write_text(MODELS, encoding="utf-8")


def _pending(root: Path) -> None:
    _applied(root)
    MigrationsDir(root / "migrations").add("002", "u", "CREATE TABLE u (id int);", "DROP TABLE u;")


def _failed(root: Path) -> None:
    """A migration outside a transaction that failed after its first statement: recorded as
    failed, for `resolve`."""
    _applied(root)
    MigrationsDir(root / "migrations").add(
        "002",
        "half",
        "CREATE TABLE h (id int);\nSELECT * FROM missing;",
        up_options="transaction:false",
    )
    done = subprocess.run(
        [str(SCRIPT), "up", *URL], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 6, done.stderr


@dataclass(frozen=True)
class Run:
    id: str
    args: tuple[str, ...]
    code: int
    setup: Callable[[Path], None] = _files
    error: str | None = None  # the error's type: a failing run


RUNS = [
    Run("status", ("status", *URL), 0, _applied),
    Run("status-no-database", ("status", *URL), 5, error="DatabaseConnectionError"),
    Run("status-pending-exit-code", ("status", "--exit-code", *URL), 1, _pending),
    Run("up", ("up", *URL), 0),
    Run("up-bad-scheme", ("up", "--url", "bogus://x"), 3, error="ConfigurationError"),
    Run("up-unknown-option", ("up", "--steps", "2", *URL), 2, error="UsageError"),
    Run("migrate", ("migrate", *URL), 0, _applied),
    Run("migrate-no-database", ("migrate", *URL), 5, error="DatabaseConnectionError"),
    Run("rollback", ("rollback", *URL), 0, _applied),
    Run("rollback-nothing", ("rollback", *URL), 8, _empty_database, "StateError"),
    Run("down", ("down", *URL), 0, _applied),
    Run("redo", ("redo", *URL), 0, _applied),
    Run("redo-nothing", ("redo", "--url", "sqlite:app.db"), 5, error="DatabaseConnectionError"),
    Run("new", ("new", "add_users"), 0),
    Run("new-no-name", ("new",), 2, error="UsageError"),
    Run("new-dry-run", ("new", "add_users", "--dry-run"), 0),
    Run(
        "new-auto", ("new", "--auto", "add_u", "--models", "models", *URL), 0, _applied_with_models
    ),
    Run("new-auto-no-models", ("new", "--auto", "add_u", *URL), 3, _applied, "ConfigurationError"),
    Run("check-differs", ("check", "--models", "models", *URL), 1, _applied_with_models),
    Run("check-no-models", ("check", *URL), 3, _applied, error="ConfigurationError"),
    Run("show", ("show", "001"), 0),
    Run("show-unknown", ("show", "999"), 3, error="ConfigurationError"),
    Run("lint", ("lint", "--dialect", "sqlite"), 0),
    Run("lint-online", ("lint", *URL), 0, _applied),
    Run("lint-no-dialect", ("lint",), 2, error="UsageError"),
    Run(
        "lint-format-json-bad-value",
        ("lint", "--format", "json", "--dialect", "x"),
        2,
        error="UsageError",
    ),
    Run("plan", ("plan", *URL), 0, _pending),
    Run("plan-format-json", ("plan", "--format", "json", *URL), 0, _pending),
    Run("plan-no-database", ("plan", *URL), 5, error="DatabaseConnectionError"),
    Run("rollback-dry-run-drops-a-table", ("rollback", "--dry-run", *URL), 1, _applied),
    Run(
        "up-stale-digest",
        ("up", "--plan-digest", "sha256:" + "0" * 64, *URL),
        8,
        _pending,
        "PlanDigestError",
    ),
    Run(
        "up-bad-digest",
        ("up", "--plan-digest", "approved", *URL),
        3,
        _pending,
        "ConfigurationError",
    ),
    Run("verify", ("verify", *URL), 0),
    Run("verify-no-url", ("verify",), 3, error="ConfigurationError"),
    Run("create", ("create", *URL), 0),
    Run("create-bad-scheme", ("create", "--url", "bogus://x"), 3, error="ConfigurationError"),
    Run("drop", ("drop", *URL), 0, _applied),
    Run("drop-no-url", ("drop",), 3, error="ConfigurationError"),
    Run("wait", ("wait", *URL), 0),
    Run("wait-bad-scheme", ("wait", "--url", "bogus://x"), 3, error="ConfigurationError"),
    Run("resolve", ("resolve", "002", "--rolled-back", *URL), 0, _failed),
    Run("resolve-nothing-failed", ("resolve", "001", "--applied", *URL), 8, _applied, "StateError"),
    Run("resolve-neither-flag", ("resolve", "001", *URL), 2, _applied, error="UsageError"),
    Run("baseline", ("baseline", "001", *URL), 0, _empty_database),
    Run("baseline-unknown", ("baseline", "009", *URL), 8, _empty_database, "StateError"),
    Run("baseline-after-failure", ("baseline", "002", *URL), 8, _failed, "StateError"),
    Run("unknown-command", ("frobnicate",), 2, error="UsageError"),
]


@pytest.mark.parametrize("run", RUNS, ids=[r.id for r in RUNS])
def test_one_json_document(cli: Cli, tmp_path: Path, run: Run) -> None:
    run.setup(tmp_path)
    args = run.args if "--format" in run.args else (*run.args, "--json")
    result = cli(*args)
    if run.error is not None:
        json_error_of(result, run.code, run.error)
        return
    assert result.code == run.code, result
    document = _one_document(result)
    assert "error" not in document, result


def test_the_same_exit_code_without_json(cli: Cli, tmp_path: Path) -> None:
    """--json changes what is printed, never how the run ends."""
    _files(tmp_path)
    failing = [("rollback", *URL), ("show", "9"), ("status", *URL), ("up", "--steps", "2")]
    for args, code in zip(failing, (5, 3, 5, 2), strict=True):
        human, as_json = cli.many(args, (*args, "--json"))
        assert human.code == code, human
        json_error_of(as_json, code, json.loads(as_json.out)["error"]["type"])


def test_new_dry_run_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    """`new NAME --dry-run` shows the empty file and writes none (with --auto or not)."""
    result = cli("new", "add_users", "--dry-run", "--json")
    document = _one_document(result)
    assert document["path"] is None, result
    assert not (tmp_path / "migrations").exists() or not list(
        (tmp_path / "migrations").iterdir()
    ), result


def test_ctrl_c_is_a_json_document(tmp_path: Path) -> None:
    """SIGINT while `wait` retries a server that is not there: exit 130, one document of
    kind "interrupted", as without --json ("error: interrupted")."""
    process = subprocess.Popen(
        [str(SCRIPT), "wait", "--url", "postgresql://postgres@127.0.0.1:1/x", "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)  # started, and retrying
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    result = Result(("wait", "--json"), process.returncode, out, err)
    assert result.code == 130, result
    error = json.loads(out)["error"]
    assert error == {
        "code": 130,
        "kind": "interrupted",
        "type": "KeyboardInterrupt",
        "message": "interrupted",
    }, result
    assert err.rstrip().endswith("error: interrupted"), result


def _one_document(result: Result) -> dict[str, Any]:
    document = json.loads(result.out)  # exactly one document: trailing data would raise
    assert isinstance(document, dict), result
    return document
