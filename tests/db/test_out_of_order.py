"""History that branches: a pending migration older than one already applied (two branches
merged) is applied with a warning, shown in status, and refused with strict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


def two_branches(migrations: MigrationsDir) -> None:
    """main applied 1 and 3; the merged branch brings 2."""
    migrations.add("20240101000000", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    migrations.add("20240103000000", "three", "CREATE TABLE t3 (id INTEGER);", "DROP TABLE t3;")


async def test_applied_with_a_warning_and_shown_in_status(
    db_url: str, migrations: MigrationsDir
) -> None:
    two_branches(migrations)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.out_of_order) for m in status.migrations] == [
        ("20240101000000", False),
        ("20240102000000", True),
        ("20240103000000", False),
    ]
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == ["20240102000000"]
    assert result.warnings == (
        "1 pending migration older than 20240103000000, which is applied already (out of "
        "order: 20240102000000_two.sql); applied anyway (--strict refuses)",
    )
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert not any(m.out_of_order for m in status.migrations)


async def test_strict_refuses_before_applying_anything(
    db_url: str, migrations: MigrationsDir
) -> None:
    two_branches(migrations)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    migrations.add("20240104000000", "four", "CREATE TABLE t4 (id INTEGER);", "DROP TABLE t4;")
    with pytest.raises(schemactl.StateError, match="--strict refuses to apply them"):
        await schemactl.up(db_url, migrations_dir=str(migrations), strict=True)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["20240102000000", "20240104000000"]


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_cli_strict_from_the_flag_or_pyproject(
    db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    two_branches(migrations)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "schemactl", *args, "--url", db_url, "-d", str(migrations)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    assert run("up").returncode == 0
    migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    status = run("status", "--json")
    flags = [m["out_of_order"] for m in json.loads(status.stdout)["migrations"]]
    assert flags == [False, True, False]
    assert "(out of order: older than an applied migration)" in run("status").stdout
    refused = run("up", "--strict")
    assert refused.returncode == 8, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "--strict refuses" in refused.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.schemactl]\nstrict = true\n")
    assert run("up").returncode == 8
    (tmp_path / "pyproject.toml").write_text("[tool.schemactl]\nstrict = false\n")
    applied = run("up")
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr.count("warning: 1 pending migration older than") == 1


async def test_rollback_undoes_in_the_order_of_application(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """After a merged branch's older migration was applied last, it is the one rolled back
    first, and --to a version means what was applied after it was."""
    import anyio

    two_branches(migrations)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    if dialect == "mysql":
        await anyio.sleep(1.1)  # MySQL's DATETIME keeps whole seconds: equal times go by name
    migrations.add("20240102000000", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    await schemactl.up(db_url, migrations_dir=str(migrations))  # applied last: 2
    with pytest.raises(schemactl.StateError, match="20240102000000 is the migration applied last"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations), to="20240102000000")
    first = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in first.rolled_back] == ["20240102000000"]
    if dialect == "mysql":
        await anyio.sleep(1.1)
    await schemactl.up(db_url, migrations_dir=str(migrations))  # 2 again, last again
    back = await schemactl.rollback(db_url, migrations_dir=str(migrations), to="20240101000000")
    assert [m.version for m in back.rolled_back] == ["20240102000000", "20240103000000"]


async def test_up_warns_of_changed_files_and_refuses_with_fail_on_drift(
    db_url: str, migrations: MigrationsDir
) -> None:
    one = migrations.add("1", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    one.write_text(one.read_text().replace("(id INTEGER)", "(id INTEGER, name TEXT)"))
    with pytest.raises(schemactl.StateError, match="--fail-on-drift refuses to run"):
        await schemactl.up(db_url, migrations_dir=str(migrations), fail_on_drift=True)
    migrations.add("2", "two", "CREATE TABLE two (id INTEGER);", "DROP TABLE two;")
    with pytest.raises(schemactl.StateError, match=r"1 applied migration changed since applied"):
        await schemactl.up(db_url, migrations_dir=str(migrations), fail_on_drift=True)
    migrations.add("3", "three", "-- to be written", "SELECT 1;")
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == ["2", "3"]
    assert result.warnings == (
        "1 applied migration changed since applied (1_one.sql; `schemactl status` shows them)",
        "3_three.sql: its up section is empty",
    )


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_cli_fail_on_drift_from_the_flag_or_pyproject(
    db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    one = migrations.add("1", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "schemactl", *args, "--url", db_url, "-d", str(migrations)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    assert run("up").returncode == 0
    one.write_text(one.read_text() + "\n-- a comment added later\n")
    refused = run("up", "--fail-on-drift")
    assert refused.returncode == 8, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.schemactl]\nfail_on_drift = true\n")
    assert run("up").returncode == 8


async def test_up_to_a_version_applies_through_it(db_url: str, migrations: MigrationsDir) -> None:
    for i in (1, 2, 3):
        migrations.add(f"{i}", f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", f"DROP TABLE t{i};")
    with pytest.raises(schemactl.ConfigurationError, match="--to 9: no migration file"):
        await schemactl.up(db_url, migrations_dir=str(migrations), to="9")
    first = await schemactl.up(db_url, migrations_dir=str(migrations), to="2")
    assert [m.version for m in first.applied] == ["1", "2"]
    assert (first.total, first.pending) == (3, 1)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["3"]
    rest = await schemactl.migrate(db_url, migrations_dir=str(migrations), to="3")
    assert [m.version for m in rest.applied] == ["3"]


async def test_redo_rolls_back_and_applies_again(db_url: str, migrations: MigrationsDir) -> None:
    for i in (1, 2, 3):
        migrations.add(f"{i}", f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", f"DROP TABLE t{i};")
    await schemactl.up(db_url, migrations_dir=str(migrations), to="2")
    result = await schemactl.redo(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.rolled_back] == ["2"]
    assert [m.version for m in result.applied] == ["2"]  # not 3, which was never applied
    two = await schemactl.redo(db_url, migrations_dir=str(migrations), steps=2)
    assert [m.version for m in two.rolled_back] == ["2", "1"]
    assert [m.version for m in two.applied] == ["1", "2"]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["3"]
    with pytest.raises(schemactl.ConfigurationError, match="steps must be 1 or more"):
        await schemactl.redo(db_url, migrations_dir=str(migrations), steps=0)


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_cli_redo(db_url: str, migrations: MigrationsDir, tmp_path: Path) -> None:
    migrations.add("1", "one", "CREATE TABLE one (id INTEGER);", "DROP TABLE one;")
    base = [sys.executable, "-m", "schemactl"]
    where = ["--url", db_url, "-d", str(migrations)]
    assert subprocess.run([*base, "up", *where], cwd=tmp_path, check=False).returncode == 0
    done = subprocess.run(
        [*base, "redo", *where], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "Rolled back 1 migration, applied 1 migration"
