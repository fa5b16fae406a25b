"""Rollbacks restore the schema exactly, on tables that hold rows.

Each change goes the whole way on every database: the models before it are applied and rows
inserted, the change is generated and applied, then rolled back; the schema the database
reports afterwards (columns with types, nullability and defaults, primary keys, indexes
``Column(index=True)`` ones included, unique constraints, foreign keys, CHECK constraints)
is the one it reported before, and the rows are all there. On SQLite most of these are table
rebuilds; on PostgreSQL and MariaDB, ALTER TABLE in place.

And MariaDB names the foreign keys left unnamed ``<table>_ibfk_N`` in the order CREATE TABLE
lists them: the generated CREATE TABLE lists them as ``MetaData.create_all`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateTable

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, fresh_url
from tests.db.test_autogen import leftovers

pytestmark = pytest.mark.anyio

Change = Callable[[dict[str, Any]], None]


def models(change: Change | None = None) -> MetaData:
    """Teams and users, with an index, unique constraints, foreign keys and CHECKs of every
    kind; ``change`` edits their definitions first."""
    spec: dict[str, Any] = {
        "columns": {
            "id": lambda: Column("id", Integer, primary_key=True),
            "email": lambda: Column("email", String(100), nullable=False, unique=True),
            "name": lambda: Column("name", String(50), nullable=False, index=True),
            "nickname": lambda: Column("nickname", String(30)),
            "score": lambda: Column("score", Integer, nullable=False, server_default="0"),
            "level": lambda: Column("level", Integer, nullable=False, server_default="1"),
            "code": lambda: Column("code", String(10), nullable=False),
            "team_id": lambda: Column("team_id", Integer, ForeignKey("teams.id")),
            "owner_team_id": lambda: Column("owner_team_id", Integer),
        },
        "extra": {
            "ix_users_name_email": lambda: Index("ix_users_name_email", "name", "email"),
            "uq_users_name_team": lambda: UniqueConstraint(
                "name", "team_id", name="uq_users_name_team"
            ),
            "ck_users_score": lambda: CheckConstraint("score >= 0", name="ck_users_score"),
            "unnamed_check": lambda: CheckConstraint("score < 1000"),
        },
        "teams": {
            "id": lambda: Column("id", Integer, primary_key=True),
            "title": lambda: Column("title", String(50), nullable=False),
        },
    }
    if change is not None:
        change(spec)
    metadata = MetaData()
    Table("teams", metadata, *(make() for make in spec["teams"].values()))
    Table(
        "users",
        metadata,
        *(make() for make in spec["columns"].values()),
        *(make() for make in spec["extra"].values()),
    )
    return metadata


def replace(column: str, make: Callable[[], Any]) -> Change:
    def change(spec: dict[str, Any]) -> None:
        spec["columns"][column] = make

    return change


def drop(group: str, key: str) -> Change:
    def change(spec: dict[str, Any]) -> None:
        del spec[group][key]

    return change


def add(key: str, make: Callable[[], Any]) -> Change:
    def change(spec: dict[str, Any]) -> None:
        spec["extra"][key] = make

    return change


def both(*changes: Change) -> Change:
    def change(spec: dict[str, Any]) -> None:
        for one in changes:
            one(spec)

    return change


CHANGES: dict[str, Change] = {
    "add column": replace("bio", lambda: Column("bio", String(200))),
    "drop nullable column": drop("columns", "nickname"),
    "drop NOT NULL column with a server default": drop("columns", "level"),
    "drop NOT NULL column without a server default": drop("columns", "code"),
    "add index": add("ix_users_nickname", lambda: Index("ix_users_nickname", "nickname")),
    "drop index": replace("name", lambda: Column("name", String(50), nullable=False)),
    "drop composite index": drop("extra", "ix_users_name_email"),
    "add unique constraint": add("uq", lambda: UniqueConstraint("nickname")),
    "drop unique constraint": drop("extra", "uq_users_name_team"),
    "drop unique=True": replace("email", lambda: Column("email", String(100), nullable=False)),
    "add unnamed foreign key": replace(
        "owner_team_id", lambda: Column("owner_team_id", Integer, ForeignKey("teams.id"))
    ),
    "drop unnamed foreign key": replace("team_id", lambda: Column("team_id", Integer)),
    "change type": replace("nickname", lambda: Column("nickname", String(60))),
    "change nullability": both(
        replace("nickname", lambda: Column("nickname", String(30), nullable=False)),
        replace("code", lambda: Column("code", String(10))),
    ),
    # (SQLite rebuilds the table the rows of users point at)
    "change a type in the parent table": lambda spec: spec["teams"].update(
        title=lambda: Column("title", String(80), nullable=False)
    ),
    "drop a NOT NULL column and change a type at once": both(
        drop("columns", "code"),
        replace("nickname", lambda: Column("nickname", String(60))),
    ),
}

ROWS = [
    "INSERT INTO teams (id, title) VALUES (1, 'red'), (2, 'blue')",
    "INSERT INTO users (id, email, name, nickname, score, level, code, team_id, owner_team_id)"
    " VALUES (1, 'a@example.com', 'ann', 'annie', 5, 2, 'A1', 1, 2),"
    " (2, 'b@example.com', 'bob', 'bobby', 7, 3, 'B2', 2, 1)",
]


def _schema(sync_conn: Any) -> dict[str, Any]:
    inspector = inspect(sync_conn)
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "schema_migrations":
            continue
        found[table] = {
            "columns": {
                c["name"]: (str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            },
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(map(str, i["column_names"])), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "foreign keys": sorted(
                (
                    f["name"] or "",
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    tuple(sorted((f.get("options") or {}).items())),
                )
                for f in inspector.get_foreign_keys(table)
            ),
            "checks": sorted(
                (c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(table)
            ),
        }
    return found


async def state(url: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The schema the database reports, and the rows of both tables (before-columns only)."""
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            schema = await conn.run_sync(_schema)
            rows = [tuple(r) for r in await conn.execute(text("SELECT * FROM teams ORDER BY id"))]
            result = await conn.execute(
                text("SELECT id, email, name, score, team_id, owner_team_id FROM users ORDER BY id")
            )
            rows += [tuple(r) for r in result]
    finally:
        await engine.dispose()
    return schema, rows


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def apply(url: str, metadata: MetaData, migrations: MigrationsDir, name: str) -> str:
    result = await schemactl.new(
        name, auto=True, url=url, models=metadata, migrations_dir=str(migrations)
    )
    assert result.path is not None, f"{name}: no difference found"
    await schemactl.up(url, migrations_dir=str(migrations))
    check = await schemactl.check(url, models=metadata)
    assert check.clean, [c.detail for c in check.changes]
    return result.path.read_text()


