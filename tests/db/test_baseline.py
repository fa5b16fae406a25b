"""`baseline`: adopt a database that already has some migrations' changes (made by hand, or
by another tool) by recording them as applied without running them, on each database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def test_baseline_records_without_running_then_up_runs_the_rest(
    db_url: str, migrations: MigrationsDir
) -> None:
    for n in (1, 2, 3):
        migrations.add(str(n), f"t{n}", f"CREATE TABLE t{n} (id INTEGER);", f"DROP TABLE t{n};")
    await schemactl.create(db_url)
    # the database already has what 1 and 2 make; running them would fail
    await execute(db_url, "CREATE TABLE t1 (id INTEGER)", "CREATE TABLE t2 (id INTEGER)")

    result = await schemactl.baseline(db_url, "2", migrations_dir=str(migrations))
    assert (result.version, result.recorded) == ("2", ("1", "2"))
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.applied, m.checksum_ok) for m in status.migrations] == [
        ("1", True, True),
        ("2", True, True),
        ("3", False, None),
    ]
    again = await schemactl.baseline(db_url, "2", migrations_dir=str(migrations))
    assert again.recorded == ()  # (those recorded are left as they are)
    up = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in up.applied] == ["3"]
    # recorded like the others: rolled back like them (their down sections drop the tables
    # made by hand)
    back = await schemactl.rollback(db_url, migrations_dir=str(migrations), to="0")
    assert [m.version for m in back.rolled_back] == ["3", "2", "1"]


async def test_baseline_refuses_an_unknown_version_and_a_missing_database(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);")
    with pytest.raises(schemactl.DatabaseConnectionError, match="does not exist"):
        await schemactl.baseline(db_url, "1", migrations_dir=str(migrations))
    await schemactl.create(db_url)
    with pytest.raises(schemactl.StateError, match="no migration file has version '9'"):
        await schemactl.baseline(db_url, "9", migrations_dir=str(migrations))
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["1"]
