"""No surprise diffs, from Python, on each real database: pending migrations refused, the
compared database named, tables and schemas left out on both sides, every change described
readably."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, String, Table, UniqueConstraint, inspect
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import DB_PREFIX, MigrationsDir, fresh_url, shown_url
from tests.db.test_autogen_constraints import execute

pytestmark = pytest.mark.anyio

LEGACY = "CREATE TABLE legacy_audit (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(20))"


def users(*extra: Column[Any], table_comment: str | None = None) -> MetaData:
    metadata = MetaData()
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        *extra,
        comment=table_comment,
    )
    return metadata


async def default_schema(url: str) -> str:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            name = await conn.run_sync(lambda c: inspect(c).default_schema_name)
    finally:
        await engine.dispose()
    assert isinstance(name, str)
    return name


async def tables_of(url: str) -> set[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def kinds(result: schemactl.CheckResult | schemactl.NewResult) -> list[tuple[str, str]]:
    return sorted((c.kind, c.table) for c in result.changes)


# -- pending migrations --------------------------------------------------------------------


async def test_pending_migrations_are_refused(db_url: str, migrations: MigrationsDir) -> None:
    """A teammate's migration in the directory, not applied: autogenerate would copy its
    table into the new migration, and check would report it. Both refuse, in one line, until
    it is applied or allow_pending says otherwise."""
    await schemactl.create(db_url)
    models = users()
    await schemactl.new(
        "users", auto=True, url=db_url, models=models, migrations_dir=str(migrations)
    )
    await schemactl.up(db_url, migrations_dir=str(migrations))
    teammate = migrations.add(
        "20990101000000", "teammate", LEGACY + ";", "DROP TABLE legacy_audit;"
    )
    calls: dict[str, Callable[..., Awaitable[Any]]] = {
        "new": lambda **kw: schemactl.new(
            "mine", auto=True, url=db_url, models=models, migrations_dir=str(migrations), **kw
        ),
        "check": lambda **kw: schemactl.check(
            db_url, models=models, migrations_dir=str(migrations), **kw
        ),
        "Migrator.check": lambda **kw: schemactl.Migrator(
            db_url, migrations_dir=str(migrations)
        ).check(models, **kw),
    }
    for name, call in calls.items():
        with pytest.raises(schemactl.StateError) as caught:
            await call()
        message = str(caught.value)
        assert message.startswith(
            f"the database has 1 pending migration (first: {teammate.name}): "
            "apply them with `schemactl up` first, or pass --allow-pending"
        ), (name, message)
        assert "\n" not in message
        assert caught.value.exit_code == 8
    assert len(list(migrations.path.iterdir())) == 2  # nothing written

    # allow_pending: compared as asked; the database lacks nothing the models have
    allowed = await calls["check"](allow_pending=True)
    assert allowed.clean
    await schemactl.up(db_url, migrations_dir=str(migrations))
    applied = await calls["check"]()  # now the teammate's table is in the database
    assert kinds(applied) == [("drop_table", "legacy_audit")]


async def test_missing_migrations_directory_means_no_migrations(
    db_url: str, tmp_path: Path
) -> None:
    await schemactl.create(db_url)
    nowhere = tmp_path / "not-made-yet"
    check = await schemactl.check(db_url, models=users(), migrations_dir=str(nowhere))
    assert kinds(check) == [("add_table", "users")]
    new = await schemactl.new(
        "users", auto=True, url=db_url, models=users(), migrations_dir=str(nowhere)
    )
    assert new.path is not None
    assert new.path.parent == nowhere


# -- which database ------------------------------------------------------------------------


async def test_results_name_the_database(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    check = await schemactl.check(db_url, models=users(), migrations_dir=str(migrations))
    new = await schemactl.new(
        "x", auto=True, url=db_url, models=users(), migrations_dir=str(migrations), dry_run=True
    )
    database = to_sqlalchemy_url(db_url).database
    expected = {
        "sqlite": f"sqlite:///{database}",
        "postgresql": shown_url("postgresql", str(database)),
        "mysql": shown_url("mysql", str(database)),
    }[dialect]
    assert check.database == new.database == expected
    assert (await schemactl.new("plain", migrations_dir=str(migrations))).database is None


async def test_the_password_is_hidden(tmp_path: Path, migrations: MigrationsDir) -> None:
    url = fresh_url("postgresql", tmp_path).replace("postgres@", "postgres:s3cr%40t@")
    try:
        await schemactl.create(url)  # trust authentication: any password is accepted
        check = await schemactl.check(url, models=users(), migrations_dir=str(migrations))
        assert check.database is not None
        assert check.database.startswith(shown_url("postgresql", DB_PREFIX, password=True))
        assert "s3cr" not in check.database
    finally:
        await schemactl.drop(url)


# -- include / exclude ---------------------------------------------------------------------


async def test_excluded_database_table_is_not_dropped(
    db_url: str, migrations: MigrationsDir
) -> None:
    """A table a hand-written migration made, which the models lack: excluded (by name, glob
    or schema-qualified glob), it is neither reported nor dropped."""
    await schemactl.create(db_url)
    migrations.add("20240101000000", "legacy", LEGACY + ";", "DROP TABLE legacy_audit;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    default = await default_schema(db_url)
    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    plain = await schemactl.check(db_url, models=users(), **where)
    assert kinds(plain) == [("add_table", "users"), ("drop_table", "legacy_audit")]
    other = await schemactl.check(
        db_url, models=users(), exclude_tables=["other.legacy_*"], **where
    )
    assert kinds(other) == kinds(plain)  # another schema's pattern leaves it in
    for exclusion in ("legacy_audit", ["legacy_*"], [f"{default}.legacy_*"], [f"{default}.*"]):
        check = await schemactl.check(db_url, models=users(), exclude_tables=exclusion, **where)
        expected = [] if exclusion == [f"{default}.*"] else [("add_table", "users")]
        assert kinds(check) == expected, exclusion
    excluded_schema = await schemactl.check(
        db_url, models=users(), exclude_schemas=[default], **where
    )
    assert kinds(excluded_schema) == []

    result = await schemactl.new(
        "users", auto=True, url=db_url, models=users(), exclude_tables=["legacy_*"], **where
    )
    assert result.path is not None
    content = result.path.read_text()
    assert "CREATE TABLE users" in content
    assert "legacy_audit" not in content
    await schemactl.up(db_url, **where)
    assert (
        await schemactl.check(db_url, models=users(), exclude_tables=["legacy_*"], **where)
    ).clean
    assert "legacy_audit" in await tables_of(db_url)


async def test_excluded_models_table_is_not_created(db_url: str, migrations: MigrationsDir) -> None:
    models = users()
    Table("legacy_cache", models, Column("id", Integer, primary_key=True))
    await schemactl.create(db_url)
    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    result = await schemactl.new(
        "users", auto=True, url=db_url, models=models, exclude_tables=["legacy_*"], **where
    )
    assert kinds(result) == [("add_table", "users")]
    assert result.path is not None
    assert "legacy_cache" not in result.path.read_text()
    await schemactl.up(db_url, **where)
    assert (await schemactl.check(db_url, models=models, exclude_tables="legacy_*", **where)).clean
    check = await schemactl.check(db_url, models=models, **where)
    assert kinds(check) == [("add_table", "legacy_cache")]


async def test_include_object_sees_both_sides(db_url: str, migrations: MigrationsDir) -> None:
    """Alembic's include_object signature: called for the database's tables (reflected) and
    the models' ones; what it rejects is left out either way, columns included."""
    await schemactl.create(db_url)
    await execute(db_url, LEGACY)
    seen: set[tuple[str, str, bool]] = set()

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        seen.add((type_, str(name), reflected))
        return not str(name).startswith("legacy_") and name != "secret"

    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    models = users()
    Table("legacy_cache", models, Column("id", Integer, primary_key=True))
    check = await schemactl.check(db_url, models=models, include_object=include_object, **where)
    assert kinds(check) == [("add_table", "users")]
    assert ("table", "legacy_audit", True) in seen
    assert ("table", "legacy_cache", False) in seen
    await schemactl.new(
        "users", auto=True, url=db_url, models=models, include_object=include_object, **where
    )
    await schemactl.up(db_url, **where)

    later = users(Column("secret", String(10)))
    Table("legacy_cache", later, Column("id", Integer, primary_key=True))
    filtered = await schemactl.check(db_url, models=later, include_object=include_object, **where)
    assert filtered.clean, [c.detail for c in filtered.changes]
    unfiltered = await schemactl.check(db_url, models=later, **where)
    assert kinds(unfiltered) == [
        ("add_column", "users"),
        ("add_table", "legacy_cache"),
        ("drop_table", "legacy_audit"),
    ]
    with pytest.raises(schemactl.ConfigurationError, match="include_object must be a callable"):
        await schemactl.check(db_url, models=later, include_object="legacy_*", **where)  # type: ignore[arg-type]


