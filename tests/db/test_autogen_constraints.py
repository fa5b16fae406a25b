"""Autogenerate on real models: unnamed constraints, foreign-key cycles, schemas.

Each model set goes the whole way on every database it concerns: generate, up, `check`
clean, a second generate writes nothing, and rollback to 0 leaves only the tracking table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, latest_version, under_seeds
from tests.db.test_autogen import ROOT, generate, leftovers

pytestmark = pytest.mark.anyio


async def step(url: str, models: str | MetaData, migrations: MigrationsDir, name: str) -> str:
    """Generate, apply, check clean, and generate nothing more: the file written."""
    result = await schemactl.new(
        name, auto=True, url=url, models=models, migrations_dir=str(migrations)
    )
    assert result.path is not None
    content = "".join(f.path.read_text() for f in result.files if f.path is not None)
    await schemactl.up(url, migrations_dir=str(migrations))
    check = await schemactl.check(url, models=models, migrations_dir=str(migrations))
    assert check.clean, [c.detail for c in check.changes]
    assert await generate(url, models, migrations, "again") is None  # type: ignore[arg-type]
    return content


async def back_to_nothing(url: str, migrations: MigrationsDir) -> None:
    await schemactl.rollback(url, migrations_dir=str(migrations), to="0")
    tables, enums = await leftovers(url)
    assert tables == {"schema_migrations"}
    assert enums == set()


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("models", "unique", "foreign_key"),
    [
        ("tests.models.accounts_v2", "users_email_key", "users_team_id_fkey"),
        ("tests.models.accounts_v2_convention", "uq_users_email", "fk_users_team_id_teams"),
    ],
)
async def test_unnamed_constraints_added_to_a_table(
    db_url: str, migrations: MigrationsDir, models: str, unique: str, foreign_key: str
) -> None:
    """``unique=True`` and a ForeignKey on existing columns: named in the SQL (the naming
    convention's name, else PostgreSQL's), so that the down section drops them."""
    await schemactl.create(db_url)
    await step(db_url, "tests.models.accounts_v1", migrations, "v1")
    v1 = latest_version(migrations)
    content = await step(db_url, models, migrations, "v2")
    files = content.split("-- migrate:up")[1:]  # (PostgreSQL: the unique constraint's index
    up = "".join(f.split("-- migrate:down")[0] for f in files)  # in a file of its own)
    down = "".join(f.split("-- migrate:down")[1] for f in files)
    assert f"CONSTRAINT {unique} UNIQUE" in up
    assert f"CONSTRAINT {foreign_key} FOREIGN KEY" in up
    if not db_url.startswith("sqlite"):  # SQLite rebuilds the table instead
        assert unique in down
        assert foreign_key in down

    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=v1)
    check = await schemactl.check(
        db_url,
        models="tests.models.accounts_v1",
        migrations_dir=str(migrations),
        allow_pending=True,
    )
    assert check.clean, [c.detail for c in check.changes]
    await back_to_nothing(db_url, migrations)


SERVER_NAMED = {
    # unique and foreign key left for the database to name (SQLite: with none)
    "sqlite": [
        "CREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY)",
        "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL, "
        "team_id INTEGER, UNIQUE (email), "
        "FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL)",
    ],
    "postgresql": [
        "CREATE TABLE teams (id SERIAL PRIMARY KEY)",
        "CREATE TABLE users (id SERIAL PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, "
        "team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL)",
    ],
    "mysql": [
        "CREATE TABLE teams (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY)",
        "CREATE TABLE users (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "email VARCHAR(100) NOT NULL UNIQUE, team_id INTEGER, "
        "FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL)",
    ],
}


async def test_server_named_constraints_are_dropped_by_their_names(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """The database holds the unique constraint and the foreign key under names it chose; the
    models drop both: the up section drops them by those names, the down one brings them
    back, and the models that have them see no difference."""
    await schemactl.create(db_url)
    await execute(db_url, *SERVER_NAMED[dialect])
    assert (
        await schemactl.check(
            db_url, models="tests.models.accounts_v2", migrations_dir=str(migrations)
        )
    ).clean
    await step(db_url, "tests.models.accounts_v1", migrations, "unconstrained")
    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(
        db_url,
        models="tests.models.accounts_v2",
        migrations_dir=str(migrations),
        allow_pending=True,
    )
    assert check.clean, [c.detail for c in check.changes]


def accounts(ondelete: str, *unique: str) -> MetaData:
    from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint

    metadata = MetaData()
    Table("teams", metadata, Column("id", Integer, primary_key=True))
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(50)),
        Column("org", String(20)),
        Column("team_id", Integer, ForeignKey("teams.id", ondelete=ondelete)),
        UniqueConstraint(*unique),
    )
    return metadata


async def test_unnamed_constraints_replaced(db_url: str, migrations: MigrationsDir) -> None:
    """An unnamed unique constraint on other columns, an unnamed foreign key with another
    ON DELETE: the old ones dropped (by the database's names; on SQLite, where they have
    none, by the rebuild), the new ones named, and the rollback brings back the old ones."""
    await schemactl.create(db_url)
    await step(db_url, accounts("SET NULL", "email"), migrations, "v1")
    v1 = latest_version(migrations)
    await step(db_url, accounts("CASCADE", "email", "org"), migrations, "v2")
    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=v1)
    check = await schemactl.check(
        db_url,
        models=accounts("SET NULL", "email"),
        migrations_dir=str(migrations),
        allow_pending=True,
    )
    assert check.clean, [c.detail for c in check.changes]
    await back_to_nothing(db_url, migrations)


async def test_foreign_key_cycle(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    """users -> teams -> users without use_alter: the tables first, then the foreign key
    that points forward (ALTER TABLE), dropped first going down. SQLite checks no foreign key
    at CREATE TABLE: there they stay inline."""
    await schemactl.create(db_url)
    content = await step(db_url, "tests.models.cycle", migrations, "initial")
    up, down = content.split("-- migrate:down")
    added = [line for line in up.splitlines() if "ADD CONSTRAINT" in line]
    if dialect == "sqlite":
        assert added == []
    else:
        assert added == [
            "ALTER TABLE teams ADD CONSTRAINT teams_owner_id_fkey FOREIGN KEY(owner_id) "
            "REFERENCES users (id);"
        ]
        assert down.index("teams_owner_id_fkey") < down.index("DROP TABLE")

    # Dropping the cycle: foreign keys (by the database's names) first, and back again.
    await step(db_url, MetaData(), migrations, "drop everything")
    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(
        db_url, models="tests.models.cycle", migrations_dir=str(migrations), allow_pending=True
    )
    assert check.clean, [c.detail for c in check.changes]
    await back_to_nothing(db_url, migrations)


async def test_use_alter_foreign_key(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    """A foreign key marked ``use_alter`` is left out of CREATE TABLE (SQLAlchemy's rule),
    so it is added after the tables, where ALTER TABLE can."""
    from sqlalchemy import Column, ForeignKey, Integer, Table

    metadata = MetaData()
    Table(
        "a",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("b_id", Integer, ForeignKey("b.id", use_alter=True)),
    )
    Table("b", metadata, Column("id", Integer, primary_key=True))
    await schemactl.create(db_url)
    content = await step(db_url, metadata, migrations, "initial")
    if dialect != "sqlite":
        assert (
            "ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY(b_id) REFERENCES b (id);"
            in content
        )
    await back_to_nothing(db_url, migrations)


async def test_dropped_table_still_referenced(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """blog_v2 back to blog_v1 drops ``categories`` and the foreign key ``posts`` has to it:
    the foreign key goes first (before the index it needs, on MariaDB), and going down the
    table comes back before the foreign key does."""
    await schemactl.create(db_url)
    await step(db_url, "tests.models.blog_v2", migrations, "v2")
    v2 = latest_version(migrations)
    content = await step(db_url, "tests.models.blog_v1", migrations, "back to v1")
    up = content.split("-- migrate:down")[0]
    # (SQLite rebuilds posts without it)
    first = "RENAME TO posts" if dialect == "sqlite" else "fk_posts_category_id_categories"
    assert up.index(first) < up.index("DROP TABLE categories")
    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=v2)
    check = await schemactl.check(
        db_url, models="tests.models.blog_v2", migrations_dir=str(migrations), allow_pending=True
    )
    assert check.clean, [c.detail for c in check.changes]
    await back_to_nothing(db_url, migrations)


async def schemas_of(url: str) -> set[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_schema_names()))
    finally:
        await engine.dispose()


async def test_schema_is_created_and_dropped(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """PostgreSQL: the up section creates the schemas the models use that the database lacks,
    the down section drops them. MariaDB (a schema is a database) and SQLite (an attached
    file) refuse in one line, before comparing anything."""
    await schemactl.create(db_url)
    if dialect != "postgresql":
        with pytest.raises(schemactl.ConfigurationError) as caught:
            await generate(db_url, "tests.models.in_schema", migrations, "audit")
        assert "the models use schema 'audit', which does not exist" in str(caught.value)
        assert "\n" not in str(caught.value)
        assert not migrations.path.exists() or not any(migrations.path.iterdir())
        return
    content = await step(db_url, "tests.models.in_schema", migrations, "audit")
    up, down = content.split("-- migrate:down")
    created = up.index("CREATE SCHEMA IF NOT EXISTS audit;")
    assert (
        created < up.index("CREATE TYPE audit.event_status") < up.index("CREATE TABLE audit.events")
    )
    assert down.index("DROP TYPE audit.event_status") < down.index("DROP SCHEMA audit;")
    assert down.rstrip().endswith("DROP SCHEMA audit;")
    assert "audit" in await schemas_of(db_url)
    await back_to_nothing(db_url, migrations)
    assert "audit" not in await schemas_of(db_url)


async def test_existing_schema_is_left_alone(tmp_path: Path, migrations: MigrationsDir) -> None:
    """A schema the database has already is neither created nor dropped."""
    from tests.conftest import fresh_url

    url = fresh_url("postgresql", tmp_path)
    try:
        await schemactl.create(url)
        await execute(url, "CREATE SCHEMA audit")
        content = await step(url, "tests.models.in_schema", migrations, "audit")
        assert "SCHEMA" not in content
        await back_to_nothing(url, migrations)
        assert "audit" in await schemas_of(url)
    finally:
        await schemactl.drop(url)


def dry_runs(url: str, models: str, migrations: Path) -> list[dict[str, object]]:
    """`new --auto --dry-run --json` under PYTHONHASHSEED 0, 1 and 2 (at the same time)."""
    command = [
        sys.executable, "-m", "schemactl", "new", "--auto", "--dry-run", "--json",
        "--models", models, "--url", url, "-d", str(migrations), "next",
    ]  # fmt: skip
    return [json.loads(out) for out in under_seeds(command, ("0", "1", "2"), cwd=ROOT)]


@pytest.mark.parametrize(
    ("applied", "models"),
    [(None, "tests.models.cycle"), ("tests.models.accounts_v1", "tests.models.accounts_v2")],
)
async def test_output_is_deterministic(
    db_url: str, migrations: MigrationsDir, applied: str | None, models: str
) -> None:
    """The moved foreign keys and the names given are the same under any PYTHONHASHSEED."""
    await schemactl.create(db_url)
    if applied:
        await step(db_url, applied, migrations, "applied")
    outputs = dry_runs(db_url, models, migrations.path)
    assert outputs[0]["up_sql"]
    for other in outputs[1:]:
        assert (other["up_sql"], other["down_sql"]) == (
            outputs[0]["up_sql"],
            outputs[0]["down_sql"],
        )


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("users", ["email"]),
        ("t" * 60, ["c" * 20]),
        ("orders", ["customer_reference_number_" + "x" * 30, "region_" + "y" * 30]),
        ("überstunden_" + "ä" * 30, ["zähler_" + "ö" * 30]),
    ],
)
async def test_names_are_postgresqls_own(tmp_path: Path, table: str, columns: list[str]) -> None:
    """The names given to unnamed constraints are those PostgreSQL chooses itself, long
    (truncated) and non-ASCII ones included."""
    from schemactl.dialects.postgresql_autogen import PostgreSQLHooks
    from tests.conftest import fresh_url

    url = fresh_url("postgresql", tmp_path)
    quoted = ", ".join(f'"{c}"' for c in columns)
    definitions = ", ".join(f'"{c}" integer' for c in columns)
    referred = "(a, b)" if len(columns) == 2 else "(a)"
    try:
        await schemactl.create(url)
        await execute(
            url,
            "CREATE TABLE parent (a integer UNIQUE, b integer, PRIMARY KEY (a, b))",
            f'CREATE TABLE "{table}" ({definitions}, UNIQUE ({quoted}), '
            f"FOREIGN KEY ({quoted}) REFERENCES parent {referred})",
        )
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.connect() as conn:
                result = await conn.execute(
                    text(
                        "SELECT conname, contype::text FROM pg_constraint"
                        " WHERE conrelid = CAST(:t AS regclass)"
                    ),
                    {"t": f'"{table}"'},
                )
                names = {row[1]: row[0] for row in result}
        finally:
            await engine.dispose()
        hooks = PostgreSQLHooks()
        assert names["u"] == hooks.constraint_name("unique", table, columns)
        assert names["f"] == hooks.constraint_name("foreignkey", table, columns)
    finally:
        await schemactl.drop(url)
