"""Sequences the models declare: created, compared, dropped (never a column's own).

PostgreSQL and MariaDB have sequences; on SQLite (and MySQL) SQLAlchemy ignores them, and so
does autogenerate. Each test goes the whole way: generate, `up`, use the sequence, `check`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Identity, Integer, MetaData, Sequence, String, Table, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, fresh_url
from tests.db.test_autogen_constraints import back_to_nothing, execute, schemas_of, step

pytestmark = pytest.mark.anyio
SERVERS = ["postgresql", "mysql"]


def shop(*, increment: int = 1, maxvalue: int | None = None, cycle: bool | None = None) -> MetaData:
    """A standalone sequence, and a table whose key comes from a sequence of its own."""
    metadata = MetaData()
    Sequence(
        "order_no_seq",
        metadata=metadata,
        start=1000,
        increment=increment,
        maxvalue=maxvalue,
        cycle=cycle,
    )
    Table(
        "items",
        metadata,
        Column("id", Integer, Sequence("items_id_seq"), primary_key=True),
        Column("name", String(50)),
    )
    return metadata


async def sequences_and_tables(url: str) -> tuple[set[str], set[str]]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:

            def read(sync_conn: object) -> tuple[set[str], set[str]]:
                inspector = inspect(sync_conn)
                return set(inspector.get_sequence_names()), set(inspector.get_table_names())

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def next_values(url: str, sequence: Sequence, count: int) -> list[int]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            values = [await conn.scalar(select(sequence.next_value())) for _ in range(count)]
    finally:
        await engine.dispose()
    assert all(isinstance(v, int) for v in values), values
    return [int(str(v)) for v in values]


async def insert_items(url: str, metadata: MetaData, *names: str) -> list[int]:
    """Insert through SQLAlchemy, which takes each key from the table's sequence."""
    items = metadata.tables["items"]
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(items.insert().values(name=name))
            return list((await conn.scalars(select(items.c.id).order_by(items.c.id))).all())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("dialect", SERVERS)