async def test_exclusion_composes_with_the_unchanged_skip(
    db_url: str, migrations: MigrationsDir
) -> None:
    """An excluded table whose database copy has a constraint the model lacks (on SQLite an
    unnamed unique constraint, found outside Alembic's comparison), beside an unchanged
    table: the same diff with and without the skip of unchanged tables, and nothing of the
    excluded table in it."""
    from schemactl.autogen import compare
    from schemactl.autogen.filters import ObjectFilter

    def models(unique: bool) -> MetaData:
        metadata = users()
        Table(
            "codes",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("code", String(20)),
            *([UniqueConstraint("code")] if unique else []),
        )
        return metadata

    await schemactl.create(db_url)
    await schemactl.new(
        "v1", auto=True, url=db_url, models=models(True), migrations_dir=str(migrations)
    )
    await schemactl.up(db_url, migrations_dir=str(migrations))
    target = models(False)
    Table("orders", target, Column("id", Integer, primary_key=True))
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            diffs = {
                (skip, excluded): await compare(
                    conn,
                    target,
                    migrations_table="schema_migrations",
                    skip_unchanged=skip,
                    objects=ObjectFilter.build(["codes"] if excluded else []),
                )
                for skip in (True, False)
                for excluded in (True, False)
            }
    finally:
        await engine.dispose()
    assert diffs[(True, True)] == diffs[(False, True)]
    assert diffs[(True, False)] == diffs[(False, False)]
    assert [(c.kind, c.table) for c in diffs[(True, True)].changes] == [("add_table", "orders")]
    assert any(c.table == "codes" for c in diffs[(True, False)].changes)