@pytest.mark.parametrize("change", list(CHANGES))
async def test_rollback_restores_the_schema_and_keeps_the_rows(
    db_url: str, migrations: MigrationsDir, change: str
) -> None:
    await schemactl.create(db_url)
    await apply(db_url, models(), migrations, "before")
    await execute(db_url, *ROWS)
    before = await state(db_url)
    assert before[0]["users"]["indexes"], "the models' indexes are there to lose"

    version_before = max(p.name.split("_")[0] for p in migrations.path.iterdir())
    content = await apply(db_url, models(CHANGES[change]), migrations, "change")
    after_up = await state(db_url)
    assert after_up[0] != before[0]
    # every file of the change (PostgreSQL builds indexes concurrently in files of their own)
    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=version_before)

    schema, rows = await state(db_url)
    assert schema == before[0]
    assert rows == before[1]
    check = await schemactl.check(db_url, models=models())
    assert check.clean, [c.detail for c in check.changes]
    if "without a server default" in change or "at once" in change:
        down = content.split("-- migrate:down")[1]
        assert "-- WARNING: users.code comes back NOT NULL without its values" in down


async def test_restored_not_null_column_gets_the_placeholder(
    db_url: str, migrations: MigrationsDir
) -> None:
    """The values of a dropped column are gone: the rows it comes back to hold the
    placeholder the warning names, and new rows must give a value again (no default)."""
    await schemactl.create(db_url)
    await apply(db_url, models(), migrations, "before")
    await execute(db_url, *ROWS)
    await apply(
        db_url, models(CHANGES["drop NOT NULL column without a server default"]), migrations, "drop"
    )
    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            codes = [r[0] for r in await conn.execute(text("SELECT code FROM users ORDER BY id"))]
    finally:
        await engine.dispose()
    assert codes == ["", ""]
    with pytest.raises(DBAPIError) as caught:
        await execute(db_url, "INSERT INTO users (id, email, name) VALUES (3, 'c@x', 'cy')")
    assert "code" in str(caught.value).lower()


# -- MariaDB: the names of unnamed foreign keys ----------------------------------------------


def orders_models() -> MetaData:
    """Three unnamed foreign keys, declared neither in the order of their columns' names
    nor in that of their targets' (and one a table-level constraint)."""
    metadata = MetaData()
    for name in ("zones", "accounts", "markets"):
        Table(name, metadata, Column("id", Integer, primary_key=True))
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("zone_id", Integer, ForeignKey("zones.id")),
        Column("market_ref", Integer),
        Column("account_id", Integer, ForeignKey("accounts.id")),
        ForeignKeyConstraint(["market_ref"], ["markets.id"]),
    )
    return metadata


