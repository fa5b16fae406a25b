"""`new --auto` and `check` in a team's workflow, as a user runs them: a teammate's pending
migration, which database was compared, tables left out, warnings on the terminal, and a new
project's first run on each database."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_autogen_cli import ROOT, schemactl
from tests.conftest import drop_quietly, fresh_url, shown_url

HAND_WRITTEN = """-- migrate:up
CREATE TABLE spatial_ref_sys (srid INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE audit_log (id INTEGER NOT NULL PRIMARY KEY);

-- migrate:down
DROP TABLE audit_log;
DROP TABLE spatial_ref_sys;
"""


def project_with(tmp_path: Path, settings: str = "") -> Path:
    """A project whose models are blog_v1 (`models`) and blog_v2 (`models_v2`)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "tests" / "models" / "blog_v1.py", project / "models.py")
    shutil.copy(ROOT / "tests" / "models" / "blog_v2.py", project / "models_v2.py")
    (project / "pyproject.toml").write_text(f'[tool.schemactl]\nmodels = "models"\n{settings}')
    return project


def one_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one error line of a failed run, checked to be alone and without a traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_teammates_pending_migration(tmp_path: Path) -> None:
    """Bob's migration arrives with a pull; Alice's database lacks it. Her `new --auto` would
    copy Bob's table into her migration (and `check` would report it): both refuse, until
    she applies it or says --allow-pending."""
    project = project_with(tmp_path, 'url = "sqlite:app.db"\n')
    assert schemactl("new", "--auto", "initial", cwd=project).returncode == 5  # no database yet
    assert schemactl("up", cwd=project).returncode == 0
    assert schemactl("new", "--auto", "initial", cwd=project).returncode == 0
    assert schemactl("up", cwd=project).returncode == 0
    bob = project / "migrations" / "20990101000000_bobs_table.sql"
    bob.write_text("-- migrate:up\nCREATE TABLE bobs (id INTEGER PRIMARY KEY);\n")

    refused = schemactl("new", "--auto", "alices", "--models", "models_v2", cwd=project)
    error = one_error(refused, 8)
    assert error == (
        "error: the database has 1 pending migration (first: 20990101000000_bobs_table.sql): "
        "apply them with `schemactl up` first, or pass --allow-pending (allow_pending=True) "
        "to compare anyway"
    )
    assert len(list((project / "migrations").iterdir())) == 2  # nothing written
    one_error(schemactl("check", cwd=project), 8)
    json_error = schemactl("check", "--json", cwd=project)
    assert json.loads(json_error.stdout)["error"]["code"] == 8

    allowed = schemactl("check", "--allow-pending", cwd=project)
    assert allowed.returncode == 0, allowed.stderr  # Bob's table is not in the database yet
    other_dir = schemactl("check", "-d", str(tmp_path / "elsewhere"), cwd=project)
    assert other_dir.returncode == 0, other_dir.stderr  # a directory not made: no migrations

    assert schemactl("up", cwd=project).returncode == 0
    after = schemactl("new", "--auto", "alices", "--models", "models_v2", cwd=project)
    assert after.returncode == 0, after.stderr
    assert "- table bobs" in after.stderr  # the models lack it: now a real difference


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_output_names_the_database(tmp_path: Path, dialect: str) -> None:
    target = fresh_url(dialect, tmp_path)
    if dialect == "postgresql":  # trust authentication: any password is accepted
        target = target.replace("postgres@", "postgres:pa55word@")
    project = project_with(tmp_path)
    try:
        assert schemactl("create", "--url", target, cwd=project).returncode == 0
        name = target.rpartition("/")[2].removesuffix(".db")
        shown = {
            "sqlite": f"sqlite:///{tmp_path}/{name}.db",
            "postgresql": shown_url("postgresql", name, password=True),
            "mysql": shown_url("mysql", name),
        }[dialect]
        check = schemactl("check", "--url", target, cwd=project)
        assert check.returncode == 1
        assert check.stdout.startswith(f"The database {shown} differs from the models in ")
        dry = schemactl("new", "--auto", "--dry-run", "x", "--url", target, cwd=project)
        assert dry.returncode == 0, dry.stderr
        assert dry.stderr.startswith(f"Compared the models with {shown}\n")
        data = json.loads(
            schemactl(
                "new", "--auto", "--dry-run", "--json", "x", "--url", target, cwd=project
            ).stdout
        )
        assert data["database"] == shown
        checked = json.loads(schemactl("check", "--json", "--url", target, cwd=project).stdout)
        assert checked["database"] == shown
        for output in (check, dry):
            assert "pa55word" not in output.stdout + output.stderr
    finally:
        drop_quietly(target)