async def test_excluded_schema_is_left_out(tmp_path: Path) -> None:
    """PostgreSQL (where a schema is a namespace of one database): a schema excluded is not
    compared even with include_schemas, and a models table in it is not created."""
    url = fresh_url("postgresql", tmp_path)
    try:
        await schemactl.create(url)
        await execute(
            url, "CREATE SCHEMA audit", "CREATE TABLE audit.events (id integer primary key)"
        )
        models = users()
        Table("entries", models, Column("id", Integer, primary_key=True), schema="audit")
        nowhere = str(tmp_path / "none")
        wider = await schemactl.check(
            url, models=MetaData(), include_schemas=True, migrations_dir=nowhere
        )
        assert kinds(wider) == [("drop_table", "events")]
        check = await schemactl.check(
            url,
            models=models,
            include_schemas=True,
            exclude_schemas=["aud*"],
            migrations_dir=nowhere,
        )
        assert kinds(check) == [("add_table", "users")]
    finally:
        await schemactl.drop(url)


async def test_excluded_table_is_not_even_read(tmp_path: Path) -> None:
    """A table excluded by name is not reflected at all: one with a column type SQLAlchemy
    does not know (an extension's, here a composite type) costs no warning, and no time."""
    url = fresh_url("postgresql", tmp_path)
    try:
        await schemactl.create(url)
        await execute(
            url,
            "CREATE TYPE point3 AS (x float8, y float8, z float8)",
            "CREATE TABLE spatial_things (id integer primary key, at point3)",
            # Another table to compare, not provably unchanged: with none left, Alembic
            # reads every table (it passes SQLAlchemy an empty filter, which means all).
            "CREATE TABLE users (id integer primary key, name varchar(40))",
        )
        nowhere = str(tmp_path / "none")
        with pytest.warns(Warning, match="Did not recognize type 'point3'"):
            read = await schemactl.check(
                url,
                models=users(),
                include_object=lambda obj, name, *_: name != "spatial_things",
                migrations_dir=nowhere,
            )  # include_object is asked after the table was read
        assert kinds(read) == [("alter_column", "users")]
        check = await schemactl.check(
            url, models=users(), exclude_tables=["spatial_*"], migrations_dir=nowhere
        )  # (pytest turns any warning into an error)
        assert kinds(check) == [("alter_column", "users")]
    finally:
        await schemactl.drop(url)


# -- readable changes and notes ------------------------------------------------------------


STATUS = Enum("new", "paid", "shipped", name="status")