async def foreign_key_names(url: str) -> dict[str, str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT CONSTRAINT_NAME, REFERENCED_TABLE_NAME"
                    " FROM information_schema.REFERENTIAL_CONSTRAINTS"
                    " WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'"
                )
            )
            return {row[0]: row[1] for row in result}
    finally:
        await engine.dispose()


async def test_mariadb_names_foreign_keys_as_create_all_does(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """``orders_ibfk_N`` points at the same table after the generated migration as after
    ``MetaData.create_all``: later hand-written migrations drop foreign keys by those names."""
    generated, created = fresh_url("mysql", tmp_path), fresh_url("mysql", tmp_path)
    try:
        await schemactl.create(generated)
        await apply(generated, orders_models(), migrations, "orders")
        await schemactl.create(created)
        engine = create_async_engine(to_sqlalchemy_url(created))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(orders_models().create_all)
        finally:
            await engine.dispose()
        expected = await foreign_key_names(created)
        # the order the constraints were made in (the table-level one first: it exists
        # before Table() attaches the columns), which sorting by column or target would not
        # give
        assert expected == {
            "orders_ibfk_1": "markets",
            "orders_ibfk_2": "zones",
            "orders_ibfk_3": "accounts",
        }
        assert await foreign_key_names(generated) == expected
        await schemactl.rollback(generated, migrations_dir=str(migrations), to="0")
        assert (await leftovers(generated))[0] == {"schema_migrations"}
    finally:
        await schemactl.drop(generated)
        await schemactl.drop(created)


async def test_create_table_lists_constraints_as_create_all_does(
    db_url: str, migrations: MigrationsDir
) -> None:
    """On every database, CREATE TABLE lists a new table's constraints in the order
    SQLAlchemy's own CREATE TABLE does (the order they were made in)."""
    await schemactl.create(db_url)
    metadata = orders_models()
    result = await schemactl.new(
        "orders", auto=True, url=db_url, models=metadata, migrations_dir=str(migrations),
        dry_run=True,
    )  # fmt: skip
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    dialect = engine.sync_engine.dialect
    await engine.dispose()
    own = str(CreateTable(metadata.tables["orders"]).compile(dialect=dialect))

    def targets(sql: str) -> list[str]:
        return [
            line.split("REFERENCES")[1].split("(")[0].strip()
            for line in sql.splitlines()
            if "FOREIGN KEY" in line
        ]

    orders = result.up_sql[result.up_sql.index("CREATE TABLE orders") :].split(";")[0]
    assert targets(orders) == targets(own) == ["markets", "zones", "accounts"]


# -- the same files under any PYTHONHASHSEED ---------------------------------------------------

AFTER = models(
    both(
        drop("columns", "code"),
        replace("nickname", lambda: Column("nickname", String(60))),
        replace("name", lambda: Column("name", String(50), nullable=False)),
        replace("team_id", lambda: Column("team_id", Integer)),
    )
)
ORDERS = orders_models()


@pytest.mark.parametrize(
    ("applied", "spec"),
    [
        (None, "tests.db.test_autogen_rollback:ORDERS"),
        (models, "tests.db.test_autogen_rollback:AFTER"),
    ],
)
async def test_output_is_deterministic(
    db_url: str,
    migrations: MigrationsDir,
    applied: Callable[[], MetaData] | None,
    spec: str,
) -> None:
    """Rebuilds into the reflected table, restored columns, server-made indexes, and the
    constraints of new tables in the order they were made: the same under any seed."""
    from tests.db.test_autogen_constraints import dry_runs

    await schemactl.create(db_url)
    if applied is not None:
        await apply(db_url, applied(), migrations, "applied")
    outputs = dry_runs(db_url, spec, migrations.path)
    assert outputs[0]["up_sql"]
    for other in outputs[1:]:
        assert (other["up_sql"], other["down_sql"]) == (
            outputs[0]["up_sql"],
            outputs[0]["down_sql"],
        )


def typed(*, with_columns: bool) -> MetaData:
    from sqlalchemy import Boolean, Date, DateTime, Enum, Numeric

    metadata = MetaData()
    columns: list[Column[Any]] = [
        Column("amount", Integer, nullable=False),
        Column("flag", Boolean, nullable=False),
        Column("day", Date, nullable=False),
        Column("at", DateTime, nullable=False),
        Column("price", Numeric(10, 2), nullable=False),
        Column("mood", Enum("calm", "angry", name="mood"), nullable=False),
        Column("label", String(20), nullable=False),
    ]
    Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        *(columns if with_columns else []),
    )
    return metadata


