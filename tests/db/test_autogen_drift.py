"""No false drift: what the models make, compared with the models, differs in nothing.

Both ways, on each real database, over every common column type and server default
(``tests/models/all_types.py``): ``MetaData.create_all`` then compare, and the migration
``new --auto`` writes from an empty database applied with ``up`` then compare. Comparing is
done twice: as ``check`` does (tables provably unchanged skipped) and with Alembic looking at
every table, so that neither path hides a false difference of the other.

And the CHECK constraints column types make (``Boolean``/``Enum`` with
``create_constraint=True``): the migration creates exactly those ``create_all`` creates, one
per column, named by the models' naming convention; ``check`` notices one missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, Enum, Integer, MetaData, String, Table, inspect
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from schemactl.autogen import compare
from tests.conftest import MigrationsDir, fresh_url, latest_version
from tests.models.all_types import BY_DIALECT, NAMING_CONVENTION

pytestmark = pytest.mark.anyio
TRACKING = "schema_migrations"


def models_of(dialect: str) -> str:
    return f"tests.models.all_types:{dialect}"


async def create_all(url: str, metadata: MetaData) -> None:
    await schemactl.create(url)
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


async def differences(url: str, metadata: MetaData) -> list[str]:
    """Every difference found, by ``check`` and by Alembic comparing every table."""
    found = [c.detail for c in (await schemactl.check(url, models=metadata)).changes]
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            diff = await compare(conn, metadata, migrations_table=TRACKING, skip_unchanged=False)
    finally:
        await engine.dispose()
    return found + [f"(every table) {c.detail}" for c in diff.changes]


async def assert_nothing_to_generate(
    url: str, models: str | MetaData, migrations: MigrationsDir
) -> None:
    before = sorted(migrations.path.iterdir())
    result = await schemactl.new(
        "again", auto=True, url=url, models=models, migrations_dir=str(migrations)
    )
    assert result.path is None, result.up_sql
    assert sorted(migrations.path.iterdir()) == before


async def test_create_all_then_no_difference(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await create_all(db_url, BY_DIALECT[dialect])
    assert await differences(db_url, BY_DIALECT[dialect]) == []
    await assert_nothing_to_generate(db_url, models_of(dialect), migrations)


async def test_generated_migration_then_no_difference(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    first = await schemactl.new(
        "all types",
        auto=True,
        url=db_url,
        models=models_of(dialect),
        migrations_dir=str(migrations),
    )
    assert first.path is not None
    await schemactl.up(db_url, migrations_dir=str(migrations))
    assert await differences(db_url, BY_DIALECT[dialect]) == []
    await assert_nothing_to_generate(db_url, models_of(dialect), migrations)


# -- the schema itself: what the migration makes is what create_all makes ---------------------


def _snapshot(sync_conn: Any) -> dict[str, Any]:
    """Each table as the server reports it: columns, keys, indexes and CHECK constraints."""
    inspector = inspect(sync_conn)
    dialect = sync_conn.dialect
    tables: dict[str, Any] = {}
    for name in sorted(set(inspector.get_table_names()) - {TRACKING}):
        columns = [
            (
                c["name"],
                c["type"].compile(dialect=dialect),
                c["nullable"],
                None if c.get("default") is None else str(c["default"]),
                c.get("comment"),
            )
            for c in inspector.get_columns(name)
        ]
        tables[name] = {
            "columns": columns,
            "pk": inspector.get_pk_constraint(name),
            "uniques": sorted(
                (str(u["name"]), tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(name)
            ),
            "indexes": sorted(
                (str(i["name"]), tuple(map(str, i["column_names"])))
                for i in inspector.get_indexes(name)
            ),
            "checks": sorted(
                (str(c["name"]), " ".join(c["sqltext"].split()))
                for c in inspector.get_check_constraints(name)
            ),
        }
    return tables


async def snapshot(url: str) -> dict[str, Any]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_snapshot)
    finally:
        await engine.dispose()


def type_made_checks(metadata: MetaData, dialect: str) -> dict[str, list[str]]:
    """The CHECK constraints a column type makes on this database, by table: Boolean where
    the database has no boolean type, Enum when it is not a native enum there."""
    native_boolean = dialect == "postgresql"
    native_enum = dialect in ("postgresql", "mysql")
    found: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind: Any = column.type
            if not getattr(kind, "create_constraint", False):
                continue
            if isinstance(kind, Boolean) and native_boolean:
                continue
            if isinstance(kind, Enum) and kind.native_enum and native_enum:
                continue
            name = NAMING_CONVENTION["ck"] % {
                "table_name": table.name,
                "constraint_name": kind.name,
            }
            found.setdefault(table.name, []).append(name)
    return found


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_migration_makes_what_create_all_makes(
    dialect: str, tmp_path: Path, migrations: MigrationsDir
) -> None:
    """Reflected in full, CHECK constraints included, by name and text: the database the
    generated migration makes equals the one ``create_all`` makes (both on the same server,
    so the server's own rewriting is the same on both sides)."""
    by_create_all = fresh_url(dialect, tmp_path)
    by_migration = fresh_url(dialect, tmp_path)
    metadata = BY_DIALECT[dialect]
    try:
        await create_all(by_create_all, metadata)
        await schemactl.create(by_migration)
        await schemactl.new(
            "all", auto=True, url=by_migration, models=metadata, migrations_dir=str(migrations)
        )
        await schemactl.up(by_migration, migrations_dir=str(migrations))
        expected, made = await snapshot(by_create_all), await snapshot(by_migration)
    finally:
        await schemactl.drop(by_create_all)
        await schemactl.drop(by_migration)
    assert made == expected
    wanted = type_made_checks(metadata, dialect)
    assert wanted  # the models do make some, on every database
    for table, names in wanted.items():
        check_names = [name for name, _ in made[table]["checks"]]
        for name in names:
            assert check_names.count(name) == 1, (name, check_names)


# -- check notices a type-made CHECK constraint the database lacks ------------------------


def flags(*, constrained: bool) -> MetaData:
    """A table whose Boolean and Enum make their CHECK constraints or not; the constrained
    version also has a new column whose type makes one."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True),
        Column("label", String(20)),
        Column("active", Boolean(create_constraint=constrained, name="active")),
        Column(
            "kind",
            Enum("a", "b", name="kind", native_enum=False, create_constraint=constrained),
        ),
    ]
    if constrained:
        columns.append(Column("archived", Boolean(create_constraint=True, name="archived")))
    Table("flags", metadata, *columns)
    return metadata


async def test_type_made_checks_added_as_create_all_makes_them(
    db_url: str, dialect: str, tmp_path: Path, migrations: MigrationsDir
) -> None:
    """The database lacks the CHECK constraints of two columns, and a new column's type
    makes one: ``check`` reports the two, and the migration makes the table ``create_all``
    makes (each CHECK once, named by the convention); going down removes them again."""
    await create_all(db_url, flags(constrained=False))
    wanted = flags(constrained=True)
    names = type_made_checks(wanted, dialect)["flags"]
    check = await schemactl.check(db_url, models=wanted)
    reported = sorted(c.detail for c in check.changes if c.kind == "add_check")
    on_existing = [n for n in sorted(names) if n != "ck_flags_archived"]
    assert reported == [f"+ check {name} on flags" for name in on_existing]

    before = latest_version(migrations)
    result = await schemactl.new(
        "constrain", auto=True, url=db_url, models=wanted, migrations_dir=str(migrations)
    )
    assert result.path is not None
    await schemactl.up(db_url, migrations_dir=str(migrations))
    assert await differences(db_url, wanted) == []
    made = (await snapshot(db_url))["flags"]
    reference_url = fresh_url(dialect, tmp_path)
    try:
        await create_all(reference_url, wanted)
        reference = (await snapshot(reference_url))["flags"]
    finally:
        await schemactl.drop(reference_url)
    assert made == reference
    assert sorted(n for n, _ in made["checks"] if n in names) == sorted(names)

    # every file (PostgreSQL validates the checks it added NOT VALID in a file of its own)
    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=before)
    checks = [n for n, _ in (await snapshot(db_url))["flags"]["checks"]]
    assert not set(checks) & set(names)
    assert (await schemactl.check(db_url, models=flags(constrained=False))).clean


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_a_not_valid_check_is_no_drift_and_no_warning(
    db_url: str, migrations: MigrationsDir
) -> None:
    """Between the two files of a safe change the table holds a NOT VALID check; SQLAlchemy
    2.1 reflects it with options it then warns about (an error under this suite's filters)."""
    metadata = MetaData()
    Table("t", metadata, Column("a", Integer, nullable=False))
    await create_all(db_url, metadata)
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(
                "ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID"
            )
    finally:
        await engine.dispose()
    assert await differences(db_url, metadata) == []
    await assert_nothing_to_generate(db_url, metadata, migrations)