async def test_enum_column_is_shown_as_its_enum(db_url: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    await schemactl.new("v1", auto=True, url=db_url, models=users(), migrations_dir=str(migrations))
    await schemactl.up(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(
        db_url, models=users(Column("status", STATUS)), migrations_dir=str(migrations)
    )
    assert [c.detail for c in check.changes] == [
        "+ column users.status enum status (new, paid, shipped)"
    ]


async def test_no_change_falls_back_to_a_class_name(db_url: str, migrations: MigrationsDir) -> None:
    """Every common change of blog_v1 -> blog_v2 (and back) says what it does."""
    await schemactl.create(db_url)
    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    await schemactl.new("v1", auto=True, url=db_url, models="tests.models.blog_v1", **where)
    await schemactl.up(db_url, **where)
    forth = await schemactl.check(db_url, models="tests.models.blog_v2", **where)
    await schemactl.new("v2", auto=True, url=db_url, models="tests.models.blog_v2", **where)
    await schemactl.up(db_url, **where)
    back = await schemactl.check(db_url, models="tests.models.blog_v1", **where)
    details = [c.detail for c in (*forth.changes, *back.changes)]
    assert len(details) > 10
    assert [d for d in details if "Op on " in d or d.endswith(": ")] == []
    assert "+ column posts.summary VARCHAR(500)" in details


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])  # SQLite keeps no comments
async def test_comment_changes_are_described(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    def commented(column: str | None, table: str | None) -> MetaData:
        metadata = MetaData()
        Table(
            "users",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(50), comment=column),
            comment=table,
        )
        return metadata

    await schemactl.create(db_url)
    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    await schemactl.new("v1", auto=True, url=db_url, models=commented("x", "t"), **where)
    await schemactl.up(db_url, **where)
    changed = await schemactl.check(db_url, models=commented("it's y", "u"), **where)
    assert sorted(c.detail for c in changed.changes) == [
        "~ column users.name: comment 'x' -> 'it''s y'",
        "~ table users: comment 't' -> 'u'",
    ]
    assert {c.kind for c in changed.changes} == {"alter_column", "alter_table_comment"}
    removed = await schemactl.check(db_url, models=commented(None, None), **where)
    assert sorted(c.detail for c in removed.changes) == [
        "~ column users.name: comment 'x' -> none",
        "~ table users: comment 't' -> none",
    ]


async def test_notes_repeat_the_warnings_of_the_file(
    db_url: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    where: dict[str, Any] = {"migrations_dir": str(migrations)}
    await schemactl.new("v1", auto=True, url=db_url, models=users(), **where)
    await schemactl.up(db_url, **where)
    renamed = MetaData()
    Table(
        "users", renamed, Column("id", Integer, primary_key=True), Column("full_name", String(50))
    )
    result = await schemactl.new("rename", auto=True, url=db_url, models=renamed, **where)
    check = await schemactl.check(db_url, models=renamed, allow_pending=True, **where)
    assert (
        result.notes
        == check.notes
        == (
            "destructive: column users.name (its data is lost)",
            "users drops name and adds full_name: if that is a rename, this loses the data; "
            "write ALTER TABLE ... RENAME COLUMN instead",
        )
    )
    assert result.path is not None
    content = result.path.read_text()
    for note in result.notes:
        assert f"-- WARNING: {note}" in content


async def test_a_type_sqlalchemy_does_not_know_is_one_line_not_a_crash(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """Dropping a table whose column type SQLAlchemy cannot name (PostgreSQL's ``point``)
    needs that type in the down section: say so in one line, not an internal error; left
    out, the table is no trouble."""
    url = fresh_url("postgresql", tmp_path)
    try:
        await schemactl.create(url)
        await execute(url, "CREATE TABLE shapes (id integer primary key, p point)")
        with (
            pytest.warns(Warning, match="Did not recognize type 'point'"),
            pytest.raises(schemactl.ConfigurationError) as caught,
        ):
            await schemactl.new(
                "drop", auto=True, url=url, models=users(), migrations_dir=str(migrations)
            )
        message = str(caught.value)
        assert message.startswith("cannot write the down section for table shapes")
        assert "column 'p'): a column type SQLAlchemy does not know" in message
        assert "exclude_tables" in message
        assert "\n" not in message
        # (with no table of the database left to compare, Alembic asks SQLAlchemy to reflect
        # an empty list of tables, which means all of them: the warning comes once more)
        with pytest.warns(Warning, match="Did not recognize type 'point'"):
            result = await schemactl.new(
                "users",
                auto=True,
                url=url,
                models=users(),
                migrations_dir=str(migrations),
                exclude_tables=["shapes"],
            )
        assert result.path is not None
        assert "shapes" not in result.path.read_text()
    finally:
        await schemactl.drop(url)
