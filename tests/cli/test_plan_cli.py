"""`schemactl plan`, `up --plan-digest` and `rollback --dry-run`, run as a user would: the
three formats, the exit codes, the JSON documents validated against the shipped schema."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.test_cli import Cli, Result
from tests.cli.test_cli import cli as cli
from tests.cli.test_imports import loaded_modules
from tests.conftest import MigrationsDir

SCHEMA = jsonschema.Draft202012Validator(
    json.loads((files("schemactl") / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
)


@pytest.fixture
def project(cli: Cli, tmp_path: Path) -> MigrationsDir:
    """users (3 rows, a duplicate email) applied; a unique index on it pending."""
    cli.env["SCHEMACTL_PLANS_DIR"] = str(tmp_path / "plans")
    cli.env["DATABASE_URL"] = f"sqlite:{tmp_path / 'app.db'}"
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add(
        "001",
        "users",
        "CREATE TABLE users (id integer PRIMARY KEY, email text);\n"
        "INSERT INTO users VALUES (1, 'a'), (2, 'a'), (3, 'b');",
        "DROP TABLE users;",
    )
    assert cli("up").code == 0
    migrations.add("002", "email", "CREATE UNIQUE INDEX users_email ON users (email);",
                   "DROP INDEX users_email;")  # fmt: skip
    return migrations


def document(result: Result, code: int) -> dict[str, Any]:
    assert result.code == code, result
    data = json.loads(result.out)  # exactly one document
    SCHEMA.validate(data)
    assert isinstance(data, dict)
    return data


def test_json_is_one_valid_document(cli: Cli, project: MigrationsDir) -> None:
    data = document(cli("plan", "--json"), 0)
    assert data["decision"] == "review"  # DD101: the index may fail on the data
    (migration,) = data["migrations"]
    (check,) = migration["preflight"]
    assert (check["check"], check["count"]) == ("duplicates", None)
    checked = document(cli("plan", "--preflight", "--statement-timeout", "5", "-f", "json"), 1)
    assert checked["decision"] == "block"
    assert checked["migrations"][0]["preflight"][0]["count"] == 2


def test_markdown_puts_the_decision_first(cli: Cli, project: MigrationsDir) -> None:
    result = cli("plan", "--preflight", "--format", "markdown")
    assert result.code == 1, result
    text = result.out
    assert text.startswith("# schemactl plan (up): BLOCK\n\n**Decision: block.** 1 pending")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Riskiest statement", "## What to check", "## Migrations"]
    assert "- [ ] pre-flight **duplicates** (002, line 2): " in text
    assert ": 2 (FAILS)" in text
    assert "### 1. `migrations/002_email.sql`" in text


def test_text_and_the_digest_workflow(cli: Cli, project: MigrationsDir) -> None:
    result = cli("plan")
    assert result.code == 0, result
    assert result.out.startswith("Plan: REVIEW  (1 pending migration on sqlite:")
    digest = result.out.splitlines()[1].removeprefix("digest ")
    assert digest.startswith("sha256:")
    project.add("002", "email", "CREATE INDEX users_email ON users (email);",
                "DROP INDEX users_email;")  # fmt: skip
    refused = cli("up", "--plan-digest", digest, "--json")
    assert refused.code == 8, refused
    error = json.loads(refused.out)["error"]
    assert (error["kind"], error["type"], error["expected"]) == ("state", "PlanDigestError", digest)
    assert error["changes"] == ["migrations/002_email.sql changed since the plan was approved"]
    assert refused.err.startswith("error: the plan changed since it was approved: ")
    fresh = document(cli("plan", "--json"), 0)["digest"]
    applied = cli("up", "--plan-digest", fresh)
    assert applied.code == 0, applied
    assert "Applied 1 migration" in applied.err


def test_rollback_dry_run_changes_nothing(cli: Cli, project: MigrationsDir) -> None:
    data = document(cli("rollback", "--dry-run", "--json"), 1)  # DS101: it drops users
    assert (data["direction"], data["steps"], data["to"]) == ("down", None, None)
    (migration,) = data["migrations"]
    assert migration["down"] == {"present": True, "loses": ["table users"]}
    assert migration["statements"][0]["sql"] == "DROP TABLE users"
    text = cli("rollback", "--dry-run", "--to", "0")
    assert text.out.startswith("Rollback plan: BLOCK  (1 migration to roll back on sqlite:")
    status = json.loads(cli("status", "--json").out)
    assert [m["version"] for m in status["migrations"] if m["applied"]] == ["001"]


def test_plan_help_imports_no_database_code(tmp_path: Path) -> None:
    assert loaded_modules(["plan", "--help"], tmp_path) == []