async def test_placeholders_of_each_type(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """NOT NULL columns of each common type, dropped from a table with rows and rolled
    back: each takes its placeholder, and the schema is the one before. (An enum's first
    value where the database knows the enum; SQLite holds it as VARCHAR: the empty string.)"""
    await schemactl.create(db_url)
    await apply(db_url, typed(with_columns=True), migrations, "before")
    await execute(
        db_url,
        "INSERT INTO events (id, amount, flag, day, at, price, mood, label) VALUES "
        "(1, 5, true, '2024-05-06', '2024-05-06 07:08:09', 1.5, 'angry', 'x')",
    )
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            before = await conn.run_sync(_schema)
        content = await apply(db_url, typed(with_columns=False), migrations, "drop")
        assert content.count("-- WARNING: events.") == 7
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
        async with engine.connect() as conn:
            assert await conn.run_sync(_schema) == before
            events = typed(with_columns=True).tables["events"]
            row = (
                await conn.execute(
                    events.select().with_only_columns(*(c for c in events.c if c.name != "mood"))
                )
            ).one()
            mood = (await conn.execute(text("SELECT mood FROM events"))).scalar_one()
    finally:
        await engine.dispose()
    import datetime
    import decimal

    assert tuple(row) == (
        1,
        0,
        False,
        datetime.date(2000, 1, 1),
        datetime.datetime(2000, 1, 1),
        decimal.Decimal("0"),
        "",
    )
    assert mood == ("" if dialect == "sqlite" else "calm")


SQLITE_DEPENDENTS = [
    # the table's own trigger; a view of it and a view of that view, with an INSTEAD OF
    # trigger; an expression index (reflection skips those); another table's trigger that
    # names it; a colon in a trigger's body, which must not be read as a parameter
    "CREATE TRIGGER users_scored AFTER UPDATE OF score ON users "
    "BEGIN UPDATE users SET level = level + 1 WHERE id = NEW.id; END",
    "CREATE VIEW user_names AS SELECT id, name FROM users",
    'CREATE VIEW "Loud Names" AS SELECT upper(name) AS name FROM user_names',
    "CREATE TRIGGER user_names_insert INSTEAD OF INSERT ON user_names BEGIN "
    "INSERT INTO users (email, name, code) VALUES (NEW.name || '@x:y', NEW.name, 'Z'); END",
    "CREATE INDEX users_lower_name ON users (lower(name))",
    "CREATE TRIGGER teams_renamed AFTER UPDATE OF title ON teams "
    "BEGIN UPDATE users SET score = 0 WHERE team_id = NEW.id; END",
]


async def sqlite_objects(url: str) -> set[tuple[str, str, str]]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master "
                    "WHERE type IN ('trigger', 'view', 'index') AND sql IS NOT NULL"
                )
            )
            return {(str(kind), str(name), str(sql)) for kind, name, sql in rows}
    finally:
        await engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_a_sqlite_rebuild_keeps_triggers_views_and_expression_indexes(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """SQLite drops a table's triggers with it, and renaming the rebuilt table into place
    fails while a view names the table that is gone: the rebuild drops and re-creates them,
    going up and going down, as the database had them."""
    url = fresh_url("sqlite", tmp_path)
    await schemactl.create(url)
    await apply(url, models(), migrations, "before")
    await execute(url, *ROWS, *SQLITE_DEPENDENTS)
    before = await state(url), await sqlite_objects(url)
    version_before = max(p.name.split("_")[0] for p in migrations.path.iterdir())

    wider = replace("nickname", lambda: Column("nickname", String(60)))
    content = await apply(url, models(wider), migrations, "change")
    assert "DROP TABLE users;" in content  # (a rebuild)
    assert await sqlite_objects(url) == before[1]
    await execute(
        url,
        "UPDATE users SET score = 9 WHERE id = 1",
        "INSERT INTO user_names (name) VALUES ('cy')",
        "UPDATE teams SET title = 'green' WHERE id = 2",
    )
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            levels = (await conn.execute(text("SELECT id, level, score FROM users"))).all()
            loud = (await conn.execute(text('SELECT name FROM "Loud Names"'))).scalars().all()
    finally:
        await engine.dispose()
    # each trigger fired: ann's score (level 2 -> 3), cy through the view, bob's team
    # (score 0, which fires the first trigger again: level 3 -> 4)
    assert sorted(tuple(row) for row in levels) == [(1, 3, 9), (2, 4, 0), (3, 1, 0)]
    assert sorted(loud) == ["ANN", "BOB", "CY"]

    await schemactl.rollback(url, migrations_dir=str(migrations), to=version_before)
    assert await sqlite_objects(url) == before[1]
    assert (await state(url))[0] == before[0][0]