async def test_sequences_are_created_before_their_tables(
    db_url: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    models = shop()
    result = await schemactl.new(
        "shop", auto=True, url=db_url, models=models, migrations_dir=str(migrations), dry_run=True
    )
    details = [c.detail for c in result.changes]
    assert details[:2] == ["+ sequence items_id_seq", "+ sequence order_no_seq"]
    content = await step(db_url, models, migrations, "shop")
    up, down = content.split("-- migrate:down")
    assert (
        up.index("CREATE SEQUENCE items_id_seq;")
        < up.index("CREATE SEQUENCE order_no_seq INCREMENT BY 1 START WITH 1000;")
        < up.index("CREATE TABLE items")
    )
    assert down.index("DROP TABLE items;") < down.index("DROP SEQUENCE order_no_seq;")
    assert down.index("DROP SEQUENCE order_no_seq;") < down.index("DROP SEQUENCE items_id_seq;")

    assert await insert_items(db_url, models, "a", "b") == [1, 2]
    assert await next_values(db_url, Sequence("order_no_seq"), 2) == [1000, 1001]
    sequences, tables = await sequences_and_tables(db_url)
    assert sequences == {"items_id_seq", "order_no_seq"}
    assert tables == {"items", "schema_migrations"}  # MariaDB's sequences are no tables

    await back_to_nothing(db_url, migrations)
    assert await sequences_and_tables(db_url) == (set(), {"schema_migrations"})


@pytest.mark.parametrize("dialect", SERVERS)
async def test_changed_options_are_altered_both_ways(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    await step(db_url, shop(), migrations, "v1")
    assert await next_values(db_url, Sequence("order_no_seq"), 1) == [1000]
    v2 = shop(increment=5, maxvalue=100000, cycle=True)
    drift = await schemactl.check(db_url, models=v2, migrations_dir=str(migrations))
    maxvalue = 2**63 - 1 if dialect == "postgresql" else 2**63 - 2
    assert [c.detail for c in drift.changes] == [
        f"~ sequence order_no_seq: increment 1 -> 5, maxvalue {maxvalue} -> 100000, "
        "cycle False -> True"
    ]

    content = await step(db_url, v2, migrations, "v2")
    up, down = content.split("-- migrate:down")
    assert "ALTER SEQUENCE order_no_seq INCREMENT BY 5 MAXVALUE 100000 CYCLE;" in up
    no_cycle = "NO CYCLE" if dialect == "postgresql" else "NOCYCLE"  # MariaDB's spelling
    assert f"ALTER SEQUENCE order_no_seq INCREMENT BY 1 MAXVALUE {maxvalue} {no_cycle};" in down
    # (MariaDB hands out cached values: the next one after ALTER is further on, not 1005.)
    first, second = await next_values(db_url, Sequence("order_no_seq"), 2)
    assert (first > 1000, second - first) == (True, 5)

    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert (
        await schemactl.check(
            db_url, models=shop(), migrations_dir=str(migrations), allow_pending=True
        )
    ).clean
    third, fourth = await next_values(db_url, Sequence("order_no_seq"), 2)
    assert (third > second, fourth - third) == (True, 1)
    await back_to_nothing(db_url, migrations)


@pytest.mark.parametrize("dialect", SERVERS)
async def test_dropped_sequence_is_proposed_and_never_a_columns_own(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """A sequence the models no longer declare is dropped; PostgreSQL's SERIAL and identity
    columns' sequences, which the models never name, are left alone."""

    def models(*, with_old: bool) -> MetaData:
        metadata = MetaData()
        Table("things", metadata, Column("id", Integer, primary_key=True))  # SERIAL
        if dialect == "postgresql":  # (MariaDB: AUTO_INCREMENT, no sequence either way)
            Table("counters", metadata, Column("id", Integer, Identity(), primary_key=True))
        if with_old:
            Sequence("old_seq", metadata=metadata, start=50)
        return metadata

    await schemactl.create(db_url)
    await step(db_url, models(with_old=True), migrations, "v1")
    await execute(db_url, "CREATE SEQUENCE extra_seq")  # made by hand: drift
    drift = await schemactl.check(
        db_url, models=models(with_old=True), migrations_dir=str(migrations)
    )
    assert [c.detail for c in drift.changes] == ["- sequence extra_seq (its current value is lost)"]
    await execute(db_url, "DROP SEQUENCE extra_seq")
    owned = {"things_id_seq", "counters_id_seq"} if dialect == "postgresql" else set()
    assert (await sequences_and_tables(db_url))[0] == owned | {"old_seq"}

    result = await schemactl.new(
        "v2", auto=True, url=db_url, models=models(with_old=False), migrations_dir=str(migrations)
    )
    assert [(c.kind, c.detail, c.destructive) for c in result.changes] == [
        ("drop_sequence", "- sequence old_seq (its current value is lost)", True)
    ]
    assert result.path is not None
    content = result.path.read_text()
    assert "-- WARNING: destructive: sequence old_seq" in content
    up, down = content.split("-- migrate:down")
    assert "DROP SEQUENCE old_seq;" in up
    assert "CREATE SEQUENCE old_seq INCREMENT BY 1 START WITH 50 MINVALUE 1 MAXVALUE" in down
    await schemactl.up(db_url, migrations_dir=str(migrations))
    assert (await sequences_and_tables(db_url))[0] == owned
    assert (
        await schemactl.check(db_url, models=models(with_old=False), migrations_dir=str(migrations))
    ).clean

    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert (await sequences_and_tables(db_url))[0] == owned | {"old_seq"}
    assert (
        await schemactl.check(
            db_url, models=models(with_old=True), migrations_dir=str(migrations), allow_pending=True
        )
    ).clean
    assert await next_values(db_url, Sequence("old_seq"), 1) == [50]
    await back_to_nothing(db_url, migrations)


async def test_sequence_in_its_own_schema(tmp_path: Path, migrations: MigrationsDir) -> None:
    """PostgreSQL: the schema of a sequence is one the models use: made first, dropped last."""
    url = fresh_url("postgresql", tmp_path)
    metadata = MetaData()
    Sequence("ticket_seq", schema="billing", metadata=metadata)
    try:
        await schemactl.create(url)
        content = await step(url, metadata, migrations, "billing")
        up, down = content.split("-- migrate:down")
        assert up.index("CREATE SCHEMA IF NOT EXISTS billing;") < up.index(
            "CREATE SEQUENCE billing.ticket_seq;"
        )
        assert down.index("DROP SEQUENCE billing.ticket_seq;") < down.index("DROP SCHEMA billing;")
        assert await next_values(url, Sequence("ticket_seq", schema="billing"), 1) == [1]
        await back_to_nothing(url, migrations)
        assert "billing" not in await schemas_of(url)
    finally:
        await schemactl.drop(url)


async def test_sqlite_ignores_sequences(tmp_path: Path, migrations: MigrationsDir) -> None:
    """SQLite has no sequences: SQLAlchemy's create_all skips them, and so does autogenerate,
    silently; the table still gets its keys (a rowid alias)."""
    url = fresh_url("sqlite", tmp_path)
    models = shop()
    await schemactl.create(url)
    content = await step(url, models, migrations, "shop")
    assert "SEQUENCE" not in content.upper()
    assert await insert_items(url, models, "a", "b") == [1, 2]
    again = await schemactl.new(
        "options", auto=True, url=url, models=shop(increment=7), migrations_dir=str(migrations)
    )
    assert again.path is None
    await back_to_nothing(url, migrations)