def test_tables_left_out_by_configuration_and_flag(tmp_path: Path) -> None:
    """A hand-written migration made two tables the models lack (an extension's, an audit
    log): excluded in [tool.schemactl], neither is dropped nor reported; --exclude-table
    replaces the configured list."""
    settings = 'url = "sqlite:app.db"\nexclude_tables = ["spatial_ref_sys", "audit_*"]\n'
    project = project_with(tmp_path, settings)
    (project / "migrations").mkdir()
    (project / "migrations" / "20240101000000_extension.sql").write_text(HAND_WRITTEN)
    assert schemactl("up", cwd=project).returncode == 0
    created = schemactl("new", "--auto", "initial", cwd=project)
    assert created.returncode == 0, created.stderr
    written = sorted((project / "migrations").glob("*_initial.sql"))[0].read_text()
    assert "CREATE TABLE users" in written
    assert "spatial_ref_sys" not in written
    assert "audit_log" not in written
    assert schemactl("up", cwd=project).returncode == 0
    clean = schemactl("check", cwd=project)
    assert clean.returncode == 0, clean.stdout

    flag = schemactl("check", "--exclude-table", "spatial_*", cwd=project)
    assert flag.returncode == 1
    assert flag.stdout.splitlines()[1:] == ["  - table audit_log (its data is lost)"]

    (project / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:app.db"\nexclude_tables = "audit_*"\n'
    )
    error = one_error(schemactl("check", cwd=project), 3)
    assert "exclude_tables in [tool.schemactl] must be a list of names or globs" in error


def test_warnings_reach_the_terminal(tmp_path: Path) -> None:
    """What the file's `-- WARNING:` comments say is printed on stderr too."""
    project = project_with(tmp_path, 'url = "sqlite:app.db"\n')
    assert schemactl("up", cwd=project).returncode == 0
    assert schemactl("new", "--auto", "initial", cwd=project).returncode == 0
    assert schemactl("up", cwd=project).returncode == 0
    expected = [
        "warning: destructive: table legacy_notes (its data is lost)",
        "warning: destructive: column users.nickname (its data is lost)",
    ]
    for args in (("check",), ("new", "--auto", "v2"), ("check", "--json", "--allow-pending")):
        result = schemactl(*args, "--models", "models_v2", cwd=project)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert sorted(warnings) == sorted(expected), (args, result.stderr)
    written = sorted((project / "migrations").glob("*_v2.sql"))[0].read_text()
    for line in expected:
        assert f"-- WARNING: {line.removeprefix('warning: ')}" in written


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_first_run_of_a_new_project(tmp_path: Path, dialect: str) -> None:
    """No database, no migrations directory: `new --auto` says in one line to create the
    database first; `up` creates it and says where it looked for migrations; then `new
    --auto` makes the directory and the first migration, and `up` applies it."""
    target = fresh_url(dialect, tmp_path)
    project = project_with(tmp_path, f'url = "{target}"\n')
    try:
        missing = one_error(schemactl("new", "--auto", "initial", cwd=project), 5)
        assert "does not exist" in missing
        assert "`schemactl create`" in missing
        assert not (project / "migrations").exists()

        # other commands still refuse a missing directory: there it is likely a typo
        assert "migrations directory 'migrations' does not exist" in one_error(
            schemactl("migrate", cwd=project), 3
        )

        up = schemactl("up", cwd=project)
        assert up.returncode == 0, up.stderr
        assert up.stderr.splitlines()[-2:] == [
            "warning: migrations directory 'migrations' does not exist yet: no migrations to "
            "apply from it (`schemactl new NAME` creates it)",
            "Nothing to apply: the database is up to date",
        ]
        assert schemactl("create", cwd=project).stderr.strip() == "The database already exists"

        created = schemactl("new", "--auto", "initial", cwd=project)
        assert created.returncode == 0, created.stderr
        assert len(list((project / "migrations").glob("*_initial.sql"))) == 1
        applied = schemactl("up", cwd=project)
        assert applied.returncode == 0, applied.stderr
        assert "Applied 1 migration" in applied.stderr
        assert schemactl("check", cwd=project).returncode == 0
    finally:
        drop_quietly(target)


def test_new_makes_the_migrations_directory(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    result = schemactl("new", "add_users", "-d", "db/migrations", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [p.name.endswith("_add_users.sql") for p in (project / "db/migrations").iterdir()] == [
        True
    ]
