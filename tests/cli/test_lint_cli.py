"""`schemactl lint` offline, run as a user would: its four formats, exit codes, policy from
pyproject.toml, and its errors (one line, the documented exit code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.test_cli import Cli, Result, error_of, json_error_of
from tests.cli.test_cli import cli as cli
from tests.cli.test_imports import loaded_modules
from tests.conftest import MigrationsDir

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
PG = ("lint", "--dialect", "postgresql")
SETUP = "CREATE TABLE users (id bigint PRIMARY KEY, email text);"
LOCK_TIMEOUT = "SET lock_timeout = '2s';"
FINDING_KEYS = {"rule", "name", "severity", "file", "line", "section", "statement", "message",
                "lock", "blocks", "rewrite", "safe_alternative", "approved"}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> MigrationsDir:
    """A migrations directory: a table, then a migration that drops it (DS101, an error)."""
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add("1", "users", SETUP, "DROP TABLE users;")
    migrations.add("2", "drop", LOCK_TIMEOUT + "\nDROP TABLE users;", "-- schemactl: no-op")
    return migrations


def document(result: Result, code: int) -> dict[str, Any]:
    assert result.code == code, result
    data = json.loads(result.out)  # exactly one document
    assert isinstance(data, dict)
    return data


def test_text_groups_findings_per_migration_and_blocks(cli: Cli, project: MigrationsDir) -> None:
    result = cli(*PG)
    assert result.code == 1, result
    out = result.out
    assert "migrations/1_users.sql  risk 0/100 LOW\n  no findings" in out
    assert "migrations/2_drop.sql  risk " in out
    assert "users (size unknown)" in out  # offline: no sizes
    assert "  migrations/2_drop.sql:3: error DS101 drop-table  [blocks]" in out
    assert "    DROP TABLE users" in out
    assert "    lock: ACCESS EXCLUSIVE, blocks reads and writes" in out
    assert "    instead: stop using the table in the code and deploy first" in out
    assert out.rstrip().endswith(" blocking (at error and above)")


def test_json_is_one_document_of_the_documented_shape(cli: Cli, project: MigrationsDir) -> None:
    data = document(cli(*PG, "--json"), 1)
    assert data["format"] == "schemactl.lint/1"
    (finding,) = [f for f in data["findings"] if f["rule"] == "DS101"]
    assert set(finding) == FINDING_KEYS
    assert finding["rule"] == "DS101"
    assert finding["name"] == "drop-table"
    assert finding["severity"] == "error"
    assert finding["file"] == "migrations/2_drop.sql"
    assert finding["line"] == 3
    assert finding["section"] == "up"
    assert finding["statement"] == "DROP TABLE users"
    assert finding["lock"] == "ACCESS EXCLUSIVE"
    assert finding["blocks"] == "reads and writes"
    assert finding["approved"] is None
    first, second = data["migrations"]
    assert first == {
        "version": "1",
        "file": "migrations/1_users.sql",
        "risk": {"score": 0, "tier": "LOW"},
        "tables": [],
    }
    assert second["tables"] == [{"name": "users", "rows": None, "bytes": None}]
    assert second["risk"]["tier"] in ("MODERATE", "HIGH")
    severities = [f["severity"] for f in data["findings"]]
    assert data["summary"] == {
        "errors": severities.count("error"),
        "warnings": severities.count("warning"),
        "infos": severities.count("info"),
        "blocking": severities.count("error"),
    }
    assert cli(*PG, "--format", "json").out == cli(*PG, "--json").out


def test_nothing_blocking_exits_0(cli: Cli, tmp_path: Path) -> None:
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add("1", "users", SETUP, "DROP TABLE users;")
    migrations.add(
        "2", "more", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);", "DROP TABLE t;"
    )
    result = cli(*PG)
    assert result.code == 0, result
    assert result.out.count("no findings") == 2
    assert "0 blocking" in result.out


def test_files_given_are_read_after_their_directory_s_earlier_files(
    cli: Cli, project: MigrationsDir
) -> None:
    """Only the file named is reported; the table it drops is known from file 1, so it
    exists before the migration (DS101)."""
    data = document(cli(*PG, "--json", "migrations/2_drop.sql"), 1)
    assert [m["version"] for m in data["migrations"]] == ["2"]
    assert "DS101" in [f["rule"] for f in data["findings"]]
    data = document(cli(*PG, "--json", "migrations/1_users.sql"), 0)
    assert [m["version"] for m in data["migrations"]] == ["1"]


def test_a_statement_the_parser_cannot_read_is_reported(cli: Cli, tmp_path: Path) -> None:
    MigrationsDir(tmp_path / "migrations").add("1", "bad", "CREATE TABLLE x (id int);", "SELECT 1;")
    data = document(cli(*PG, "--json"), 0)
    (finding,) = data["findings"]
    assert finding["rule"] == "UN101"
    assert finding["severity"] == "info"
    assert finding["message"].startswith("not analysed")


def test_sarif_validates_against_the_sarif_2_1_0_schema(cli: Cli, project: MigrationsDir) -> None:
    result = cli(*PG, "--format", "sarif")
    data = document(result, 1)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(data)
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "DS101" in ids
    assert ids == sorted(ids)
    (found,) = [r for r in run["results"] if r["ruleId"] == "DS101"]
    assert rules[found["ruleIndex"]]["id"] == "DS101"
    assert found["level"] == "error"
    location = found["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "migrations/2_drop.sql"},
        "region": {"startLine": 3},
    }


def test_sarif_fails_validation_when_broken(cli: Cli, project: MigrationsDir) -> None:
    """The schema check can fail: a result without its message is refused."""
    data = document(cli(*PG, "--format", "sarif"), 1)
    del data["runs"][0]["results"][0]["message"]
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(data)


def test_github_annotations(cli: Cli, project: MigrationsDir) -> None:
    result = cli(*PG, "--format", "github")
    assert result.code == 1, result
    (line,) = [ln for ln in result.out.splitlines() if "DS101" in ln]
    assert line.startswith(
        "::error file=migrations/2_drop.sql,line=3,title=DS101 drop-table::drops table users"
    )
    assert "%0AInstead: stop using the table" in line


def test_policy_from_pyproject(cli: Cli, project: MigrationsDir, tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.schemactl.lint]\nseverity = { drop-table = "warning" }\n')
    data = document(cli(*PG, "--json"), 0)
    assert [f["severity"] for f in data["findings"] if f["rule"] == "DS101"] == ["warning"]
    pyproject.write_text(
        '[tool.schemactl.lint]\nseverity = { DS101 = "warning" }\nblock = "warning"\n'
    )
    assert document(cli(*PG, "--json"), 1)["summary"]["blocking"] == 1
    pyproject.write_text('[tool.schemactl.lint]\ndisable = ["DS101"]\n')
    assert "DS101" not in [f["rule"] for f in document(cli(*PG, "--json"), 0)["findings"]]
    pyproject.write_text('[tool.schemactl.lint]\nstart_after = "2"\n')
    assert document(cli(*PG, "--json"), 0)["migrations"] == []


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("lint",), 2, "give --dialect postgresql|mysql|sqlite to lint offline, or --url"),
        (("lint", "--dialect", "postgresql", "--all"), 2, "--all needs --url"),
        (("lint", "--url", "sqlite:x.db", "--dialect", "sqlite"), 2, "--dialect is for linting"),
        (("lint", "--url", "sqlite:x.db", "m.sql"), 2, "FILES are linted offline"),
        (("lint", "--dialect", "postgresql", "nothing.sql"), 3, "'nothing.sql' does not exist"),
        (("lint", "--dialect", "postgresql", "-d", "nowhere"), 3, "'nowhere' does not exist"),
    ],
)
def test_usage_and_configuration_errors_are_one_line(
    cli: Cli, args: tuple[str, ...], code: int, words: str
) -> None:
    assert words in error_of(cli(*args), code)


def test_an_unknown_dialect_or_format_is_a_usage_error(cli: Cli) -> None:
    assert cli("lint", "--dialect", "oracle").code == 2
    assert cli("lint", "--dialect", "sqlite", "--format", "xml").code == 2


def test_a_broken_policy_is_a_configuration_error(
    cli: Cli, project: MigrationsDir, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schemactl.lint]\nblock = "fatal"\n')
    assert "block in [tool.schemactl.lint] must be error, warning or info" in error_of(cli(*PG), 3)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl.lint]\nseverity = { XX999 = "info" }\n'
    )
    error = json_error_of(cli(*PG, "--json"), 3)
    assert error["message"] == "unknown rule 'XX999' in [tool.schemactl.lint]"
    (tmp_path / "pyproject.toml").write_text("[tool.schemactl]\nlint = 3\n")
    assert "[tool.schemactl.lint] must be a table" in error_of(cli(*PG), 3)


def test_a_file_that_is_not_a_migration(cli: Cli, tmp_path: Path) -> None:
    MigrationsDir(tmp_path / "migrations").add("1", "x", SETUP)
    (tmp_path / "notes.sql").write_text("-- migrate:up\nSELECT 1;\n")
    assert "not a migration file" in error_of(cli(*PG, "notes.sql"), 4)
    (tmp_path / "migrations" / "2_broken.sql").write_text("SELECT 1;\n")
    assert "2_broken.sql" in error_of(cli(*PG), 4)


def test_lint_imports_no_database_code(tmp_path: Path) -> None:
    """Offline, no SQLAlchemy nor driver; `--help` of the app does not load the linter."""
    MigrationsDir(tmp_path / "migrations").add("1", "users", SETUP, "DROP TABLE users;")
    assert loaded_modules(["lint", "--dialect", "postgresql"], tmp_path) == []
    assert loaded_modules(["lint", "--help"], tmp_path) == []
