"""`up --plan-digest`: an approved plan applies while it is still exactly what would run, and
is refused (exit 8, nothing applied) naming what changed: a file edited, a file added, a
migration applied in between, another database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "plans"
    monkeypatch.setenv("SCHEMACTL_PLANS_DIR", str(directory))
    return directory


async def approved(url: str, migrations: MigrationsDir) -> str:
    """A database with migration 1 applied and 2, 3 pending; the digest of that plan."""
    migrations.add("001", "a", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    await schemactl.up(url, migrations_dir=migrations.path)
    migrations.add("002", "b", "CREATE TABLE b (id integer);", "DROP TABLE b;")
    migrations.add("003", "c", "CREATE TABLE c (id integer);", "DROP TABLE c;")
    return (await schemactl.plan(url, migrations_dir=migrations.path)).digest


async def pending(url: str, migrations: MigrationsDir) -> list[str]:
    status = await schemactl.status(url, migrations_dir=migrations.path)
    return [m.version for m in status.pending]


async def test_an_unchanged_plan_applies(db_url: str, migrations: MigrationsDir) -> None:
    digest = await approved(db_url, migrations)
    again = await schemactl.plan(db_url, migrations_dir=migrations.path)
    assert again.digest == digest  # the same files, the same database: the same plan
    result = await schemactl.up(db_url, migrations_dir=migrations.path, plan_digest=digest)
    assert [m.version for m in result.applied] == ["002", "003"]
    # nothing pending any more: the plan of nothing is what an idle `up` accepts
    empty = await schemactl.plan(db_url, migrations_dir=migrations.path)
    await schemactl.migrate(db_url, migrations_dir=migrations.path, plan_digest=empty.digest)


async def test_an_edited_file_is_refused_by_name(db_url: str, migrations: MigrationsDir) -> None:
    digest = await approved(db_url, migrations)
    edited = migrations.add("003", "c", "CREATE TABLE c (id integer, x integer);", "DROP TABLE c;")
    with pytest.raises(schemactl.PlanDigestError) as caught:
        await schemactl.up(db_url, migrations_dir=migrations.path, plan_digest=digest)
    error = caught.value
    assert error.exit_code == 8
    assert error.changes == [f"{edited} changed since the plan was approved"]
    assert error.expected == digest
    assert error.actual == (await schemactl.plan(db_url, migrations_dir=migrations.path)).digest
    assert await pending(db_url, migrations) == ["002", "003"]  # nothing applied


async def test_an_added_file_is_refused(db_url: str, migrations: MigrationsDir) -> None:
    digest = await approved(db_url, migrations)
    added = migrations.add("004", "d", "CREATE TABLE d (id integer);", "DROP TABLE d;")
    with pytest.raises(schemactl.PlanDigestError) as caught:
        await schemactl.migrate(db_url, migrations_dir=migrations.path, plan_digest=digest)
    assert caught.value.changes == [f"a migration was added: {added}"]
    assert await pending(db_url, migrations) == ["002", "003", "004"]


async def test_a_migration_applied_since_is_refused(db_url: str, migrations: MigrationsDir) -> None:
    digest = await approved(db_url, migrations)
    await schemactl.up(db_url, migrations_dir=migrations.path, to="002")
    with pytest.raises(schemactl.PlanDigestError) as caught:
        await schemactl.up(db_url, migrations_dir=migrations.path, plan_digest=digest)
    assert caught.value.changes == ["002_b.sql was applied since"]
    assert await pending(db_url, migrations) == ["003"]


async def test_everything_applied_since_is_refused_too(
    db_url: str, migrations: MigrationsDir
) -> None:
    """(`up` with nothing pending takes no lock: the digest is checked there as well)"""
    digest = await approved(db_url, migrations)
    await schemactl.up(db_url, migrations_dir=migrations.path)
    with pytest.raises(schemactl.PlanDigestError, match=r"002_b\.sql was applied since"):
        await schemactl.up(db_url, migrations_dir=migrations.path, plan_digest=digest)


async def test_without_a_record_the_refusal_lists_what_would_run(
    db_url: str, migrations: MigrationsDir, plans_dir: Path
) -> None:
    digest = await approved(db_url, migrations)
    shutil.rmtree(plans_dir)  # approved on another machine
    migrations.add("003", "c", "CREATE TABLE c (id bigint);", "DROP TABLE c;")
    with pytest.raises(schemactl.PlanDigestError) as caught:
        await schemactl.up(db_url, migrations_dir=migrations.path, plan_digest=digest)
    (change,) = caught.value.changes
    assert "(pending now: 002_b.sql, 003_c.sql)" in change
    assert "no record of the approved plan" in change


async def test_the_plan_is_for_one_database(
    db_url: str, dialect: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    digest = await approved(db_url, migrations)
    other = db_url + "_other" if dialect != "sqlite" else db_url.replace(".db", "_other.db")
    await schemactl.up(other, migrations_dir=migrations.path, to="001")
    try:
        with pytest.raises(schemactl.PlanDigestError, match="the plan was approved for "):
            await schemactl.up(other, migrations_dir=migrations.path, plan_digest=digest)
    finally:
        await schemactl.drop(other)


async def test_a_malformed_digest_is_a_configuration_error(db_url: str) -> None:
    with pytest.raises(schemactl.ConfigurationError, match="sha256: and 64 hex digits"):
        await schemactl.up(db_url, plan_digest="abc")
