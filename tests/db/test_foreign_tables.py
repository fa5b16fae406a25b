"""A table named like the tracking table that another tool made (golang-migrate's), or that
schemactl cannot trust: refused in one line, never read as dbmate's, never ALTERed."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

# golang-migrate's own DDL (database/postgres, database/mysql, database/sqlite3 drivers)
GOLANG_MIGRATE = {
    "postgresql": [
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
        "dirty boolean NOT NULL)"
    ],
    "mysql": [
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
        "dirty boolean NOT NULL)"
    ],
    "sqlite": [
        "CREATE TABLE schema_migrations (version uint64, dirty bool)",
        "CREATE UNIQUE INDEX version_unique ON schema_migrations (version)",
    ],
}


async def run_sql(url: str, *statements: str) -> list[Any]:
    """Statements as an administrator would type them; the rows of each query."""
    engine = create_async_engine(to_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    results: list[Any] = []
    try:
        async with engine.connect() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
                results.append(result.fetchall() if result.returns_rows else None)
    finally:
        await engine.dispose()
    return results


async def columns(url: str, table: str = "schema_migrations") -> list[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: inspect(c).get_columns(table))
    finally:
        await engine.dispose()
    return [str(c["name"]) for c in found]


async def tables(url: str) -> set[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


def two_migrations(migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")


async def test_golang_migrate_table_is_refused_not_altered(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    two_migrations(migrations)
    await schemactl.create(db_url)
    # golang-migrate keeps only the latest version: "2" applied means "1" was too
    await run_sql(
        db_url,
        *GOLANG_MIGRATE[dialect],
        "INSERT INTO schema_migrations (version, dirty) VALUES (2, false)",
    )
    for run in (schemactl.up, schemactl.migrate, schemactl.status, schemactl.rollback):
        with pytest.raises(schemactl.ConfigurationError) as caught:
            await run(db_url, migrations_dir=str(migrations))
        message = str(caught.value)
        assert "\n" not in message
        assert "'schema_migrations'" in message
        assert "golang-migrate's" in message
        assert ("version integer" if dialect == "sqlite" else "version bigint") in message
        assert "dirty" in message
        assert "--migrations-table" in message
    assert await columns(db_url) == ["version", "dirty"]  # not ALTERed
    assert await tables(db_url) == {"schema_migrations"}  # nothing re-run, no other table

    # the way out the message names
    result = await schemactl.up(
        db_url, migrations_dir=str(migrations), migrations_table="schemactl_migrations"
    )
    assert [m.version for m in result.applied] == ["1", "2"]


async def test_empty_table_with_a_numeric_version_is_refused(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    # no row to tell the type by: the catalog is asked
    two_migrations(migrations)
    await schemactl.create(db_url)
    await run_sql(db_url, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
    with pytest.raises(schemactl.ConfigurationError, match=r"it has version int(eger)?(\(11\))?;"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert await columns(db_url) == ["version"]
    assert await tables(db_url) == {"schema_migrations"}


async def test_unknown_columns_are_refused(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    two_migrations(migrations)
    await schemactl.create(db_url)
    await run_sql(
        db_url,
        "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY, batch INTEGER)",
        "INSERT INTO schema_migrations (version, batch) VALUES ('1', 1)",
    )
    with pytest.raises(schemactl.ConfigurationError) as caught:
        await schemactl.status(db_url, migrations_dir=str(migrations))
    assert "batch integer" in str(caught.value)
    assert "golang-migrate" not in str(caught.value)
    with pytest.raises(schemactl.ConfigurationError):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert await columns(db_url) == ["version", "batch"]


async def test_dbmate_table_is_still_accepted(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """The check must not refuse the one foreign shape schemactl shares: dbmate's."""
    two_migrations(migrations)
    await schemactl.create(db_url)
    await run_sql(
        db_url,
        "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)",
        "CREATE TABLE a (id INTEGER PRIMARY KEY)",
        "INSERT INTO schema_migrations (version) VALUES ('1')",
    )
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied, m.checksum_ok) for m in status.migrations] == [
        ("1", True, None),
        ("2", False, None),
    ]
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == ["2"]
    assert result.warnings == ()
    assert await columns(db_url) == ["version", "checksum", "applied_at"]


def test_cli_says_it_in_one_line_with_exit_code_3(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    import anyio

    two_migrations(migrations)

    async def prepare() -> None:
        await schemactl.create(db_url)
        await run_sql(db_url, *GOLANG_MIGRATE[dialect])

    anyio.run(prepare)
    for command in ("up", "status"):
        done = subprocess.run(
            [sys.executable, "-m", "schemactl", command, "--url", db_url, "-d", str(migrations)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "golang-migrate's" in lines[0]
