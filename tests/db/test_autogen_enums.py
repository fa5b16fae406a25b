"""PostgreSQL enum types whose values change in the models.

Added values become ``ALTER TYPE ... ADD VALUE`` (in the models' order), in an up section
that runs outside a transaction; removed or renamed ones are reported and left to a
hand-written migration. (MySQL/MariaDB enums are column types, which Alembic compares; SQLite
has none.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, Table, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, fresh_url
from tests.db.test_autogen_constraints import back_to_nothing, step

pytestmark = pytest.mark.anyio


def orders(*statuses: str, with_next: bool = False) -> MetaData:
    metadata = MetaData()
    status = Enum(*statuses, name="order_status")
    columns = [Column("id", Integer, primary_key=True), Column("status", status, nullable=False)]
    if with_next:  # a new column whose default is a value the same migration adds
        columns.append(Column("next_status", status, server_default="shipped"))
    Table("orders", metadata, *columns)
    return metadata


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    url = fresh_url("postgresql", tmp_path)
    await schemactl.create(url)
    try:
        yield url
    finally:
        await schemactl.drop(url)


async def labels(url: str) -> list[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            enums = await conn.run_sync(lambda c: inspect(c).get_enums())  # type: ignore[attr-defined]
            return next(list(e["labels"]) for e in enums if e["name"] == "order_status")
    finally:
        await engine.dispose()


async def insert(url: str, metadata: MetaData, *statuses: str) -> list[str]:
    table = metadata.tables["orders"]
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for status in statuses:
                await conn.execute(table.insert().values(status=status))
            return list((await conn.scalars(select(table.c.status).order_by(table.c.id))).all())
    finally:
        await engine.dispose()


async def test_value_added_at_the_end(pg_url: str, migrations: MigrationsDir) -> None:
    await step(pg_url, orders("new", "paid"), migrations, "v1")
    v2 = orders("new", "paid", "shipped")
    drift = await schemactl.check(pg_url, models=v2, migrations_dir=str(migrations))
    assert [c.detail for c in drift.changes] == ["+ enum value order_status.shipped"]

    content = await step(pg_url, v2, migrations, "v2")
    assert content.startswith("-- migrate:up transaction:false\n")
    up, down = content.split("-- migrate:down\n")
    assert "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped';" in up
    assert "-- enum type order_status keeps value 'shipped': PostgreSQL cannot remove" in down
    assert "needs a hand-written migration" in down
    assert await labels(pg_url) == ["new", "paid", "shipped"]
    assert await insert(pg_url, v2, "new", "shipped") == ["new", "shipped"]

    # The down section runs (it can only explain), and the value stays: check says so.
    rolled = await schemactl.rollback(pg_url, migrations_dir=str(migrations))
    assert [m.name for m in rolled.rolled_back] == ["v2"]
    assert await labels(pg_url) == ["new", "paid", "shipped"]
    drift = await schemactl.check(
        pg_url, models=orders("new", "paid"), migrations_dir=str(migrations), allow_pending=True
    )
    assert [c.kind for c in drift.changes] == ["enum_values"]
    assert "values not in the models: shipped" in drift.changes[0].detail


async def test_values_added_in_the_models_order(pg_url: str, migrations: MigrationsDir) -> None:
    await step(pg_url, orders("new", "paid"), migrations, "v1")
    v2 = orders("draft", "new", "packed", "paid", "shipped", "returned")
    content = await step(pg_url, v2, migrations, "v2")
    up = content.split("-- migrate:down")[0]
    statements = [line for line in up.splitlines() if line.startswith("ALTER TYPE")]
    assert statements == [
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'draft' BEFORE 'new';",
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'packed' AFTER 'new';",
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped';",
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'returned';",
    ]
    assert await labels(pg_url) == ["draft", "new", "packed", "paid", "shipped", "returned"]
    assert await insert(pg_url, v2, "packed", "draft") == ["packed", "draft"]
    await back_to_nothing(pg_url, migrations)  # the down sections run


async def test_added_value_is_usable_in_the_same_migration(
    pg_url: str, migrations: MigrationsDir
) -> None:
    """A new column defaulting to the new value: inside one transaction PostgreSQL refuses
    that ("unsafe use of new value"); outside one, each statement commits first."""
    await step(pg_url, orders("new", "paid"), migrations, "v1")
    v2 = orders("new", "paid", "shipped", with_next=True)
    content = await step(pg_url, v2, migrations, "v2")
    up = content.split("-- migrate:down")[0]
    assert up.index("ADD VALUE IF NOT EXISTS 'shipped'") < up.index("ADD COLUMN next_status")
    await schemactl.rollback(pg_url, migrations_dir=str(migrations))
    drift = await schemactl.check(
        pg_url,
        models=orders("new", "paid", "shipped"),
        migrations_dir=str(migrations),
        allow_pending=True,
    )
    assert drift.clean, [c.detail for c in drift.changes]


async def test_removed_or_renamed_value_needs_a_hand_written_migration(
    pg_url: str, migrations: MigrationsDir
) -> None:
    await step(pg_url, orders("new", "paid", "shipped"), migrations, "v1")
    v2 = orders("new", "paid", "sent")  # a rename, or a removal and an addition
    drift = await schemactl.check(pg_url, models=v2, migrations_dir=str(migrations))
    assert [c.detail for c in drift.changes] == [
        "~ enum order_status: values not in the models: shipped; values not in the database: "
        "sent (needs a hand-written migration)"
    ]
    result = await schemactl.new(
        "v2", auto=True, url=pg_url, models=v2, migrations_dir=str(migrations)
    )
    assert result.path is not None
    content = result.path.read_text()
    up, down = content.split("-- migrate:down\n")
    assert content.startswith("-- migrate:up\n")  # nothing needs to run outside a transaction
    assert "-- ALTER TYPE order_status RENAME VALUE 'old' TO 'new'" in up
    assert all(not line.strip() or line.startswith("--") for line in content.splitlines())
    assert down.strip() == "-- Rollback: v2"
    await schemactl.up(pg_url, migrations_dir=str(migrations))  # only comments: it runs
    assert await labels(pg_url) == ["new", "paid", "shipped"]
    assert not (await schemactl.check(pg_url, models=v2, migrations_dir=str(migrations))).clean
    # left unwritten, its empty down section is refused; marked, it rolls back undoing nothing
    with pytest.raises(schemactl.MigrationFileError, match="the down section is empty"):
        await schemactl.rollback(pg_url, migrations_dir=str(migrations))
    result.path.write_text(content + "-- schemactl: no-op\n")
    await schemactl.rollback(pg_url, migrations_dir=str(migrations))
    again = await schemactl.new(
        "same", auto=True, url=pg_url, models=orders("new", "paid", "shipped"),
        migrations_dir=str(migrations), allow_pending=True,  # v2 is pending again
    )  # fmt: skip
    assert again.path is None
