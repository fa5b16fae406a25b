"""The lint policy at apply time, through `up` and `migrate` (CLI and API), on each database:
enforced, a pending migration with a blocking finding is refused (exit 9) with those after
it, and the ones before it are applied; not enforced, everything is applied with warnings;
approvals, --allow and start_after."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import schemactl
from schemactl.lint.policy import Policy
from tests.cli.test_cli import Cli, Result
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir, drop_quietly

pytestmark = pytest.mark.anyio

REFUSED = "003_drop_legacy.sql"
APPROVED = '-- schemactl:approve DS101 reason="legacy is empty since 2024"\n'


@pytest.fixture
def url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet; dropped afterwards."""
    name = f"hpol_{uuid.uuid4().hex[:10]}"
    found = {
        "sqlite": f"sqlite:{tmp_path / name}.db",
        "postgresql": f"{PG_BASE}/{name}",
        "mysql": f"{MYSQL_BASE}/{name}",
    }[dialect]
    yield found
    drop_quietly(found)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The installed command, run in ``tmp_path`` (where ``migrations`` and pyproject are)."""
    return Cli(tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> MigrationsDir:
    """Four migrations; the third drops a table an earlier one made (DS101, an error)."""
    migrations = MigrationsDir(tmp_path / "migrations")
    migrations.add(
        "001", "users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;"
    )
    migrations.add(
        "002", "legacy", "CREATE TABLE legacy (id INTEGER PRIMARY KEY);", "DROP TABLE legacy;"
    )
    migrations.add(
        "003", "drop_legacy", "DROP TABLE legacy;", "CREATE TABLE legacy (id INTEGER PRIMARY KEY);"
    )
    migrations.add(
        "004", "posts", "CREATE TABLE posts (id INTEGER PRIMARY KEY);", "DROP TABLE posts;"
    )
    return migrations


def approve(project: MigrationsDir, approval: str, version: str = "003") -> None:
    """Put ``approval`` on the line before the up section's first statement."""
    (path,) = project.path.glob(f"{version}_*.sql")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("-- migrate:up\n", f"-- migrate:up\n{approval}", 1), "utf-8")


async def applied(url: str, project: MigrationsDir) -> list[str]:
    status = await schemactl.status(url, migrations_dir=str(project))
    return [m.version for m in status.applied]


def up(cli: Cli, url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return cli("up", "--url", url, "--migrations-dir", "migrations", *args, env=env)


def refusal(result: Result) -> list[str]:
    """The refusal's block: its `error:` line and the lines under it, nothing else failing."""
    assert result.code == 9, result
    lines = result.err_lines
    start = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    return lines[start:]


async def test_enforced_refuses_the_first_blocking_migration_and_those_after_it(
    url: str, project: MigrationsDir, cli: Cli
) -> None:
    result = up(cli, url, "--enforce")
    block = refusal(result)
    assert block[0] == (
        f"error: the lint policy refuses migrations/{REFUSED}: it is not applied, nor the "
        "1 pending migration after it; the 2 migrations before it were applied"
    )
    assert block[1].split() == [
        "DS101",
        "drop-table",
        f"migrations/{REFUSED}:2:",
        *["drops", "table", "legacy", "and", "every", "row", "in", "it"],
    ]
    assert "--allow DS101" in block[2]
    assert "Applied 002_legacy.sql" in result.err
    assert await applied(url, project) == ["001", "002"]

    again = up(cli, url, "--enforce", "--json")  # the refusing findings, in the error document
    error = json.loads(again.out)["error"]
    assert (error["type"], error["code"], error["kind"], error["version"]) == (
        "PolicyError",
        9,
        "policy",
        "003",
    )
    assert error["file"] == f"migrations/{REFUSED}"
    ((finding),) = error["findings"]
    assert (finding["rule"], finding["line"], finding["approved"]) == ("DS101", 2, None)
    assert error["message"].splitlines()[0].startswith("the lint policy refuses")
    assert await applied(url, project) == ["001", "002"]


async def test_not_enforced_everything_is_applied_and_the_finding_is_a_warning(
    url: str, project: MigrationsDir, cli: Cli
) -> None:
    first = up(cli, url, "--to", "001")
    assert first.code == 0, first
    result = up(cli, url)
    assert result.code == 0, result
    warnings = [line for line in result.err_lines if line.startswith("warning: ")]
    assert warnings == [
        f"warning: DS101 drop-table migrations/{REFUSED}:2: drops table legacy and every row "
        "in it (the lint policy is not enforced)"
    ]
    assert await applied(url, project) == ["001", "002", "003", "004"]


async def test_an_approval_with_a_reason_lets_it_through(
    url: str, project: MigrationsDir, cli: Cli
) -> None:
    approve(project, APPROVED)
    result = up(cli, url, "--enforce")
    assert result.code == 0, result
    assert "warning" not in result.err
    assert await applied(url, project) == ["001", "002", "003", "004"]


async def test_an_approval_without_a_reason_is_refused(
    url: str, project: MigrationsDir, cli: Cli
) -> None:
    approve(project, "-- schemactl:approve DS101\n")
    block = refusal(up(cli, url, "--enforce"))
    assert [line.split()[0] for line in block[1:3]] == ["SU102", "DS101"]
    assert f"migrations/{REFUSED}:2: approves DS101 without a reason" in block[1]
    assert f"migrations/{REFUSED}:3: drops table legacy" in block[2]
    assert await applied(url, project) == ["001", "002"]


async def test_an_unused_approval_is_reported(url: str, project: MigrationsDir, cli: Cli) -> None:
    approve(project, '-- schemactl:approve drop-column reason="no column is dropped"\n', "004")
    result = up(cli, url, "--enforce", "--allow", "DS101")
    assert result.code == 0, result
    assert (
        "warning: SU101 unused-approval migrations/004_posts.sql:2: approves DS102 for the "
        "statement at line 3, which has no DS102 finding"
    ) in result.err_lines
    assert await applied(url, project) == ["001", "002", "003", "004"]


async def test_allow_lets_a_rule_through_once_and_says_so(
    url: str, project: MigrationsDir, cli: Cli, dialect: str
) -> None:
    bad = up(cli, url, "--enforce", "--allow", "XX999")
    assert bad.code == 3, bad
    assert bad.err_lines == ["error: unknown rule 'XX999' in --allow"]

    result = up(cli, url, "--enforce", "--allow", "drop-table")
    assert result.code == 0, result
    assert (
        f"warning: DS101 drop-table migrations/{REFUSED}:2: drops table legacy and every row "
        "in it (let through by --allow)"
    ) in result.err_lines
    assert await applied(url, project) == ["001", "002", "003", "004"]


async def test_the_api_enforces_a_policy_and_lints_nothing_without_one(
    url: str, project: MigrationsDir
) -> None:
    with pytest.raises(schemactl.PolicyError) as refused:
        await schemactl.up(url, migrations_dir=str(project), policy=Policy(enforce=True))
    assert refused.value.exit_code == 9
    assert (refused.value.version, [f["rule"] for f in refused.value.findings]) == (
        "003",
        ["DS101"],
    )
    assert await applied(url, project) == ["001", "002"]

    # migrate, the same; a warning-only policy applies it with the finding as a warning
    with pytest.raises(schemactl.PolicyError):
        await schemactl.migrate(url, migrations_dir=str(project), policy=Policy(enforce=True))
    result = await schemactl.migrate(url, migrations_dir=str(project), policy=Policy())
    assert [m.version for m in result.applied] == ["003", "004"]
    (warning,) = result.warnings
    assert warning.startswith(f"DS101 drop-table {project.path / REFUSED}:2: drops table legacy")

    # no policy: as dbmate, nothing linted
    project.add("005", "drop_posts", "DROP TABLE posts;", "CREATE TABLE posts (id INTEGER);")
    quiet = await schemactl.up(url, migrations_dir=str(project))
    assert [m.version for m in quiet.applied] == ["005"]
    assert quiet.warnings == ()


async def test_a_database_built_from_scratch_is_linted_only_when_enforced(
    url: str, project: MigrationsDir, cli: Cli
) -> None:
    """Not enforced, building an empty database from the whole history warns of nothing: its
    tables are empty, nobody waits on them. Enforced (a CI job), it is checked all the same."""
    result = up(cli, url)
    assert result.code == 0, result
    assert "warning" not in result.err
    assert await applied(url, project) == ["001", "002", "003", "004"]


async def test_start_after_leaves_old_migrations_alone(
    url: str, project: MigrationsDir, cli: Cli, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.schemactl.lint]\nenforce = true\nstart_after = "003"\n', "utf-8")
    project.add("005", "drop_posts", "DROP TABLE posts;", "CREATE TABLE posts (id INTEGER);")
    block = refusal(up(cli, url))
    assert block[0].startswith("error: the lint policy refuses migrations/005_drop_posts.sql:")
    assert await applied(url, project) == ["001", "002", "003", "004"]

    pyproject.write_text('[tool.schemactl.lint]\nenforce = true\nstart_after = "005"\n', "utf-8")
    result = up(cli, url)
    assert result.code == 0, result
    assert "warning" not in result.err
    assert await applied(url, project) == ["001", "002", "003", "004", "005"]


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_configuration_of_the_policy(
    url: str, project: MigrationsDir, cli: Cli, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.schemactl.lint]\nseverity = { XX999 = "error" }\n', "utf-8")
    result = up(cli, url)
    assert result.code == 3, result
    assert result.err_lines == ["error: unknown rule 'XX999' in [tool.schemactl.lint]"]

    pyproject.write_text('[tool.schemactl.lint]\nseverity = { DS101 = "warning" }\n', "utf-8")
    env = {**cli.env, "SCHEMACTL_LINT_ENFORCE": "1"}
    assert up(cli, url, env=env).code == 0  # a warning does not block

    pyproject.write_text("[tool.schemactl.lint]\nenforce = false\n", "utf-8")
    project.add("005", "drop_posts", "DROP TABLE posts;", "CREATE TABLE posts (id INTEGER);")
    assert refusal(up(cli, url, env=env))  # the environment over pyproject


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_single_transaction_applies_those_before_in_one(
    url: str, project: MigrationsDir
) -> None:
    with pytest.raises(schemactl.PolicyError):
        await schemactl.up(
            url, migrations_dir=str(project), single_transaction=True, policy=Policy(enforce=True)
        )
    assert await applied(url, project) == ["001", "002"]


PROBE = """
import sys
from schemactl.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith(("schemactl.lint", "pglast", "sqlglot"))))
"""


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_nothing_pending_costs_no_lint_work(url: str, project: MigrationsDir, cli: Cli) -> None:
    args = ["up", "--url", url, "--migrations-dir", "migrations", "--enforce"]

    def loaded() -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            cwd=cli.cwd,
            env=cli.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.strip().splitlines()[-1]

    assert "schemactl.lint.engine" in loaded()  # four pending (refused at the third): linted
    (project.path / "003_drop_legacy.sql").unlink()
    assert "schemactl.lint.engine" in loaded()  # the fourth
    # nothing pending: only the policy is loaded, no rule, no parser
    assert loaded() == "['schemactl.lint', 'schemactl.lint.catalog', 'schemactl.lint.policy']"
